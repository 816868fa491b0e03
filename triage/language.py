"""Which language a ticket is written in, so the English-only models are not trusted on others.

Detection uses py3langid (a naive Bayes model over byte n-grams that ships inside its wheel). A
language column in the export, when present, wins over detection. Short texts carry too little
evidence to call ("refund", "Still broken"), so a text counts as another language only when the
detector is confident and the text has enough words; otherwise the models' own language is
assumed. Not for a text written mostly outside the Latin alphabet, however short: Chinese or
Japanese has no spaces to count words by, and such a text cannot be English, so the detector's
answer stands ("und", undetermined, when it still says English).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass

# Languages the detector may answer; rarer ones it knows mostly turn up as wrong calls on short
# or noisy English (Swahili for "refund", Extremaduran for "Hola gracias").
CANDIDATES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "sv", "da", "no", "fi", "pl", "cs", "sk", "hu", "ro",
    "el", "tr", "ru", "uk", "bg", "ar", "he", "fa", "hi", "bn", "ja", "zh", "ko", "vi", "th", "id", "ms",
)
NAMES = {
    "english": "en", "german": "de", "deutsch": "de", "french": "fr", "français": "fr", "spanish": "es",
    "español": "es", "italian": "it", "portuguese": "pt", "dutch": "nl", "swedish": "sv", "danish": "da",
    "norwegian": "no", "finnish": "fi", "polish": "pl", "czech": "cs", "russian": "ru", "japanese": "ja",
    "chinese": "zh", "korean": "ko", "turkish": "tr", "arabic": "ar",
}
MIN_WORDS = 4
MIN_PROBABILITY = 0.95
_WORD = re.compile(r"[^\W\d_]{2,}")


def _mostly_other_script(text: str) -> bool:
    """Most of the words are outside the Latin alphabet. Fullwidth letters count as Latin; in
    Chinese, Japanese and Korean, written without spaces, each character counts as a word, so
    "Outlook 403 エラー" or "iPhone 15 Pro 坏了" is not taken for English."""
    latin = other = 0
    for run in _LETTER_RUN.findall(unicodedata.normalize("NFKC", text)):
        ideographs = sum(1 for c in run if _is_ideograph(c))
        if ideographs:
            other += ideographs
        elif all(c <= "\u024f" for c in run):
            latin += 1
        else:
            other += 1
    return other > 0 and other >= latin


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _is_ideograph(char: str) -> bool:
    """Han, kana or hangul."""
    code = ord(char)
    return 0x3040 <= code <= 0x30FF or 0x3400 <= code <= 0x9FFF or 0xAC00 <= code <= 0xD7AF or 0xF900 <= code <= 0xFAFF or code >= 0x20000


@dataclass(frozen=True)
class LanguageGuess:
    code: str  # ISO 639-1, or "" for a text with nothing to read
    source: str  # "declared" (the export's column), "detected", "assumed" (too little text) or "none"
    probability: float = 1.0


def normalise_code(value: str) -> str:
    """'en-US', 'EN', 'English' -> 'en'; unknown spellings come back lower-cased."""
    text = value.strip().lower()
    if text in NAMES:
        return NAMES[text]
    return re.split(r"[-_]", text, maxsplit=1)[0]


class LanguageDetector:
    """Guesses the language of each ticket; safe to share between threads."""

    def __init__(self, default: str = "en"):
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        self.default = default
        self._identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
        self._identifier.set_languages(list(CANDIDATES))
        self._lock = threading.Lock()

    def guess(self, text: str, declared: str = "") -> LanguageGuess:
        if declared.strip():
            return LanguageGuess(normalise_code(declared), "declared")
        if not text.strip():
            return LanguageGuess("", "none", 0.0)
        other_script = _mostly_other_script(text)
        if not other_script and len(_WORD.findall(text)) < MIN_WORDS:
            return LanguageGuess(self.default, "assumed", 0.0)
        with self._lock:
            code, probability = self._identifier.classify(text)
        if other_script:
            return LanguageGuess("und" if code == "en" else code, "detected", float(probability))
        if code != self.default and probability < MIN_PROBABILITY:
            return LanguageGuess(self.default, "assumed", float(probability))
        return LanguageGuess(code, "detected", float(probability))

    def guess_all(self, texts: list[str], declared: list[str] | None = None) -> list[LanguageGuess]:
        declared = declared or [""] * len(texts)
        return [self.guess(text, given) for text, given in zip(texts, declared)]
