"""Three-way sentiment (negative / neutral / positive) read from the shared sentence embedding.

The head is a multinomial logistic regression over the encoder's mean-pooled embedding, trained on
../shared/data/airline_sentiment/. It is stored as plain tensors (safetensors), never pickled.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from .errors import ModelLoadError

SENTIMENT_LABELS = ("negative", "neutral", "positive")


class SentimentHead(ClassifierMixin, BaseEstimator):
    """Softmax over a linear map of sentence embeddings; ``score`` = P(positive) - P(negative)."""

    def __init__(self, C: float = 1.0, max_iter: int = 3000):
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: np.ndarray, y) -> "SentimentHead":
        y = np.asarray(y)
        unknown = set(y) - set(SENTIMENT_LABELS)
        if unknown:
            raise ValueError(f"Sentiment labels must be {list(SENTIMENT_LABELS)}; got also {sorted(unknown)}.")
        model = LogisticRegression(C=self.C, max_iter=self.max_iter).fit(X, y)
        order = [list(model.classes_).index(label) for label in SENTIMENT_LABELS]
        self.coef_ = model.coef_[order].astype(np.float32)
        self.intercept_ = model.intercept_[order].astype(np.float32)
        self.classes_ = np.array(SENTIMENT_LABELS)
        return self

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self, "coef_")
        logits = np.asarray(X, dtype=np.float32) @ self.coef_.T + self.intercept_
        logits -= logits.max(axis=1, keepdims=True)
        exp = np.exp(logits)
        return exp / exp.sum(axis=1, keepdims=True)

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.predict_proba(X).argmax(axis=1)]

    def text_proba(self, windows) -> np.ndarray:
        """Per-text probabilities from the windows of long texts (a :class:`WindowEmbeddings`).

        A text whose windows all read calm gets the token-weighted mean of its windows; a text
        with any window that reads negative gets that most negative window, so an angry closing
        paragraph is not averaged away by a long, neutral description before it.
        """
        window_proba = self.predict_proba(windows.vectors)
        out = np.zeros((windows.n_texts, len(SENTIMENT_LABELS)), dtype=np.float32)
        weights = np.maximum(windows.tokens, 1.0)[:, None]
        np.add.at(out, windows.owners, window_proba * weights)
        totals = np.zeros(windows.n_texts, dtype=np.float32)
        np.add.at(totals, windows.owners, weights[:, 0])
        out /= np.maximum(totals, 1.0)[:, None]
        negative = window_proba.argmax(axis=1) == 0
        score = self.score_from_proba(window_proba)
        for owner in np.unique(windows.owners[negative]):
            mine = np.flatnonzero((windows.owners == owner) & negative)
            out[owner] = window_proba[mine[np.argmin(score[mine])]]
        return out

    @staticmethod
    def score_from_proba(proba: np.ndarray) -> np.ndarray:
        return (proba[:, 2] - proba[:, 0]).astype(float)

    def save(self, path: Path) -> None:
        check_is_fitted(self, "coef_")
        save_file({"coef": self.coef_, "intercept": self.intercept_}, str(path), metadata={"labels": ",".join(SENTIMENT_LABELS)})

    @classmethod
    def load(cls, path: Path) -> "SentimentHead":
        try:
            tensors = load_file(str(path))
        except Exception as exc:  # safetensors raises several types for a damaged file
            raise ModelLoadError(f"Cannot read sentiment head '{path}': {exc}.") from exc
        if set(tensors) != {"coef", "intercept"} or tensors["coef"].shape[0] != len(SENTIMENT_LABELS):
            raise ModelLoadError(
                f"Sentiment head '{path}' must hold 'coef' (3 x dim) and 'intercept' (3); found {sorted(tensors)}."
            )
        head = cls()
        head.coef_ = tensors["coef"]
        head.intercept_ = tensors["intercept"]
        head.classes_ = np.array(SENTIMENT_LABELS)
        return head
