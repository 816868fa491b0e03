"""Distil the fine-tuned encoder into a shallower one: fewer transformer blocks, same embedding.

The student keeps some of the teacher's blocks (by default 3 of 6, so about half the arithmetic per
ticket) and learns, through a new low-rank adapter and its LayerNorms, to give the embedding the
full fine-tuned encoder gives. Because the embedding is what the sentiment head and the classifier
read, a distilled model is a drop-in faster encoder: it keeps the teacher's sentiment head, and
the classifier is retrained on its embeddings (see :func:`triage.training.build_distilled_model`).

The loss per text: ``cosine_weight * (1 - cos(student, teacher))``, plus the KL divergence between
the teacher head's sentiment probabilities on both embeddings, plus ``label_weight`` times the
cross-entropy against the label where the text has one. Texts need no label, so unlabelled support
text teaches the student what the teacher makes of tickets.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .encoder import EMBEDDING_DIM, adapter_layers, keep_layers, load_adapter, mean_pooled, read_adapter, readable_symbols
from .errors import ModelLoadError
from .lora import LoraSettings, adapter_tensors, add_adapters
from .sentiment import SENTIMENT_LABELS, SentimentHead
from .sentiment_tuning import warmed_up_adamw

NO_LABEL = -1


@dataclass(frozen=True)
class DistillationSettings:
    """How a student encoder is distilled. ``layers``: the teacher's blocks the student keeps (the
    first, the last and one between keep the most of the teacher's embedding before training)."""

    layers: tuple[int, ...] = (0, 3, 5)
    rank: int = 32
    epochs: int = 3
    batch_size: int = 32
    learning_rate: float = 1e-3
    weight_decay: float = 0.01
    warmup_share: float = 0.05
    max_tokens: int = 128
    cosine_weight: float = 10.0
    label_weight: float = 0.3
    bf16: bool | None = None  # None: where the CPU computes bfloat16 natively
    seed: int = 0

    def __post_init__(self):
        if not self.layers or len(set(self.layers)) != len(self.layers):
            raise ValueError(f"layers must name distinct encoder blocks; got {list(self.layers)}.")
        if self.epochs < 1 or self.rank < 1:
            raise ValueError(f"epochs and rank must be at least 1; got {self.epochs} and {self.rank}.")

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "layers": list(self.layers)}


@dataclass
class DistilledEncoder:
    """The student's adapter (teacher's adapter for the kept blocks and the student's own, as one
    LoRA at scale 1, plus whole LayerNorm parameters) and how training went."""

    tensors: dict[str, Any]
    layers: tuple[int, ...]
    history: list[dict[str, float]]
    seconds: float
    model: Any = None  # the trained student, its adapters beside the weights (for checks)

    @property
    def parameters(self) -> int:
        return int(sum(t.numel() for t in self.tensors.values()))


def _pooled(model, ids, mask):
    from torch import nn

    return nn.functional.normalize(mean_pooled(model, ids, mask), dim=-1)


class _Tokens:
    """Texts tokenized once, cut to ``max_tokens``, and batched with padding masked."""

    def __init__(self, tokenizer, texts: Sequence[str], max_tokens: int):
        self.ids = tokenizer([readable_symbols(t) for t in texts], truncation=True, max_length=max_tokens)["input_ids"]
        self.lengths = np.array([len(ids) for ids in self.ids])
        self.pad = tokenizer.pad_token_id

    def batch(self, rows: np.ndarray):
        import torch

        ids = torch.full((len(rows), int(self.lengths[rows].max())), self.pad, dtype=torch.long)
        mask = torch.zeros_like(ids)
        for row, i in enumerate(rows):
            ids[row, : self.lengths[i]] = torch.tensor(self.ids[i])
            mask[row, : self.lengths[i]] = 1
        return ids, mask

    def embed(self, model, bf16: bool, batch_size: int = 64) -> np.ndarray:
        import torch

        out = np.zeros((len(self.ids), EMBEDDING_DIM), dtype=np.float32)
        order = np.argsort(self.lengths, kind="stable")
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            for begin in range(0, len(order), batch_size):
                rows = order[begin : begin + batch_size]
                out[rows] = _pooled(model, *self.batch(rows)).numpy()
        return out


def _length_grouped_batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of similar lengths (sorted within windows of 50 batches), so little is padding."""
    order = rng.permutation(len(lengths))
    batches = []
    for begin in range(0, len(order), batch_size * 50):
        window = order[begin : begin + batch_size * 50]
        window = window[np.argsort(lengths[window], kind="stable")]
        batches += [window[i : i + batch_size] for i in range(0, len(window), batch_size)]
    rng.shuffle(batches)
    return batches


def combined_adapter(teacher: dict[str, Any], teacher_scale: float, student: dict[str, Any], student_scale: float, layers: Sequence[int]) -> dict[str, Any]:
    """One LoRA at scale 1 for the student's blocks: the teacher's low-rank update of each kept block
    (renumbered) stacked with the student's own, so ``W + B @ A`` equals both updates applied."""
    import torch

    position = {f"encoder.layer.{layer}.": f"encoder.layer.{i}." for i, layer in enumerate(layers)}
    renamed: dict[str, Any] = {}
    for key, value in teacher.items():
        prefix = next((p for p in position if key.startswith(p)), None)
        if prefix is not None:
            renamed[position[prefix] + key[len(prefix) :]] = value
        elif not key.startswith("encoder.layer."):
            raise ModelLoadError(f"The teacher's adapter holds '{key}', which a distilled student cannot carry over.")
    out: dict[str, Any] = {}
    for name in sorted({key.rsplit(".", 1)[0] for key in [*renamed, *student]}):
        a_parts, b_parts = [], []
        for tensors, scale in ((renamed, teacher_scale), (student, student_scale)):
            if f"{name}.lora_a" in tensors:
                a_parts.append(tensors[f"{name}.lora_a"].float())
                b_parts.append(tensors[f"{name}.lora_b"].float() * scale)
        out[f"{name}.lora_a"] = torch.cat(a_parts, dim=0).contiguous()
        out[f"{name}.lora_b"] = torch.cat(b_parts, dim=1).contiguous()
    return out


def distil_encoder(
    teacher_adapter: str | Path,
    head: SentimentHead,
    texts: Sequence[str],
    labels: Sequence[int],
    settings: DistillationSettings | None = None,
    encoder_path: str | Path | None = None,
    validation: tuple[Sequence[str], Sequence[str]] | None = None,
    log: Callable[[str], None] = print,
) -> DistilledEncoder:
    """Train a student of ``settings.layers`` blocks to give the embeddings the teacher (the
    pretrained encoder with ``teacher_adapter``) gives to ``texts``.

    ``labels`` holds an index into negative / neutral / positive, or -1 for an unlabelled text;
    ``head`` is the teacher's sentiment head. With ``validation`` (texts and label names) each
    epoch's sentiment accuracy through ``head`` is recorded; the last epoch is kept.
    """
    import torch
    from sklearn.metrics import accuracy_score, f1_score
    from torch import nn
    from transformers import AutoModel, AutoTokenizer

    from .encoder import default_encoder_path, native_bf16

    settings = settings or DistillationSettings()
    bf16 = native_bf16() if settings.bf16 is None else settings.bf16
    labels = np.asarray(labels, dtype=int)
    if len(texts) != len(labels) or not len(texts):
        raise ValueError(f"Need one label (or -1) per text, and at least one text; got {len(texts)} texts and {len(labels)} labels.")
    teacher_tensors, teacher_metadata = read_adapter(Path(teacher_adapter))
    if adapter_layers(teacher_metadata, Path(teacher_adapter)) is not None:
        raise ModelLoadError(f"'{teacher_adapter}' is itself a distilled encoder; distil from a full-depth model.")
    encoder_path = Path(encoder_path) if encoder_path is not None else default_encoder_path()
    torch.manual_seed(settings.seed)
    rng = np.random.default_rng(settings.seed)
    tokenizer = AutoTokenizer.from_pretrained(encoder_path, local_files_only=True)

    started = time.perf_counter()
    tokens = _Tokens(tokenizer, texts, settings.max_tokens)
    teacher = AutoModel.from_pretrained(encoder_path, local_files_only=True)
    teacher.eval()
    teacher.requires_grad_(False)
    load_adapter(teacher, Path(teacher_adapter))
    targets = torch.from_numpy(tokens.embed(teacher, bf16))
    log(f"distillation: teacher embedded {len(texts)} texts in {time.perf_counter() - started:.0f} s")
    student = teacher  # the kept blocks start from the teacher's, adapter included
    keep_layers(student, settings.layers)
    lora = LoraSettings(rank=settings.rank, alpha=2.0 * settings.rank, dropout=0.0)
    add_adapters(student, lora)
    for name, parameter in student.named_parameters():
        if "LayerNorm" in name:
            parameter.requires_grad_(True)
    trainable = [p for p in student.parameters() if p.requires_grad]
    steps = settings.epochs * math.ceil(len(texts) / settings.batch_size)
    optimiser, scheduler = warmed_up_adamw(trainable, settings.learning_rate, settings.weight_decay, steps, settings.warmup_share)
    coef, intercept = torch.from_numpy(head.coef_), torch.from_numpy(head.intercept_)
    gold = torch.from_numpy(labels)
    checking = _Tokens(tokenizer, validation[0], settings.max_tokens) if validation is not None else None
    history: list[dict[str, float]] = []
    for epoch in range(1, settings.epochs + 1):
        student.train()
        totals = {"loss": 0.0, "cosine": 0.0}
        for rows in _length_grouped_batches(tokens.lengths, settings.batch_size, rng):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                embedded = _pooled(student, *tokens.batch(rows))
            target = targets[rows]
            distance = (1.0 - (embedded * target).sum(-1)).mean()
            student_logits, teacher_logits = embedded @ coef.T + intercept, target @ coef.T + intercept
            agreement = nn.functional.kl_div(
                nn.functional.log_softmax(student_logits, -1), nn.functional.log_softmax(teacher_logits, -1), log_target=True, reduction="batchmean"
            )
            loss = settings.cosine_weight * distance + agreement
            labelled = gold[rows] >= 0
            if labelled.any():
                loss = loss + settings.label_weight * nn.functional.cross_entropy(student_logits[labelled], gold[rows][labelled])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimiser.step()
            scheduler.step()
            totals["loss"] += loss.item() * len(rows)
            totals["cosine"] += (1.0 - distance.item()) * len(rows)
        record = {
            "epoch": epoch,
            "train_loss": round(totals["loss"] / len(texts), 4),
            "train_cosine": round(totals["cosine"] / len(texts), 4),
            "seconds": round(time.perf_counter() - started, 1),
        }
        if checking is not None:
            student.eval()
            predicted = head.predict(checking.embed(student, bf16))
            record["val_accuracy"] = round(float(accuracy_score(validation[1], predicted)), 4)
            record["val_macro_f1"] = round(float(f1_score(validation[1], predicted, average="macro")), 4)
        history.append(record)
        log(f"distillation: {record}")
    norms = {name: p.detach().clone().contiguous() for name, p in student.named_parameters() if "LayerNorm" in name}
    tensors = {
        **combined_adapter(teacher_tensors, float(teacher_metadata["scale"]), adapter_tensors(student), lora.scale, settings.layers),
        **norms,
    }
    student.eval()
    return DistilledEncoder(tensors, tuple(settings.layers), history, round(time.perf_counter() - started, 1), student)


def label_indices(labels: Sequence[str]) -> np.ndarray:
    """Label names as indices into negative / neutral / positive."""
    return np.array([SENTIMENT_LABELS.index(label) for label in labels], dtype=int)
