"""Name the model's main signals for a decision, in words a support lead can check.

The classifiers are logistic regressions, so a class's score is a sum of per-feature terms. For the
proposed class we take each term relative to the average over classes, group the 384 embedding
dimensions into one "overall wording" signal and the three sentiment probabilities into one, and
report the largest positive groups.
"""

from __future__ import annotations

from weakref import WeakKeyDictionary

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


_GROUPS: WeakKeyDictionary = WeakKeyDictionary()  # fitted feature transform -> (group names, group of each column)


def _feature_groups(transform) -> tuple[np.ndarray, np.ndarray]:
    found = _GROUPS.get(transform)
    if found is None:
        per_column = [_group(n) for n in transform.get_feature_names_out()]
        names, index = np.unique(np.array(per_column, dtype=object), return_inverse=True)
        found = _GROUPS[transform] = (names, index.astype(np.int64))
    return found


def top_signals(classifier, features: pd.DataFrame, predicted: list, limit: int = 3, matrix=None) -> list[list[str]]:
    """For each row, the names of the ``limit`` feature groups that pushed most toward ``predicted``:
    the groups whose terms sum to the most, ties going to the group met first in the row.

    ``matrix`` is :func:`triage.classifier.feature_matrix` of ``features`` when the caller has it.
    All rows are done at once with arrays; each group's terms are summed in the row's column order,
    so the sums, and the ranking, are those of adding them up one by one."""
    pipeline = base_pipeline(classifier)
    transform, model = pipeline.named_steps["features"], pipeline.named_steps["model"]
    names, group_of = _feature_groups(transform)
    matrix = sparse.csr_matrix(transform.transform(features) if matrix is None else matrix)
    relative = model.coef_ - model.coef_.mean(axis=0, keepdims=True)
    classes = list(model.classes_)
    rows = len(predicted)
    out: list[list[str]] = [[] for _ in range(rows)]
    if not rows:
        return out
    label = np.array([classes.index(value) for value in predicted])
    stored = matrix.indptr[rows]
    row_of = np.repeat(np.arange(rows), np.diff(matrix.indptr[: rows + 1]))
    columns = matrix.indices[:stored]
    terms = matrix.data[:stored] * relative[label[row_of], columns]
    keys = row_of * len(names) + group_of[columns]
    unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    totals = np.bincount(inverse.ravel(), weights=terms, minlength=len(unique))
    positive = totals > 0
    row, group, total, seen = unique[positive] // len(names), unique[positive] % len(names), totals[positive], first[positive]
    order = np.lexsort((seen, -total, row))
    row, group = row[order], group[order]
    rank = np.arange(len(row)) - np.searchsorted(row, row)
    for r, g in zip(row[rank < limit].tolist(), group[rank < limit].tolist()):
        out[r].append(names[g])
    return out


def describe_signals(groups: list[str]) -> str:
    if not groups:
        return "no single strong signal"
    if len(groups) == 1:
        return groups[0]
    return ", ".join(groups[:-1]) + " and " + groups[-1]
