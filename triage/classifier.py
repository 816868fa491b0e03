"""How the trained classifiers propose a label and how sure they are.

Each shipped classifier is a calibrated wrapper around one pipeline trained with balanced class
weights. The label comes from that pipeline, so rare classes keep the recall the weights bought;
the confidence is the calibrated probability of that label, so 70 % means right about 70 % of the time.
"""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd


def base_pipeline(classifier):
    """The fitted pipeline inside a calibrated classifier (or the classifier itself)."""
    calibrated = getattr(classifier, "calibrated_classifiers_", None)
    return calibrated[0].estimator if calibrated else classifier


def feature_matrix(classifier, features: pd.DataFrame):
    """The features as the pipeline's final model reads them (computed once, then given to
    :func:`propose` and :func:`triage.explain.top_signals`)."""
    pipeline = base_pipeline(classifier)
    return pipeline[:-1].transform(features)


def _calibrated_proba(classifier, matrix) -> np.ndarray:
    """``classifier.predict_proba`` from the transformed features: each calibrated classifier's
    sigmoid applied to the final model's decision function, averaged as scikit-learn does."""
    calibrated = getattr(classifier, "calibrated_classifiers_", None)
    if not calibrated:
        return base_pipeline(classifier)[-1].predict_proba(matrix)
    total = np.zeros((matrix.shape[0], len(classifier.classes_)))
    for part in calibrated:
        on_matrix = copy.copy(part)
        on_matrix.estimator = part.estimator[-1]  # the pipeline's model, fed the pipeline's features
        total += on_matrix.predict_proba(matrix)
    total /= len(calibrated)
    return total


def propose(classifier, features: pd.DataFrame, matrix=None) -> tuple[np.ndarray, np.ndarray]:
    """Labels from the balanced pipeline and the calibrated probability of each label.

    ``matrix`` is :func:`feature_matrix` of ``features`` when the caller has it already."""
    if matrix is None:
        labels = base_pipeline(classifier).predict(features)
        proba = classifier.predict_proba(features)
    else:
        labels = base_pipeline(classifier)[-1].predict(matrix)
        proba = _calibrated_proba(classifier, matrix)
    columns = {label: k for k, label in enumerate(classifier.classes_)}
    confidence = proba[np.arange(len(labels)), [columns[label] for label in labels]]
    return labels, confidence
