"""Measure a sentiment model on the held-out part of a labelled data set.

Reports what the scoring path produces (the encoder at its configured precision, windows, the
head): accuracy, macro-F1, per-class figures, how well the probabilities are calibrated, and how
the policy's "angry" threshold separates negative texts from the rest. A TF-IDF + logistic
regression baseline, trained on the same training rows, is measured beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from .encoder import TextEncoder
from .sentiment import SENTIMENT_LABELS, SentimentHead
from .sentiment_tuning import LabelledSentiment

REQUIRED = {"accuracy": 0.85, "macro_f1": 0.80}
GOAL = {"accuracy": 0.87, "macro_f1": 0.83}


@dataclass
class SentimentReport:
    rows: int
    accuracy: float
    macro_f1: float
    per_class: dict[str, dict[str, float]]
    confusion: list[list[int]]
    expected_calibration_error: float
    reliability: list[dict[str, float]]
    angry_threshold: float
    angry_precision: float  # of texts scored below the threshold, the share labelled negative
    angry_recall: float  # of texts labelled negative, the share scored below the threshold
    angry_share_of_others: float
    baselines: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def manifest_figures(self) -> dict[str, Any]:
        """The figures a model manifest keeps (and its card shows)."""
        return {
            "accuracy": self.accuracy,
            "macro_f1": self.macro_f1,
            "per_class": self.per_class,
            "expected_calibration_error": self.expected_calibration_error,
            "angry_threshold": self.angry_threshold,
            "angry_threshold_precision": self.angry_precision,
            "angry_threshold_share_of_negatives": self.angry_recall,
            "angry_threshold_share_of_others": self.angry_share_of_others,
            "baselines": self.baselines,
        }


def sentiment_proba(encoder: TextEncoder, head: SentimentHead, texts: list[str]) -> np.ndarray:
    """Probabilities as scoring computes them (empty texts neutral)."""
    proba = np.tile(np.array([0.0, 1.0, 0.0], dtype=np.float32), (len(texts), 1))
    rows = [i for i, t in enumerate(texts) if t]
    if rows:
        proba[rows] = head.text_proba(encoder.encode_windows([texts[i] for i in rows]))
    return proba


def calibration(labels: np.ndarray, proba: np.ndarray, bins: int = 10) -> tuple[float, list[dict[str, float]]]:
    """Expected calibration error of the top-class probability, and the table behind it."""
    predicted = np.array(SENTIMENT_LABELS)[proba.argmax(1)]
    confidence = proba.max(1)
    correct = predicted == labels
    edges = np.linspace(1 / len(SENTIMENT_LABELS), 1.0, bins + 1)
    table, error = [], 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        inside = (confidence >= low) & ((confidence < high) | (high == 1.0))
        if not inside.any():
            continue
        gap = abs(float(correct[inside].mean()) - float(confidence[inside].mean()))
        error += inside.mean() * gap
        table.append(
            {
                "from": round(float(low), 3),
                "to": round(float(high), 3),
                "texts": int(inside.sum()),
                "mean_confidence": round(float(confidence[inside].mean()), 4),
                "accuracy": round(float(correct[inside].mean()), 4),
            }
        )
    return round(float(error), 4), table


def tfidf_baseline(data: LabelledSentiment) -> dict[str, float]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = np.array(data.texts, dtype=object)
    train = ~data.held_out
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True), LogisticRegression(C=10, max_iter=2000))
    model.fit(texts[train], data.labels[train])
    predicted = model.predict(texts[data.held_out])
    truth = data.labels[data.held_out]
    return {"accuracy": round(float(accuracy_score(truth, predicted)), 4), "macro_f1": round(float(f1_score(truth, predicted, average="macro")), 4)}


def evaluate_sentiment(
    data: LabelledSentiment, encoder: TextEncoder, head: SentimentHead, angry_threshold: float = -0.7, baselines: bool = True
) -> SentimentReport:
    texts = [t for t, held in zip(data.texts, data.held_out) if held]
    truth = data.labels[data.held_out]
    if not len(texts):
        raise ValueError("The data set has no held-out rows to evaluate on.")
    proba = sentiment_proba(encoder, head, texts)
    predicted = np.array(SENTIMENT_LABELS)[proba.argmax(1)]
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=list(SENTIMENT_LABELS), zero_division=0)
    per_class = {
        label: {"precision": round(float(p), 4), "recall": round(float(r), 4), "f1": round(float(f), 4), "support": int(s)}
        for label, p, r, f, s in zip(SENTIMENT_LABELS, precision, recall, f1, support)
    }
    ece, table = calibration(truth, proba)
    angry = SentimentHead.score_from_proba(proba) < angry_threshold
    negative = truth == "negative"
    return SentimentReport(
        rows=len(texts),
        accuracy=round(float(accuracy_score(truth, predicted)), 4),
        macro_f1=round(float(f1_score(truth, predicted, average="macro")), 4),
        per_class=per_class,
        confusion=confusion_matrix(truth, predicted, labels=list(SENTIMENT_LABELS)).tolist(),
        expected_calibration_error=ece,
        reliability=table,
        angry_threshold=angry_threshold,
        angry_precision=round(float(negative[angry].mean()) if angry.any() else 0.0, 4),
        angry_recall=round(float(angry[negative].mean()) if negative.any() else 0.0, 4),
        angry_share_of_others=round(float(angry[~negative].mean()) if (~negative).any() else 0.0, 4),
        baselines={"TF-IDF + logistic regression": tfidf_baseline(data)} if baselines else {},
    )


def format_report(report: SentimentReport) -> str:
    lines = [f"Sentiment on {report.rows} held-out texts", "", f"{'model':<32}{'accuracy':>10}{'macro-F1':>10}"]
    lines.append(f"{'this model':<32}{report.accuracy:>10.3f}{report.macro_f1:>10.3f}")
    for name, scores in report.baselines.items():
        lines.append(f"{name:<32}{scores['accuracy']:>10.3f}{scores['macro_f1']:>10.3f}")
    for name, target in (("required", REQUIRED), ("goal", GOAL)):
        met = report.accuracy >= target["accuracy"] and report.macro_f1 >= target["macro_f1"]
        lines.append(f"{name:<32}{target['accuracy']:>10.3f}{target['macro_f1']:>10.3f}   {'met' if met else 'NOT met'}")
    lines += ["", f"{'class':<12}{'precision':>10}{'recall':>10}{'F1':>10}{'texts':>8}"]
    for label, scores in report.per_class.items():
        lines.append(f"{label:<12}{scores['precision']:>10.3f}{scores['recall']:>10.3f}{scores['f1']:>10.3f}{scores['support']:>8}")
    lines += ["", "confusion (rows: label, columns: predicted " + " / ".join(SENTIMENT_LABELS) + ")"]
    lines += [f"  {label:<10}" + "".join(f"{n:>8}" for n in row) for label, row in zip(SENTIMENT_LABELS, report.confusion)]
    lines += [
        "",
        f"calibration: expected calibration error {report.expected_calibration_error:.3f} (top-class probability, 10 bins)",
        f"angry threshold (sentiment < {report.angry_threshold}): precision {report.angry_precision:.3f} for negative texts, "
        f"recall {report.angry_recall:.3f} of negative texts, {report.angry_share_of_others:.3f} of the other texts",
    ]
    return "\n".join(lines)
