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
    steps = base_pipeline(classifier)[:-1]
    if len(steps) == 1 and _is_words_and_scaled_signals(steps[0]):
        return _words_and_scaled_signals(steps[0], features)
    return steps.transform(features)


def _is_words_and_scaled_signals(step) -> bool:
    from sklearn.compose import ColumnTransformer
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import StandardScaler

    if not isinstance(step, ColumnTransformer) or not step.sparse_output_:
        return False
    kinds = [(t if isinstance(t, str) else type(t)) for _, t, _ in step.transformers_]
    return kinds[:2] == [TfidfVectorizer, StandardScaler] and all(k == "drop" for k in kinds[2:])


def _words_and_scaled_signals(step, features: pd.DataFrame):
    """What ``step.transform(features)`` returns for the shipped layout (TF-IDF of the text column,
    standardised signal columns), without scikit-learn's checks of every column of the frame: on a
    one-ticket frame of 400 columns those checks cost more than the transformer's forward pass."""
    from scipy import sparse

    (words_name, words, text_column), (signals_name, scaler, signal_columns) = step.transformers_[:2]
    weights = step.transformer_weights or {}
    text = words.transform(features[text_column])
    # In place and in the columns' own float type, as StandardScaler does, so the values are the same bits.
    scaled = features[list(signal_columns)].to_numpy(copy=True)
    if not np.issubdtype(scaled.dtype, np.floating):
        scaled = scaled.astype(np.float64)
    scaled -= scaler.mean_.astype(scaled.dtype)
    scaled /= scaler.scale_.astype(scaled.dtype)
    return sparse.hstack(
        [text * weights.get(words_name, 1.0), sparse.csr_matrix(scaled * weights.get(signals_name, 1.0))], format="csr"
    )


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
