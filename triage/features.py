"""The classifier's inputs: one row of numbers per ticket, built the same way in training and scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .encoder import EMBEDDING_DIM
from .keywords import DEFAULT_CATEGORIES
from .sentiment import SENTIMENT_LABELS

SIGNAL_FEATURES = (
    *(f"sentiment_{label}" for label in SENTIMENT_LABELS),
    *(f"keyword_{category}" for category in DEFAULT_CATEGORIES),
    "contact_count",
    "log_ltv",
    "log_revenue_impact",
    "vip",
)
NUMERIC_FEATURES = (*(f"embedding_{i}" for i in range(EMBEDDING_DIM)), *SIGNAL_FEATURES)
TEXT_FEATURE = "text"
FEATURE_NAMES = (*NUMERIC_FEATURES, TEXT_FEATURE)


def keyword_counts(categories_per_ticket: list[list[str]]) -> np.ndarray:
    """Number of distinct matched phrases per default category, per ticket."""
    index = {category: i for i, category in enumerate(DEFAULT_CATEGORIES)}
    counts = np.zeros((len(categories_per_ticket), len(DEFAULT_CATEGORIES)), dtype=np.float32)
    for row, categories in enumerate(categories_per_ticket):
        for category in categories:
            if category in index:
                counts[row, index[category]] += 1
    return counts


def build_features(
    embeddings: np.ndarray,
    sentiment_proba: np.ndarray,
    keyword_count_matrix: np.ndarray,
    contact_count: np.ndarray,
    ltv: np.ndarray,
    revenue_impact: np.ndarray,
    vip: np.ndarray,
) -> np.ndarray:
    """Stack the signals; unknown customer values count as a first contact with no known value."""
    contacts = np.where(np.isnan(contact_count), 1.0, contact_count)
    return np.hstack(
        [
            embeddings.astype(np.float32),
            sentiment_proba.astype(np.float32),
            np.log1p(keyword_count_matrix),
            np.log1p(np.clip(contacts - 1.0, 0, None))[:, None],
            np.log1p(np.clip(np.nan_to_num(ltv, nan=0.0), 0, None))[:, None],
            np.log1p(np.clip(np.nan_to_num(revenue_impact, nan=0.0), 0, None))[:, None],
            vip.astype(np.float32)[:, None],
        ]
    ).astype(np.float32)


def classifier_input(texts: list[str], numeric: np.ndarray) -> pd.DataFrame:
    """The frame the classifier pipelines read: the numeric signals plus the cleaned text (for TF-IDF)."""
    frame = pd.DataFrame(numeric, columns=list(NUMERIC_FEATURES))
    frame[TEXT_FEATURE] = texts
    return frame
