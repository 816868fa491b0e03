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
from .language import LanguageDetector, LanguageGuess
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
    languages: list[LanguageGuess]


class SignalExtractor:
    """Runs the encoder, the sentiment head and the keyword matcher over a batch of texts."""

    def __init__(
        self,
        encoder: TextEncoder,
        sentiment_head: SentimentHead,
        keyword_nlp,
        config: Config,
        languages: tuple[str, ...] = ("en",),
    ):
        self.encoder = encoder
        self.sentiment_head = sentiment_head
        self.keyword_nlp = keyword_nlp
        self.config = config
        self.languages = languages
        self.language_detector = LanguageDetector(default=languages[0])

    def supports(self, guess: LanguageGuess) -> bool:
        return guess.code in ("", *self.languages)

    def embed_and_judge(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Embeddings and sentiment probabilities; each distinct non-empty text goes through the
        encoder once. Empty texts get a zero embedding and neutral sentiment."""
        unique = sorted({t for t in texts if t})
        embeddings = np.zeros((len(texts), self.sentiment_head.coef_.shape[1]), dtype=np.float32)
        proba = np.tile(_NEUTRAL, (len(texts), 1))
        if unique:
            windows = self.encoder.encode_windows(unique)
            position = {text: i for i, text in enumerate(unique)}
            rows = [i for i, t in enumerate(texts) if t]
            source = [position[texts[i]] for i in rows]
            embeddings[rows] = windows.text_embeddings()[source]
            proba[rows] = self.sentiment_head.text_proba(windows)[source]
        return embeddings, proba

    def keywords(self, texts: list[str]) -> list[list[KeywordHit]]:
        """The keyword hits that count, per text."""
        return list(find_keywords(self.keyword_nlp, texts))

    def extract(self, texts: list[str], tickets: PreparedTickets) -> Signals:
        embeddings, proba = self.embed_and_judge(texts)
        languages = self.language_detector.guess_all(texts, tickets.languages or None)
        # A sentiment read from a language the model never saw is a confident guess at best.
        proba[[i for i, guess in enumerate(languages) if not self.supports(guess)]] = _NEUTRAL
        hits = self.keywords(texts)
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
        return Signals(embeddings, proba, hits, vip, classifier_input(texts, numeric), languages)


def ticket_texts(tickets: PreparedTickets) -> tuple[list[str], list[CleanedText]]:
    """The cleaned text each ticket is judged on (subject, then body), and what cleaning removed."""
    cleaned = [clean_text(body) for body in tickets.bodies]
    return [compose_text(subject, c.text) for subject, c in zip(tickets.subjects, cleaned)], cleaned
