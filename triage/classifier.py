"""How the trained classifiers propose a label and how sure they are.

Each shipped classifier is a calibrated wrapper around one pipeline trained with balanced class
weights. The label comes from that pipeline, so rare classes keep the recall the weights bought;
the confidence is the calibrated probability of that label, so 70 % means right about 70 % of the time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def base_pipeline(classifier):
    """The fitted pipeline inside a calibrated classifier (or the classifier itself)."""
    calibrated = getattr(classifier, "calibrated_classifiers_", None)
    return calibrated[0].estimator if calibrated else classifier


def propose(classifier, features: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Labels from the balanced pipeline and the calibrated probability of each label."""
    labels = base_pipeline(classifier).predict(features)
    proba = classifier.predict_proba(features)
    columns = {label: k for k, label in enumerate(classifier.classes_)}
    confidence = proba[np.arange(len(labels)), [columns[label] for label in labels]]
    return labels, confidence
