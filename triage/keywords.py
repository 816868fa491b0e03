"""The keyword matcher: a spaCy component that finds legal, media, security ... phrases in ticket text.

Patterns live in JSONL files (one object a line: ``{"category": "legal", "pattern": "small claims
court"}``). By default a pattern matches on lower-cased lemmas, so "sue" finds "sued" and "suing"
and "LAWYER" finds "lawyers"; ``"match": "exact"`` matches the lower-cased words as written, for
words whose lemma would change their meaning ("media" -> "medium", "worst" -> "wrong"). Matching
runs on whole tokens, so "issue" never matches "sue" and "illegal" never matches "legal".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterable, Iterator

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .errors import ConfigError

DEFAULT_CATEGORIES = (
    "legal",
    "media",
    "regulatory",
    "security",
    "outage",
    "billing",
    "account_access",
    "frustration",
    "manager_request",
    "bug",
)

# A threat word glued by a hyphen to its neighbour names a thing, not a threat:
# "social-media login", "legal-hold setting", "press-kit". Other categories keep such matches
# ("double-charged" is still a billing complaint).
COMPOUND_SENSITIVE = frozenset({"legal", "media"})

MATCH_MODES = ("lemma", "exact")

if not Doc.has_extension("keyword_hits"):
    Doc.set_extension("keyword_hits", default=None)


@dataclass(frozen=True)
class KeywordHit:
    """One matched phrase: its category, the words as written, where they stand."""

    category: str
    text: str
    start_char: int
    end_char: int
    sentence: int  # 1-based

    def describe(self) -> str:
        return f"{self.category}: '{self.text}' (sentence {self.sentence})"


@dataclass(frozen=True)
class KeywordPattern:
    category: str
    pattern: str
    match: str = "lemma"

    @classmethod
    def from_dict(cls, record: dict, origin: str) -> "KeywordPattern":
        unknown = set(record) - {"category", "pattern", "match"}
        if unknown:
            raise ConfigError(
                f"Pattern {origin} has unknown key(s) {sorted(unknown)}; "
                "expected 'category', 'pattern' and optionally 'match'."
            )
        for key in ("category", "pattern"):
            if not isinstance(record.get(key), str) or not record[key].strip():
                raise ConfigError(f"Pattern {origin} needs a non-empty string '{key}'; got {record.get(key)!r}.")
        match = record.get("match", "lemma")
        if match not in MATCH_MODES:
            raise ConfigError(f"Pattern {origin} has 'match' = {match!r}; expected one of {list(MATCH_MODES)}.")
        return cls(record["category"].strip(), record["pattern"].strip(), match)


def read_patterns(path: str | Path) -> list[KeywordPattern]:
    """Read a JSONL pattern file; blank lines and lines starting with '#' or '//' are skipped."""
    patterns = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith(("#", "//")):
                continue
            origin = f"{path}:{number}"
            try:
                record = json.loads(stripped)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"Pattern file line {origin} is not valid JSON: {exc.msg}.") from exc
            patterns.append(KeywordPattern.from_dict(record, origin))
    return patterns


def default_pattern_file() -> Path:
    return Path(str(resources.files("triage") / "patterns" / "default.jsonl"))


@lru_cache(maxsize=1)
def _lemma_table():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


def _lemma(lower: str) -> str:
    return _lemma_table().get(lower, lower)


class KeywordMatcher:
    """spaCy component: stores the non-overlapping keyword hits of a doc in ``doc._.keyword_hits``."""

    def __init__(self, nlp: Language, name: str = "triage_keywords"):
        self.name = name
        self.nlp = nlp
        self._by_lemma = PhraseMatcher(nlp.vocab, attr="NORM")
        self._by_word = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.categories: list[str] = []

    def _set_lemma_norms(self, doc: Doc) -> Doc:
        # NORM carries the lower-cased lemma so the phrase matcher compares lemmas, whatever the case.
        for token in doc:
            token.norm_ = _lemma(token.lower_)
        return doc

    def add_patterns(self, patterns: Iterable[KeywordPattern]) -> None:
        for item in patterns:
            if item.category not in self.categories:
                self.categories.append(item.category)
            doc = self.nlp.make_doc(item.pattern)
            if item.match == "lemma":
                self._by_lemma.add(item.category, [self._set_lemma_norms(doc)])
            else:
                self._by_word.add(item.category, [doc])

    @staticmethod
    def _inside_compound(span: Span) -> bool:
        doc = span.doc
        before = doc[span.start - 1] if span.start > 0 else None
        after = doc[span.end] if span.end < len(doc) else None
        joined_before = before is not None and before.text == "-" and not before.whitespace_ and span.start >= 2 and not doc[span.start - 2].whitespace_
        joined_after = after is not None and after.text == "-" and not span[-1].whitespace_ and not after.whitespace_ and span.end + 1 < len(doc)
        return joined_before or joined_after

    def __call__(self, doc: Doc) -> Doc:
        self._set_lemma_norms(doc)
        spans = []
        for matcher in (self._by_lemma, self._by_word):
            for match_id, start, end in matcher(doc):
                span = Span(doc, start, end, label=match_id)
                if any(token.like_url or token.like_email for token in span):
                    continue
                if span.label_ in COMPOUND_SENSITIVE and self._inside_compound(span):
                    continue
                spans.append(span)
        # Overlapping phrases ("legal" inside "legal action") count once: the longest wins.
        kept = filter_spans(spans)
        sentence_starts = [sent.start for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]
        hits = []
        for span in sorted(kept, key=lambda s: s.start):
            sentence = sum(1 for begin in sentence_starts if begin <= span.start)
            hits.append(KeywordHit(span.label_, span.text, span.start_char, span.end_char, max(sentence, 1)))
        doc._.keyword_hits = hits
        return doc


@Language.factory("triage_keywords")
def make_keyword_matcher(nlp: Language, name: str) -> KeywordMatcher:
    return KeywordMatcher(nlp, name)


def build_keyword_pipeline(
    pattern_files: Iterable[str | Path] = (), extra_patterns: Iterable[KeywordPattern] = ()
) -> Language:
    """A blank English pipeline (tokenizer, sentencizer, keyword matcher) with the default patterns
    plus a team's pattern files and inline word lists from the config."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher: KeywordMatcher = nlp.add_pipe("triage_keywords")
    matcher.add_patterns(read_patterns(default_pattern_file()))
    for path in pattern_files:
        matcher.add_patterns(read_patterns(path))
    matcher.add_patterns(extra_patterns)
    return nlp


def find_keywords(nlp: Language, texts: list[str], batch_size: int = 256) -> Iterator[list[KeywordHit]]:
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield doc._.keyword_hits
