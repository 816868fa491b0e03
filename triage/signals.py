"""Turn cleaned ticket texts and customer values into the signals rules and classifier read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import PreparedTickets
from .config import Config
from .encoder import TextEncoder
from .features import build_features, classifier_input, keyword_counts
from .keywords import KeywordHit, find_keywords
from .sentiment import SentimentHead
from .text import CleanedText, clean_text, compose_text

_NEUTRAL = np.array([0.0, 1.0, 0.0], dtype=np.float32)


@dataclass
class Signals:
    embeddings: np.ndarray
    sentiment_proba: np.ndarray
    hits: list[list[KeywordHit]]
    vip: np.ndarray
    features: pd.DataFrame


class SignalExtractor:
    """Runs the encoder, the sentiment head and the keyword matcher over a batch of texts."""

    def __init__(self, encoder: TextEncoder, sentiment_head: SentimentHead, keyword_nlp, config: Config):
        self.encoder = encoder
        self.sentiment_head = sentiment_head
        self.keyword_nlp = keyword_nlp
        self.config = config

    def embed(self, texts: list[str]) -> np.ndarray:
        """Embeddings; each distinct non-empty text goes through the encoder once, empty ones stay zero."""
        unique = sorted({t for t in texts if t})
        embeddings = np.zeros((len(texts), self.sentiment_head.coef_.shape[1]), dtype=np.float32)
        if unique:
            vectors = self.encoder.encode(unique)
            position = {text: i for i, text in enumerate(unique)}
            rows = [i for i, t in enumerate(texts) if t]
            embeddings[rows] = vectors[[position[texts[i]] for i in rows]]
        return embeddings

    def sentiment(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        proba = np.tile(_NEUTRAL, (len(texts), 1))
        rows = [i for i, t in enumerate(texts) if t]
        if rows:
            proba[rows] = self.sentiment_head.predict_proba(embeddings[rows])
        return proba

    def extract(self, texts: list[str], tickets: PreparedTickets) -> Signals:
        embeddings = self.embed(texts)
        proba = self.sentiment(texts, embeddings)
        hits = list(find_keywords(self.keyword_nlp, texts))
        vip = np.array(
            [flag if flag is not None else self.config.is_vip_tier(tier) for flag, tier in zip(tickets.is_vip_flag, tickets.customer_tier)],
            dtype=bool,
        )
        numeric = build_features(
            embeddings,
            proba,
            keyword_counts([[h.category for h in row] for row in hits]),
            tickets.contact_count,
            tickets.ltv,
            tickets.revenue_impact,
            vip,
        )
        return Signals(embeddings, proba, hits, vip, classifier_input(texts, numeric))


def ticket_texts(tickets: PreparedTickets) -> tuple[list[str], list[CleanedText]]:
    """The cleaned text each ticket is judged on (subject, then body), and what cleaning removed."""
    cleaned = [clean_text(body) for body in tickets.bodies]
    return [compose_text(subject, c.text) for subject, c in zip(tickets.subjects, cleaned)], cleaned
