"""Evaluate a model on a labelled export: per-class figures, confusion matrices, escalation recall,
and the text-only and majority baselines on the same validation split.

The validation split is the one ``triage train`` uses (latest 20 % by time, or a hash of the text),
so evaluating a model on the export it was trained on measures it on tickets it never saw.
The classifier's proposal (``model_priority`` / ``model_tier``) is measured against the labels; the
final decision after the policy rules gives the escalation recall: of the tickets labelled
Critical / tier 4, the share that triage sends there.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .config import Config, load_config
from .retrain import LabelOptions, read_export, read_labelled_export

ESCALATION_LABEL = {"priority": "Critical", "tier": 4}
PRIORITY_ORDER = ("Critical", "High", "Medium", "Low")


@dataclass
class ClassScores:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class TargetEvaluation:
    """The figures of one target (priority or tier) on the validation rows."""

    target: str
    labels: list[str]
    validation_rows: int
    per_class: list[ClassScores]
    model: dict[str, float]
    after_policy: dict[str, float]
    baseline_tfidf_logreg: dict[str, float]
    baseline_majority: dict[str, float]
    confusion: list[list[int]]
    escalation: dict[str, Any]

    def lines(self) -> list[str]:
        out = [f"{self.target} ({self.validation_rows} validation tickets)", "", f"{'class':<10} {'precision':>9} {'recall':>7} {'f1':>6} {'support':>8}"]
        for c in self.per_class:
            out.append(f"{c.label:<10} {c.precision:>9.3f} {c.recall:>7.3f} {c.f1:>6.3f} {c.support:>8}")
        out += [
            "",
            f"{'model':<44} {'accuracy':>8} {'macro-F1':>9}",
            f"{'triage classifier':<44} {self.model['accuracy']:>8.3f} {self.model['macro_f1']:>9.3f}",
            f"{'triage after policy rules':<44} {self.after_policy['accuracy']:>8.3f} {self.after_policy['macro_f1']:>9.3f}",
            f"{'TF-IDF + logistic regression (text only)':<44} {self.baseline_tfidf_logreg['accuracy']:>8.3f} {self.baseline_tfidf_logreg['macro_f1']:>9.3f}",
            f"{'majority class':<44} {self.baseline_majority['accuracy']:>8.3f} {self.baseline_majority['macro_f1']:>9.3f}",
            "",
            "confusion matrix of the classifier (rows: label, columns: proposed)",
            " " * 10 + "".join(f"{label:>10}" for label in self.labels),
        ]
        for label, row in zip(self.labels, self.confusion):
            out.append(f"{label:<10}" + "".join(f"{n:>10}" for n in row))
        out += ["", f"escalation: {self.escalation['text']}"]
        return out


@dataclass
class Evaluation:
    model: str
    export: str
    split: str
    rows: int
    trained_on_this_export: bool
    targets: dict[str, TargetEvaluation] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [
            f"model   {self.model}",
            f"export  {self.export} ({self.rows} labelled rows)",
            f"split   {self.split}",
        ]
        if not self.trained_on_this_export:
            out.append("note    the model was not trained on this export; all its figures are on the validation rows only")
        out += [f"note    {n}" for n in self.notes]
        for target in self.targets.values():
            out += ["", *target.lines()]
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def markdown(self) -> str:
        out = [
            f"# Evaluation of `{self.model}`",
            "",
            f"- Export: `{self.export}`, {self.rows} labelled rows",
            f"- Validation split: {self.split}",
            *(f"- {n}" for n in self.notes),
            "",
        ]
        for t in self.targets.values():
            out += [
                f"## {t.target.capitalize()} ({t.validation_rows} validation tickets)",
                "",
                "| class | precision | recall | F1 | support |",
                "|---|---|---|---|---|",
                *(f"| {c.label} | {c.precision:.3f} | {c.recall:.3f} | {c.f1:.3f} | {c.support} |" for c in t.per_class),
                "",
                "| model | accuracy | macro-F1 |",
                "|---|---|---|",
                f"| triage classifier | {t.model['accuracy']:.3f} | {t.model['macro_f1']:.3f} |",
                f"| triage after policy rules | {t.after_policy['accuracy']:.3f} | {t.after_policy['macro_f1']:.3f} |",
                f"| TF-IDF + logistic regression (text only) | {t.baseline_tfidf_logreg['accuracy']:.3f} | {t.baseline_tfidf_logreg['macro_f1']:.3f} |",
                f"| majority class | {t.baseline_majority['accuracy']:.3f} | {t.baseline_majority['macro_f1']:.3f} |",
                "",
                f"![confusion matrix]({confusion_png_name(t.target)})",
                "",
                f"Escalation: {t.escalation['text']}",
                "",
            ]
        return "\n".join(out)


def confusion_png_name(target: str) -> str:
    return f"confusion_{target}.png"


def _scores(y_true, y_pred, labels) -> dict[str, float]:
    return {
        "accuracy": round(float(accuracy_score(y_true, y_pred)), 4),
        "macro_f1": round(float(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0)), 4),
    }


def _ordered(target: str, values) -> list:
    present = set(values)
    if target == "priority":
        return [p for p in PRIORITY_ORDER if p in present]
    return sorted(present)


def escalation_recall(target: str, y_true: np.ndarray, final: np.ndarray, escalate: np.ndarray) -> dict[str, Any]:
    """Of the tickets labelled Critical (priority) / tier 4, the share triage sends there and the share it escalates."""
    label = ESCALATION_LABEL[target]
    name = "Critical" if target == "priority" else "tier 4"
    positive = y_true == label
    if not positive.any():
        return {"label": name, "support": 0, "recall": None, "escalated_share": None, "text": f"no {name} tickets in the labels; escalation recall for {name} cannot be measured"}
    recall = float((final[positive] == label).mean())
    escalated = float(escalate[positive].mean())
    return {
        "label": name,
        "support": int(positive.sum()),
        "recall": round(recall, 4),
        "escalated_share": round(escalated, 4),
        "text": f"{name}: {int(positive.sum())} labelled; triage sent {recall:.0%} of them to {name} and escalated {escalated:.0%}",
    }


def evaluate_target(
    target: str,
    y_true: np.ndarray,
    proposed: np.ndarray,
    final: np.ndarray,
    escalate: np.ndarray,
    train_texts: np.ndarray,
    train_y: np.ndarray,
    test_texts: np.ndarray,
) -> TargetEvaluation:
    """All figures of one target from the labels, the classifier's proposals and the final decisions."""
    from .training import text_baseline

    labels = _ordered(target, np.concatenate([y_true, proposed]))
    p, r, f, s = precision_recall_fscore_support(y_true, proposed, labels=labels, zero_division=0)
    baseline = text_baseline().fit(train_texts, train_y).predict(test_texts)
    majority = DummyClassifier(strategy="most_frequent").fit(np.zeros((len(train_y), 1)), train_y).predict(np.zeros((len(y_true), 1)))
    return TargetEvaluation(
        target=target,
        labels=[str(x) for x in labels],
        validation_rows=int(len(y_true)),
        per_class=[ClassScores(str(lab), round(float(a), 4), round(float(b), 4), round(float(c), 4), int(d)) for lab, a, b, c, d in zip(labels, p, r, f, s)],
        model=_scores(y_true, proposed, labels),
        after_policy=_scores(y_true, final, labels),
        baseline_tfidf_logreg=_scores(y_true, baseline, labels),
        baseline_majority=_scores(y_true, majority, labels),
        confusion=confusion_matrix(y_true, proposed, labels=labels).tolist(),
        escalation=escalation_recall(target, y_true, final, escalate),
    )


def evaluate_model(
    model: str | Path | None,
    export: str | Path,
    config: str | Path | Config | None = None,
    labels: LabelOptions | None = None,
    columns: Mapping[str, str] | None = None,
    filter_language: str | None = None,
    engine=None,
) -> Evaluation:
    """Score the validation rows of ``export`` with the model and compare it with the baselines."""
    from .columns import prepare
    from .engine import load
    from .signals import ticket_texts
    from .training import file_sha256

    settings = config if isinstance(config, Config) else load_config(config)
    engine = engine or load(model, settings)
    frame = read_export(export, filter_language)
    data = read_labelled_export(frame, settings, labels, columns)
    texts = np.array(ticket_texts(prepare(data.frame, data.columns))[0], dtype=object)
    val = data.validation
    scored = score_at_creation(engine, data.frame[val].reset_index(drop=True), data.columns)
    trained_sha = engine.model.manifest["classifier"].get("training_data", {}).get("sha256")
    result = Evaluation(
        model=str(engine.model.path),
        export=str(export),
        split=data.split,
        rows=int(len(data.frame)),
        trained_on_this_export=trained_sha == file_sha256(Path(export)),
    )
    if data.dropped_rows:
        result.notes.append(f"{data.dropped_rows} rows without any label were left out")
    for target in data.targets():
        y = data.labels(target)
        labelled = (y != "") if target == "priority" else (y != 0)
        column = "priority" if target == "priority" else "tier"
        proposed = scored[f"model_{column}"].to_numpy()
        final = scored[column].to_numpy()
        if target == "tier":
            proposed, final = proposed.astype(int), final.astype(int)
        mask = labelled[val]
        train = labelled & ~val
        result.targets[target] = evaluate_target(
            target, y[val][mask], proposed[mask], final[mask], scored["escalate"].to_numpy(dtype=bool)[mask],
            texts[train], y[train], texts[val][mask],
        )
    return result


def score_at_creation(engine, frame: pd.DataFrame, found: Mapping[str, str]) -> pd.DataFrame:
    """Score tickets as triage would have when they arrived: without the SLA clocks, which would
    otherwise read old tickets as breached today and escalate them. Contact counts from history
    need the creation time too, so only an explicit contact count column is read."""
    columns = {k: v for k, v in found.items() if k != "created_at"}
    # Only the columns triage reads: labels and outcomes (priority, tier, escalated) stay out of it.
    inputs = list(dict.fromkeys(columns.values()))
    return engine.score_frame(frame[inputs], columns, check_duplicate_ids=False)


def plot_confusion(evaluation: TargetEvaluation, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.array(evaluation.confusion)
    fig, ax = plt.subplots(figsize=(1.2 * len(evaluation.labels) + 2, 1.1 * len(evaluation.labels) + 1.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(evaluation.labels)), evaluation.labels)
    ax.set_yticks(range(len(evaluation.labels)), evaluation.labels)
    ax.set_xlabel("proposed by triage")
    ax.set_ylabel("label")
    ax.set_title(f"{evaluation.target}: macro-F1 {evaluation.model['macro_f1']:.3f} ({evaluation.validation_rows} tickets)")
    top = matrix.max() if matrix.size else 0
    for (i, j), n in np.ndenumerate(matrix):
        ax.text(j, i, str(n), ha="center", va="center", color="white" if n > top / 2 else "black")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_report(evaluation: Evaluation, folder: str | Path) -> list[Path]:
    """Write metrics.json, report.md and one confusion-matrix PNG per target into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / "metrics.json", folder / "report.md"]
    written[0].write_text(json.dumps(evaluation.to_dict(), indent=2) + "\n", encoding="utf-8")
    written[1].write_text(evaluation.markdown(), encoding="utf-8")
    for target in evaluation.targets.values():
        written.append(plot_confusion(target, folder / confusion_png_name(target.target)))
    return written
