"""Train the shipped default model from the public data in ../shared/data/.

Two parts are trained; the encoder's pretrained weights are not copied:
1. the sentiment model, a LoRA adapter for the encoder and a linear head, fine-tuned on the
   airline tweets (negative / neutral / positive);
2. the priority and tier classifiers, on the English helpdesk tickets, whose ``queue`` maps to a
   tier through the config's ``queue_tiers`` table.
Each data set is split 80 / 20 by a hash of a stable key, so the held-out part never changes and
is never trained on; the shipped parts are the ones trained on the 80 %, so the reported figures
describe the shipped model.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import zipfile
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.dummy import DummyClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, classification_report, f1_score, log_loss
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from .classifier import base_pipeline, propose
from .columns import prepare, resolve_columns
from .config import Config, load_config
from .distillation import DistillationSettings
from .encoder import ENCODER_PACKAGE, EncoderSettings, TextEncoder, weights_sha256
from .features import FEATURE_NAMES, NUMERIC_FEATURES, SIGNAL_FEATURES, TEXT_FEATURE
from .keywords import build_keyword_pipeline, find_keywords
from .model import CLASSIFIER_FILE, FORMAT, FORMAT_VERSION, MANIFEST, SENTIMENT_FILE, library_versions
from .model_card import write_model_card
from .sentiment import SENTIMENT_LABELS, SentimentHead
from .sentiment_eval import evaluate_sentiment, format_report
from .sentiment_tuning import LabelledSentiment, TuningSettings, read_labelled_sentiment, refit_head, reuse_sentiment_parts, train_sentiment_model
from .signals import SignalExtractor, ticket_texts
from .text import clean_text

HELD_OUT_PERCENT = 20
# bfloat16 where the CPU has it: several times faster than fp32 at the same held-out accuracy, and
# unlike int8 dynamic quantisation a ticket scores the same alone as in a batch (benchmarks/README.md).
DEFAULT_PRECISION = "auto"
# Features the public ticket data holds no values for: the classifier sees them constant, so the
# policy rules (VIP, revenue, repeat contact) decide on them instead.
UNLEARNED_FEATURES = ("contact_count", "log_ltv", "log_revenue_impact", "vip")


def held_out(keys: pd.Series, percent: int = HELD_OUT_PERCENT) -> np.ndarray:
    """True for the rows whose key hashes into the held-out share; stable across runs and machines."""
    return np.array([int(hashlib.sha256(str(k).encode()).hexdigest()[:8], 16) % 100 < percent for k in keys])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _scores(y_true, y_pred) -> dict[str, float]:
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, average="macro")), 4),
    }


def load_ticket_data(tickets_csv: Path, config: Config) -> pd.DataFrame:
    data = pd.read_csv(tickets_csv, dtype=str, keep_default_na=False)
    data = data[data["language"] == "en"].copy()
    unknown = sorted(set(data["queue"]) - set(config.queue_tiers))
    if unknown:
        raise ValueError(f"queue_tiers has no tier for queue(s) {unknown}; add them to the config.")
    data["priority_label"] = data["priority"].str.strip().str.capitalize()
    data["tier_label"] = data["queue"].map(config.queue_tiers).astype(int)
    return data.reset_index(drop=True)


def classifier_pipeline(C: float = 1.0, signal_weight: float = 0.05) -> Pipeline:
    """Logistic regression over TF-IDF word n-grams and the scaled signals (embedding, sentiment,
    keyword counts, customer values); ``signal_weight`` sets how loud the signals are next to the words."""
    columns = ColumnTransformer(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), TEXT_FEATURE),
            ("signals", StandardScaler(), list(NUMERIC_FEATURES)),
        ],
        transformer_weights={"words": 1.0, "signals": signal_weight},
    )
    return Pipeline([("features", columns), ("model", LogisticRegression(C=C, class_weight="balanced", max_iter=5000))])


def calm_message_examples(airline_csv: Path, per_label: int = 50, seed: int = 0) -> pd.DataFrame:
    """Weakly labelled short messages: positive and neutral customer tweets from the airline
    training split (never its held-out part), labelled Low priority, tier 1.

    The helpdesk tickets are all long, formal problem reports, so without these the classifier has
    never seen a thank-you note or a one-line question and calls them Medium or High. Thanks,
    praise and simple questions are the spec's "general inquiry": Low, frontline.
    """
    data = pd.read_csv(airline_csv, dtype={"tweet_id": str})
    data = data[~held_out(data["tweet_id"])]
    picked = [
        data[data["airline_sentiment"] == label].sample(n=per_label, random_state=seed)
        for label in ("positive", "neutral")
    ]
    tweets = pd.concat(picked)
    return pd.DataFrame(
        {"subject": "", "body": tweets["text"].fillna("").to_numpy(), "priority_label": "Low", "tier_label": 1}
    )


# Keyword categories that mark a ticket as upset; tickets with none of them are the calm ones.
UPSET_CATEGORIES = frozenset({"frustration", "legal", "media", "manager_request"})
CALM_TICKETS_FOR_SENTIMENT = 600


def calm_ticket_texts(tickets_csv: Path, config: Config, keyword_nlp, count: int = CALM_TICKETS_FOR_SENTIMENT, seed: int = 0) -> list[str]:
    """Weak neutral examples for the sentiment head: ``count`` English helpdesk tickets from the
    classifier's training split (never its held-out part) in which the keyword matcher finds no
    frustration, legal, media or manager-request wording; see :func:`triage.sentiment_tuning.refit_head`."""
    data = load_ticket_data(tickets_csv, config)
    data = data[~held_out(data["subject"] + "\n" + data["body"])]
    tickets = prepare(data[["subject", "body"]], resolve_columns(["subject", "body"]))
    texts, _ = ticket_texts(tickets)
    calm = [t for t, hits in zip(texts, find_keywords(keyword_nlp, texts)) if t and not {h.category for h in hits} & UPSET_CATEGORIES]
    picked = np.random.default_rng(seed).choice(len(calm), size=min(count, len(calm)), replace=False)
    return [calm[i] for i in sorted(picked)]


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def calm_problem_sentences(tickets_csv: Path, config: Config, keyword_nlp) -> list[str]:
    """More weak neutral examples, short ones: the subjects (three words or more) and openings
    (first two sentences, 4 to 40 words) of the English helpdesk tickets of the classifier's
    training split, without an exclamation mark or a frustration, legal, media or manager-request
    keyword, each distinct text once.

    The whole calm tickets of :func:`calm_ticket_texts` are long; a short, plain statement of a
    fault ("the upload times out", "export fails with error 500") still read as angry without these.
    The tickets' later sentences were tried too and left out: mostly courtesy ("please let me know",
    "thank you for your help"), they taught the head that a politely worded complaint is neutral.
    """
    data = load_ticket_data(tickets_csv, config)
    data = data[~held_out(data["subject"] + "\n" + data["body"])]
    pieces = [clean_text(s).text for s in data["subject"] if len(s.split()) >= 3]
    for body in data["body"]:
        opening = " ".join(_SENTENCE_END.split(clean_text(body).text)[:2])
        if 4 <= len(opening.split()) <= 40:
            pieces.append(opening)
    pieces = list(dict.fromkeys(p for p in pieces if p and "!" not in p))
    hits = find_keywords(keyword_nlp, pieces)
    return [p for p, found in zip(pieces, hits) if not {h.category for h in found} & UPSET_CATEGORIES]


def _calibration(y_true, labels, confidence: np.ndarray, proba: np.ndarray, classes) -> dict[str, float]:
    """Log-loss, and expected calibration error of the proposed label's confidence (10 equal-width bins)."""
    correct = np.asarray(labels) == np.asarray(y_true)
    bins = np.minimum((confidence * 10).astype(int), 9)
    ece = sum(abs(correct[bins == b].mean() - confidence[bins == b].mean()) * (bins == b).mean() for b in np.unique(bins))
    return {
        "log_loss": round(float(log_loss(y_true, proba, labels=list(classes))), 4),
        "expected_calibration_error": round(float(ece), 4),
    }


def _drop_pruned_terms(pipeline: Pipeline) -> Pipeline:
    """TF-IDF keeps every term it pruned (``stop_words_``) only for inspection; drop it to keep the file small."""
    words = pipeline.named_steps["features"].named_transformers_["words"]
    words.stop_words_ = None
    return pipeline


def fit_target(
    target: str, features: pd.DataFrame, texts: np.ndarray, y: np.ndarray, test: np.ndarray, log=print, search: bool = True
) -> tuple[CalibratedClassifierCV, dict[str, Any]]:
    """Train one calibrated classifier on the rows where ``test`` is False and measure it on the others.

    The shared code path of the shipped model and of ``triage train``: a grid search over C and the
    signals' weight (macro-F1, 5 shuffled stratified folds), balanced class weights, a sigmoid
    calibration, and the TF-IDF + logistic regression and majority baselines on the same split.
    ``search=False`` skips the grid search and keeps C=1 and a signals' weight of 0.05 (a quick run).
    """
    if search:
        grid = GridSearchCV(
            classifier_pipeline(),
            {"model__C": [1.0, 3.0], "features__transformer_weights": [{"words": 1.0, "signals": w} for w in (0.03, 0.1)]},
            scoring="f1_macro",
            cv=StratifiedKFold(5, shuffle=True, random_state=0),
        )
        grid.fit(features[~test], y[~test])
        best_params = grid.best_params_
    else:
        best_params = {"model__C": 1.0, "features__transformer_weights": {"words": 1.0, "signals": 0.05}}
    shuffled = np.random.default_rng(0).permutation(int((~test).sum()))
    # Balanced class weights skew the raw probabilities; a sigmoid calibration fitted on
    # cross-validated predictions makes `confidence` mean what it says.
    model = CalibratedClassifierCV(
        classifier_pipeline().set_params(**best_params),
        method="sigmoid",
        cv=5,  # an int keeps the saved object to trusted types; the rows are shuffled instead
        ensemble=False,
    ).fit(features[~test].iloc[shuffled], y[~test][shuffled])
    _drop_pruned_terms(base_pipeline(model))
    predicted, confidence = propose(model, features[test])
    raw = base_pipeline(model).predict_proba(features[test])
    calibration = {
        "uncalibrated": _calibration(y[test], predicted, raw.max(axis=1), raw, model.classes_),
        "calibrated": _calibration(y[test], predicted, confidence, model.predict_proba(features[test]), model.classes_),
    }
    baseline_text = text_baseline().fit(texts[~test], y[~test])
    majority = DummyClassifier(strategy="most_frequent").fit(features[~test], y[~test])
    report = {
        "model": _scores(y[test], predicted),
        "baseline_tfidf_logreg": _scores(y[test], baseline_text.predict(texts[test])),
        "baseline_majority": _scores(y[test], majority.predict(features[test])),
        "per_class": classification_report(y[test], predicted, output_dict=True, zero_division=0),
        "calibration": calibration,
        "hyperparameters": {
            "C": best_params["model__C"],
            "signal_weight": best_params["features__transformer_weights"]["signals"],
        },
    }
    log(f"{target} calibration (held-out): {calibration}")
    log(f"{target} held-out: model {report['model']}, tf-idf {report['baseline_tfidf_logreg']}, majority {report['baseline_majority']}")
    return model, report


def text_baseline() -> Pipeline:
    """The text-only baseline: TF-IDF word 1-2 grams and logistic regression with balanced class weights."""
    return make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True),
        LogisticRegression(class_weight="balanced", max_iter=5000),
    )



def train_classifier(
    tickets_csv: Path, extractor: SignalExtractor, config: Config, calm_examples: pd.DataFrame | None = None, log=print
) -> tuple[dict[str, CalibratedClassifierCV], dict[str, Any]]:
    tickets_data = load_ticket_data(tickets_csv, config)
    test = held_out(tickets_data["subject"] + "\n" + tickets_data["body"])
    extra = calm_examples if calm_examples is not None else tickets_data.iloc[:0]
    data = pd.concat([tickets_data, extra], ignore_index=True)
    test = np.concatenate([test, np.zeros(len(extra), dtype=bool)])
    frame = data[["subject", "body"]]
    tickets = prepare(frame, resolve_columns(list(frame.columns)))
    texts, _ = ticket_texts(tickets)
    started = time.perf_counter()
    signals = extractor.extract(texts, tickets)
    log(f"classifier: extracted signals for {len(texts)} tickets in {time.perf_counter() - started:.0f} s")
    texts_array = np.array(texts, dtype=object)
    models: dict[str, CalibratedClassifierCV] = {}
    report: dict[str, Any] = {}
    for target in ("priority", "tier"):
        models[target], report[target] = fit_target(target, signals.features, texts_array, data[f"{target}_label"].to_numpy(), test, log)
    info = {
        "file": tickets_csv.name,
        "sha256": file_sha256(tickets_csv),
        "rows": int(len(tickets_data)),
        "train_rows": int((~test).sum() - len(extra)),
        "held_out_rows": int(test.sum()),
        "filter": "language == 'en'",
        "calm_message_examples": {
            "rows": int(len(extra)),
            "source": "airline_sentiment/tweets.csv training split, positive and neutral tweets",
            "labels": "priority Low, tier 1 (weak labels; see calm_message_examples in triage/training.py)",
        },
        "split": f"sha256(subject + newline + body) % 100 < {HELD_OUT_PERCENT} held out",
        "priority_labels_seen": sorted(set(tickets_data["priority_label"])),
    }
    return models, {"metrics": report, "training_data": info}


def encoder_manifest(encoder: TextEncoder, settings: EncoderSettings) -> dict[str, Any]:
    return {
        "package": ENCODER_PACKAGE,
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "weights_sha256": weights_sha256(encoder.path),
        "pooling": "mean over tokens, L2-normalised, token-weighted mean over windows",
        "settings": asdict(settings),
        **({"layers": list(encoder.layers)} if encoder.layers is not None else {}),
    }


def classifier_manifest(classifier: dict[str, Any]) -> dict[str, Any]:
    """The manifest keys every classifier file carries: file, calibration, labels, features."""
    return {
        "file": CLASSIFIER_FILE,
        "calibration": "sigmoid, fitted on 5-fold cross-validated predictions of the training split",
        "priority_labels": [str(c) for c in classifier["priority"].classes_],
        "tier_labels": [int(c) for c in classifier["tier"].classes_],
        "feature_names": list(FEATURE_NAMES),
        "learned_from": ["text (TF-IDF word 1-2 grams)", "embedding (384)", *[f for f in SIGNAL_FEATURES if f not in UNLEARNED_FEATURES]],
        "not_learned": list(UNLEARNED_FEATURES),
    }


def save_classifier_and_manifest(out_dir: Path, classifier: dict[str, Any], manifest: dict[str, Any]) -> None:
    """Write the classifiers (skops, no pickle), the manifest and the model card into ``out_dir``."""
    import skops.io as sio

    out_dir.mkdir(parents=True, exist_ok=True)
    sio.dump(classifier, out_dir / CLASSIFIER_FILE, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_model_card(out_dir, manifest)


def build_default_model(
    shared_data: Path,
    out_dir: Path,
    config_path: Path | None = None,
    log=print,
    tuning: TuningSettings | None = None,
    encoder_settings: EncoderSettings | None = None,
    sentiment_from: Path | None = None,
) -> dict[str, Any]:
    """Train both parts and write a complete model folder to ``out_dir``; returns the manifest.

    ``sentiment_from`` reuses sentiment parts fine-tuned earlier on the same data (a folder written
    by :func:`triage.sentiment_tuning.train_sentiment_model`) instead of fine-tuning again.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sentiment_data = read_labelled_sentiment(shared_data / "airline_sentiment" / "tweets.csv")
    if sentiment_from is not None:
        parts = reuse_sentiment_parts(sentiment_from, out_dir, sentiment_data)
    else:
        parts = train_sentiment_model(sentiment_data, out_dir, tuning, log=log)
    return _complete_model(shared_data, out_dir, parts, sentiment_data, config_path, encoder_settings, log)


def distillation_texts(shared_data: Path, sentiment_data: LabelledSentiment) -> tuple[list[str], np.ndarray, dict[str, int]]:
    """Texts a student encoder learns from: the labelled sentiment data's training rows (with
    their labels), and unlabelled customer text from the shared data sets (the helpdesk tickets of
    the classifier's training split, customers' tweets to support desks, complaint titles, IT
    helpdesk tickets, and the synthetic export's subjects and descriptions). Held-out rows of the
    labelled sets are never among them. Returns texts, label indices (-1: none) and counts by source."""
    from .distillation import NO_LABEL, label_indices

    train = sentiment_data.train
    texts = [t for t, used in zip(sentiment_data.texts, train) if used]
    labels = list(label_indices(sentiment_data.labels[train]))
    counts = {"airline_sentiment (labelled training rows)": len(texts)}
    tickets = pd.read_csv(shared_data / "support_tickets" / "tickets_multilang.csv", dtype=str, keep_default_na=False)
    tickets = tickets[tickets["language"] == "en"]
    tickets = tickets[~held_out(tickets["subject"] + "\n" + tickets["body"])]
    tweets = pd.read_csv(shared_data / "customer_support_twitter" / "twcs_sample.csv", dtype=str, keep_default_na=False)
    complaints = pd.read_csv(shared_data / "comcast_complaints" / "comcast_complaints.csv", dtype=str, keep_default_na=False)
    helpdesk = pd.read_csv(shared_data / "endava_helpdesk" / "all_tickets.csv", dtype=str, keep_default_na=False)
    export = pd.read_csv(shared_data / "helpdesk_export_synthetic" / "customer_support_tickets.csv", dtype=str, keep_default_na=False)
    sources = {
        "support_tickets (English, classifier training split)": (tickets["subject"], tickets["body"]),
        "customer_support_twitter (customers' tweets)": ("", tweets.loc[tweets["inbound"] == "True", "text"]),
        "comcast_complaints (complaint titles)": ("", complaints["Customer Complaint"]),
        "endava_helpdesk": (helpdesk["title"], helpdesk["body"]),
        "helpdesk_export_synthetic": (export["Ticket Subject"], export["Ticket Description"]),
    }
    for name, (subjects, bodies) in sources.items():
        frame = pd.DataFrame({"subject": subjects, "body": bodies})
        cleaned, _ = ticket_texts(prepare(frame, resolve_columns(["subject", "body"])))
        cleaned = [t for t in cleaned if t]
        texts += cleaned
        labels += [NO_LABEL] * len(cleaned)
        counts[name] = len(cleaned)
    return texts, np.array(labels, dtype=int), counts


def build_distilled_model(
    shared_data: Path,
    teacher_dir: Path,
    out_dir: Path,
    settings: DistillationSettings | None = None,
    config_path: Path | None = None,
    log=print,
    name: str | None = None,
) -> dict[str, Any]:
    """Distil the encoder of the model in ``teacher_dir`` into ``settings.layers`` blocks, keep the
    teacher's sentiment head and retrain the classifier on the student's embeddings, writing a
    complete model folder to ``out_dir``; returns the manifest."""
    from .distillation import distil_encoder
    from .encoder import ADAPTER_FILE, save_adapter
    from .model import ModelBundle

    settings = settings or DistillationSettings()
    teacher = ModelBundle.load(teacher_dir)
    if teacher.encoder_adapter is None:
        raise ValueError(f"'{teacher_dir}' has no fine-tuned encoder adapter to distil.")
    out_dir.mkdir(parents=True, exist_ok=True)
    sentiment_data = read_labelled_sentiment(shared_data / "airline_sentiment" / "tweets.csv")
    texts, labels, counts = distillation_texts(shared_data, sentiment_data)
    validation = sentiment_data.validation
    distilled = distil_encoder(
        teacher.encoder_adapter,
        teacher.sentiment_head,
        texts,
        labels,
        settings,
        validation=([t for t, v in zip(sentiment_data.texts, validation) if v], sentiment_data.labels[validation]),
        log=log,
    )
    save_adapter(out_dir / ADAPTER_FILE, distilled.tensors, 1.0, teacher.manifest["encoder"]["weights_sha256"], layers=distilled.layers)
    parts = {
        "encoder_adapter": ADAPTER_FILE,
        "sentiment": {
            "file": SENTIMENT_FILE,
            "labels": list(SENTIMENT_LABELS),
            "languages": list(teacher.manifest["sentiment"].get("languages", ["en"])),
            "distillation": {
                **settings.to_dict(),
                "teacher": teacher.manifest["name"],
                "teacher_adapter_sha256": file_sha256(teacher.encoder_adapter),
                "teacher_metrics": teacher.manifest["sentiment"].get("metrics"),
                "texts": counts,
                "history": distilled.history,
                "seconds": distilled.seconds,
                "adapter_parameters": distilled.parameters,
            },
            "training_data": sentiment_data.source,
            # The student learnt to match the teacher's sentiment under the teacher's head, so it
            # keeps that head: one refitted on the student's embeddings read short complaints
            # (sarcasm, all capitals) as neutral and did no better held out.
            "head": f"the teacher's sentiment head, unchanged: {teacher.manifest['sentiment']['head']}",
        },
    }
    return _complete_model(shared_data, out_dir, parts, sentiment_data, config_path, None, log, name, teacher.sentiment_head)


def _complete_model(
    shared_data: Path,
    out_dir: Path,
    parts: dict[str, Any],
    sentiment_data: LabelledSentiment,
    config_path: Path | None,
    encoder_settings: EncoderSettings | None,
    log,
    name: str | None = None,
    head: SentimentHead | None = None,
) -> dict[str, Any]:
    """Around an encoder adapter already in ``out_dir``: refit the sentiment head (or keep ``head``),
    train the classifier, measure both, and write the manifest and card."""
    config = load_config(config_path)
    settings = encoder_settings or EncoderSettings(precision=DEFAULT_PRECISION)
    airline_csv = shared_data / "airline_sentiment" / "tweets.csv"
    encoder = TextEncoder(settings=settings, adapter=out_dir / parts["encoder_adapter"])
    keyword_nlp = build_keyword_pipeline()
    tickets_csv = shared_data / "support_tickets" / "tickets_multilang.csv"
    if head is None:
        calm = calm_ticket_texts(tickets_csv, config, keyword_nlp)
        sentences = calm_problem_sentences(tickets_csv, config, keyword_nlp)
        head = refit_head(encoder, sentiment_data, calm + sentences)
        parts["sentiment"]["head"] = (
            "logistic regression (C=1) over the fine-tuned encoder's normalised mean-pooled embedding, refitted "
            "after fine-tuning on the airline training rows plus calm helpdesk tickets and sentences weakly labelled neutral"
        )
        parts["sentiment"]["weak_neutral_examples"] = {
            "rows": len(calm) + len(sentences),
            "tickets": len(calm),
            "sentences": len(sentences),
            "source": f"{tickets_csv.name}, English, classifier training split, no {', '.join(sorted(UPSET_CATEGORIES))} keyword hits",
            "labels": "neutral (weak labels; see calm_ticket_texts and calm_problem_sentences in triage/training.py)",
        }
    head.save(out_dir / SENTIMENT_FILE)
    report = evaluate_sentiment(sentiment_data, encoder, head, baselines=True)
    log(format_report(report))
    parts["sentiment"]["metrics"] = report.manifest_figures()
    extractor = SignalExtractor(encoder, head, keyword_nlp, config)
    classifier, classifier_info = train_classifier(
        tickets_csv, extractor, config, calm_message_examples(airline_csv), log
    )
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": name or out_dir.name,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "libraries": library_versions(),
        "encoder": {**encoder_manifest(encoder, settings), "adapter": parts["encoder_adapter"]},
        "sentiment": parts["sentiment"],
        "classifier": {
            **classifier_manifest(classifier),
            "queue_tiers": dict(config.queue_tiers),
            "encoder_adapter_sha256": file_sha256(out_dir / parts["encoder_adapter"]),
            **classifier_info,
        },
    }
    save_classifier_and_manifest(out_dir, classifier, manifest)
    return manifest
