"""Name the model's main signals for a decision, in words a support lead can check.

The classifiers are logistic regressions, so a class's score is a sum of per-feature terms. For the
proposed class we take each term relative to the average over classes, group the 384 embedding
dimensions into one "overall wording" signal and the three sentiment probabilities into one, and
report the largest positive groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from .classifier import base_pipeline

_SIGNAL_LABELS = {
    "contact_count": "contact count",
    "log_ltv": "lifetime value",
    "log_revenue_impact": "revenue impact",
    "vip": "VIP customer",
}


def _group(name: str) -> str:
    step, _, feature = name.partition("__")
    if step == "words":
        # Fragments such as "co" (from t.co links) explain nothing to a reader.
        return f"'{feature}'" if len(feature) > 2 else "overall wording"
    if feature.startswith("embedding_"):
        return "overall wording"
    if feature.startswith("sentiment_"):
        return "sentiment"
    if feature.startswith("keyword_"):
        return f"{feature[len('keyword_'):]} words"
    return _SIGNAL_LABELS.get(feature, feature)


def top_signals(classifier, features: pd.DataFrame, predicted: list, limit: int = 3) -> list[list[str]]:
    """For each row, the names of the ``limit`` feature groups that pushed most toward ``predicted``."""
    pipeline = base_pipeline(classifier)
    transform, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    names = transform.get_feature_names_out()
    groups = np.array([_group(n) for n in names], dtype=object)
    matrix = sparse.csr_matrix(transform.transform(features))
    relative = model.coef_ - model.coef_.mean(axis=0, keepdims=True)
    classes = list(model.classes_)
    out = []
    for row, label in enumerate(predicted):
        weights = relative[classes.index(label)]
        start, end = matrix.indptr[row], matrix.indptr[row + 1]
        columns = matrix.indices[start:end]
        terms = matrix.data[start:end] * weights[columns]
        totals: dict[str, float] = {}
        for group, value in zip(groups[columns], terms):
            totals[group] = totals.get(group, 0.0) + float(value)
        ranked = sorted((g for g, v in totals.items() if v > 0), key=lambda g: -totals[g])
        out.append(ranked[:limit])
    return out


def describe_signals(groups: list[str]) -> str:
    if not groups:
        return "no single strong signal"
    if len(groups) == 1:
        return groups[0]
    return ", ".join(groups[:-1]) + " and " + groups[-1]
