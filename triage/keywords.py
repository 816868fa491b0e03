"""The keyword matcher: a spaCy component that finds legal, media, security ... phrases in ticket text
and keeps only the ones a support agent would count.

Patterns live in JSONL files, one object a line (see ``triage/patterns/default.jsonl``):

- ``{"category": "legal", "pattern": "small claims court"}`` matches on lower-cased lemmas, so "sue"
  finds "sued" and "suing" and "LAWYER" finds "lawyers"; ``"match": "exact"`` compares the
  lower-cased words as written instead, for words whose lemma would change their meaning ("media" ->
  "medium", "worst" -> "wrong"). Matching runs on whole tokens, so "issue" never matches "sue".
- ``"pattern"`` may also be a list of spaCy ``Matcher`` token dicts, for phrases with alternatives
  or gaps; ``"LEMMA"`` there compares the same lower-cased lemmas.
- ``"near": [...]`` (or the name of a ``{"wordlist": ..., "words": [...]}`` line of the same file)
  keeps a match only when one of those words (compared as lemmas) stands in the same sentence, a few
  words before or after it: "my legal team" counts next to "involve", not next to "asked".
- ``"exclude": true`` marks a phrase that is *not* a hit of its category and hides that category's
  matches inside it: "legal name", "device manager", "malware scan".
- ``"may_be_name": true`` skips a title-case match that reads as a person's name ("Hi Sue", "Bill
  from support").
- A line without a pattern sets the category's context rule, e.g.
  ``{"category": "security", "negation": "drop", "hypothetical": "drop"}``; see :class:`CategoryRule`.

Negated, hypothetical and non-threat mentions are decided here, inside the component, so every caller
gets the same answer: ``doc._.keyword_hits`` holds what counts, ``doc._.keyword_skipped`` what was
matched but not counted, with the reason.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy
from spacy.attrs import LOWER, NORM, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

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

MATCH_MODES = ("lemma", "exact")
NEGATION_MODES = ("drop", "keep", "threat")
HYPOTHETICAL_MODES = ("drop", "keep")
COMPOUND_MODES = ("skip", "keep")

# How far (in tokens, inside one sentence) "near" words and context cues are looked for.
NEAR_BEFORE = 7
NEAR_AFTER = 4
CONTEXT_WINDOW = 8

if not Doc.has_extension("keyword_hits"):
    Doc.set_extension("keyword_hits", default=None)
if not Doc.has_extension("keyword_skipped"):
    Doc.set_extension("keyword_skipped", default=None)


@dataclass(frozen=True)
class KeywordHit:
    """One matched phrase that counts: its category, the words as written, where they stand."""

    category: str
    text: str
    start_char: int
    end_char: int
    sentence: int  # 1-based

    def describe(self) -> str:
        return f"{self.category}: '{self.text}' (sentence {self.sentence})"


@dataclass(frozen=True)
class SkippedHit:
    """A match that does not count, and why: "negated", "hypothetical" or "excluded"."""

    hit: KeywordHit
    reason: str

    def describe(self) -> str:
        return f"{self.hit.describe()} not counted: {self.reason}"


@dataclass(frozen=True)
class KeywordPattern:
    """One line of a pattern file; see the module docstring for what each field does."""

    category: str
    pattern: Any  # a phrase (str) or a tuple of spaCy Matcher token dicts
    match: str = "lemma"
    near: tuple[str, ...] = ()
    exclude: bool = False
    may_be_name: bool = False

    _KEYS = frozenset({"category", "pattern", "match", "near", "exclude", "may_be_name"})

    @classmethod
    def from_dict(cls, record: dict, origin: str, wordlists: dict[str, tuple[str, ...]] | None = None) -> KeywordPattern:
        unknown = set(record) - cls._KEYS
        if unknown:
            raise ConfigError(
                f"Pattern {origin} has unknown key(s) {sorted(unknown)}; expected 'category', 'pattern' and "
                "optionally 'match', 'near', 'exclude', 'may_be_name'."
            )
        if not isinstance(record.get("category"), str) or not record["category"].strip():
            raise ConfigError(f"Pattern {origin} needs a non-empty string 'category'; got {record.get('category')!r}.")
        pattern = record.get("pattern")
        if isinstance(pattern, list):
            if not pattern or not all(isinstance(token, dict) for token in pattern):
                raise ConfigError(
                    f"Pattern {origin} has a 'pattern' list that is not a list of token objects; got {pattern!r}. "
                    'Write a phrase ("legal action") or spaCy Matcher tokens ([{"LEMMA": "sue"}]).'
                )
            pattern = tuple(pattern)
        elif not isinstance(pattern, str) or not pattern.strip():
            raise ConfigError(f"Pattern {origin} needs a non-empty string 'pattern'; got {record.get('pattern')!r}.")
        else:
            pattern = pattern.strip()
        match = record.get("match", "lemma")
        if match not in MATCH_MODES:
            raise ConfigError(f"Pattern {origin} has 'match' = {match!r}; expected one of {list(MATCH_MODES)}.")
        for flag in ("exclude", "may_be_name"):
            if not isinstance(record.get(flag, False), bool):
                raise ConfigError(f"Pattern {origin} has '{flag}' = {record[flag]!r}; expected true or false.")
        return cls(
            record["category"].strip(),
            pattern,
            match,
            _near_words(record.get("near", ()), origin, wordlists or {}),
            record.get("exclude", False),
            record.get("may_be_name", False),
        )


def _near_words(value: Any, origin: str, wordlists: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if isinstance(value, str):
        if value not in wordlists:
            known = sorted(wordlists) or "none"
            raise ConfigError(
                f"Pattern {origin} has 'near' = {value!r}, which names no wordlist defined above it in the file "
                f"(defined: {known}). Add a line {{\"wordlist\": {value!r}, \"words\": [...]}} before it, or give the words as a list."
            )
        return wordlists[value]
    if isinstance(value, (list, tuple)) and all(isinstance(word, str) and word.strip() for word in value):
        return tuple(_lemma(word.strip().lower()) for word in value)
    raise ConfigError(f"Pattern {origin} has 'near' = {value!r}; expected a list of words or the name of a wordlist.")


@dataclass(frozen=True)
class CategoryRule:
    """How context changes a category's matches.

    ``negation``: "drop" - a negated mention ("this is not a security issue") does not count;
    "keep" - negation does not matter (a billing question stays one); "threat" - a negated statement
    does not count ("I am not going to sue"), but reluctance still threatens ("I don't want to involve
    my lawyer", "I won't hesitate to", "..., but I will").
    ``hypothetical``: "drop" - mentions under "if", "in case of", "to prevent", "planned" ... do not
    count; "keep" - they do (a conditional threat is still a threat).
    ``compounds``: "skip" - a match glued by a hyphen to a neighbouring word names a thing, not a
    threat ("social-media login"); "keep" - it counts.
    """

    category: str
    negation: str = "drop"
    hypothetical: str = "keep"
    compounds: str = "keep"

    _KEYS = frozenset({"category", "negation", "hypothetical", "compounds"})

    @classmethod
    def from_dict(cls, record: dict, origin: str) -> CategoryRule:
        unknown = set(record) - cls._KEYS
        if unknown:
            raise ConfigError(
                f"Category rule {origin} has unknown key(s) {sorted(unknown)}; expected 'category' and any of "
                "'negation', 'hypothetical', 'compounds' (a pattern line needs 'pattern')."
            )
        if not isinstance(record.get("category"), str) or not record["category"].strip():
            raise ConfigError(f"Category rule {origin} needs a non-empty string 'category'; got {record.get('category')!r}.")
        for key, allowed in (("negation", NEGATION_MODES), ("hypothetical", HYPOTHETICAL_MODES), ("compounds", COMPOUND_MODES)):
            if key in record and record[key] not in allowed:
                raise ConfigError(f"Category rule {origin} has '{key}' = {record[key]!r}; expected one of {list(allowed)}.")
        return cls(record["category"].strip(), **{key: record[key] for key in ("negation", "hypothetical", "compounds") if key in record})


@dataclass
class PatternSet:
    """What one pattern file holds: patterns and category rules."""

    patterns: list[KeywordPattern] = field(default_factory=list)
    rules: list[CategoryRule] = field(default_factory=list)


def read_pattern_file(path: str | Path) -> PatternSet:
    """Read a JSONL pattern file; blank lines and lines starting with '#' or '//' are skipped."""
    found = PatternSet()
    wordlists: dict[str, tuple[str, ...]] = {}
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
            if not isinstance(record, dict):
                raise ConfigError(f"Pattern file line {origin} must be a JSON object; got {type(record).__name__}.")
            if "wordlist" in record:
                name, words = record.get("wordlist"), record.get("words")
                if set(record) != {"wordlist", "words"} or not isinstance(name, str) or not isinstance(words, list):
                    raise ConfigError(f'Wordlist {origin} must be {{"wordlist": NAME, "words": [...]}}; got {record!r}.')
                wordlists[name] = _near_words(words, origin, wordlists)
            elif "pattern" in record or not set(record) & {"negation", "hypothetical", "compounds"}:
                found.patterns.append(KeywordPattern.from_dict(record, origin, wordlists))
            else:
                found.rules.append(CategoryRule.from_dict(record, origin))
    return found


def read_patterns(path: str | Path) -> list[KeywordPattern]:
    """The patterns of a JSONL pattern file (its category rules are read by :func:`read_pattern_file`)."""
    return read_pattern_file(path).patterns


def default_pattern_file() -> Path:
    return Path(str(resources.files("triage") / "patterns" / "default.jsonl"))


@lru_cache(maxsize=1)
def _lemma_table():
    from spacy.lookups import load_lookups

    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


# The lookup table leaves tokenizer pieces of contractions alone ("wo" of "won't") or reads some
# words wrongly ("'s" -> "have", "does" -> "doe"); these are the readings the rules expect.
_FIXED_LEMMAS = {
    "does": "do",
    "n't": "not", "n’t": "not", "nt": "not", "wo": "will", "ca": "can", "sha": "shall", "gon": "go",
    "'m": "be", "’m": "be", "'s": "be", "’s": "be", "'re": "be", "’re": "be", "'ll": "will", "’ll": "will",
    "'ve": "have", "’ve": "have", "'d": "would", "’d": "would",
}


@lru_cache(maxsize=200_000)
def _lemma(lower: str) -> str:
    found = _FIXED_LEMMAS.get(lower)
    if found is not None:
        return found
    # Applied twice because the table maps a plural to its singular but the singular on to the verb
    # ("warnings" -> "warning" -> "warn"): twice, both forms meet.
    table = _lemma_table()
    once = table.get(lower, lower)
    return table.get(once, once)


# --- context cues -------------------------------------------------------------------------------
# Words that end the clause a cue may reach across ("I have no internet and the site is down").
_BOUNDARY_WORDS = frozenset(
    {"but", "however", "although", "though", "yet", "because", "since", "so", "while", "whereas", "due",
     "why", "how", "what", "when", "where", "who", "which", "otherwise", "else", "unless", "until", "then"}
)
# "and" / "or" end a clause only when a verb or a subject follows them before the match.
_COORDINATORS = frozenset({"and", "or", "&", "plus"})
_FINITE = frozenset({"be", "have", "do", "will", "can", "would", "could", "should", "may", "might", "must", "shall", "keep", "get"})
# "no word from DOT": the "no" belongs to "word", not to what the preposition brings in.
_NEGATED_NOUNS = frozenset({"need", "sign", "evidence", "reason", "risk", "indication", "trace", "chance", "question", "hint", "proof"})
_PREPOSITIONS = frozenset({"from", "to", "with", "by", "for", "on", "in", "about", "at", "after", "before"})
_BOUNDARY_PUNCT = frozenset({",", ";", ":", "(", ")", "[", "]", "—", "–", '"', "“", "”", ".", "!", "?", "|"})
# "not"-like cues reach the whole clause; "no"-like cues only the few words after them ("no outage",
# but not "no one told me the site was down").
_NEGATIONS = frozenset({"not", "n't", "n’t", "nt", "never", "cannot"})
_SHORT_NEGATIONS = frozenset({"no", "without", "nothing", "none", "nobody", "neither", "nor", "zero"})
_SHORT_REACH = 3
# After a negation these do not negate what follows: "not only", "not sure if".
_NEGATION_NEUTRALIZERS = frozenset({"only", "just", "sure", "certain", "alone"})
# A negated verb of saying in between takes the negation: "you did not tell us the site was down".
_SCOPE_BLOCKERS = frozenset({"tell", "inform", "notify", "warn", "mention", "say", "announce", "explain", "update", "let", "realize", "realise", "notice", "know"})
# A new subject starts a new clause ("If this isn't fixed by Friday I'm going to the media"), unless a
# verb that passes its negation down stands before it ("I don't think I've been hacked").
_SUBJECTS = frozenset({"i", "we", "they", "he", "she"})
_NEG_RAISERS = frozenset({"think", "believe", "suppose", "expect", "feel", "guess", "seem", "appear", "that"})
# Reluctance keeps a threat alive: "I don't want to", "I won't hesitate to", "I'd rather not".
_RELUCTANCE = frozenset({"want", "wish", "hesitate", "like", "hope", "mean", "make", "force", "stop", "rest", "rather", "prefer", "hate"})
_CONDITIONS = frozenset({"if", "unless", "until", "once"})
_MODALS_AFTER_BUT = frozenset({"will", "would", "shall", "must", "have", "go", "may", "might", "can", "need"})
_HYPOTHETICAL = frozenset(
    {"if", "prevent", "avoid", "against", "mitigate", "minimize", "minimise", "risk", "protect", "safeguard",
     "guard", "expect", "scheduled", "planned", "upcoming", "future", "suppose", "imagine", "hypothetically",
     "potentially"}
)
_HYPOTHETICAL_PAIRS = frozenset({("in", "case"), ("in", "event"), ("what", "if"), ("event", "of")})
_RECURRENCE = frozenset({"further", "more", "another", "additional", "repeated", "recurring", "continued"})
# "if" after these opens an embedded question, a suspicion rather than a supposition:
# "not sure if I was hacked", "can you check if the site is down".
_EMBEDDED_QUESTION = frozenset({"sure", "know", "wonder", "check", "see", "tell", "ask", "confirm", "find", "verify", "idea", "unclear", "clue"})

# Title-case words in these places read as names: "Hi Sue", "Bill from support".
_NAME_BEFORE = frozenset(
    {"hi", "hello", "hey", "dear", "thanks", "thank", "with", "from", "named", "called", "agent", "rep",
     "representative", "colleague", "cc", "by", "asked", "told", "and", "ms", "mrs", "mr", "miss", "aunt", "uncle", "to"}
)
_NAME_AFTER = frozenset(
    {"from", "at", "in", "said", "says", "told", "was", "is", "has", "had", "helped", "'s", "’s", "and", "who",
     "called", "emailed", "replied", "wrote", ",", "."}
)
_VERB_BEFORE = frozenset({"will", "'ll", "’ll", "wo", "would", "shall", "can", "could", "should", "must", "might", "may", "gon", "na", "i", "we", "they", "to", "not", "n't", "and", "or"})
_OBJECTS = frozenset({"you", "u", "ya", "them", "him", "her", "us", "your", "their", "the", "this", "that", "it", "everyone", "everybody"})
_ATTRIBUTION = frozenset({"rt", "via", "-", "–", "—", "|", "by"})


@dataclass(frozen=True)
class _Entry:
    category: str
    near: frozenset[str]
    exclude: bool
    may_be_name: bool
    url_like: bool


def _looks_like_url(text: str) -> bool:
    return "://" in text or "www." in text or any(text.lower().endswith(tld) for tld in (".com", ".gov", ".org", ".net"))


def _token_pattern(tokens: tuple, origin: str) -> list[dict]:
    """spaCy Matcher tokens with LEMMA read as our lemma-carrying NORM (blank pipelines set no lemmas)."""

    def convert(token: dict) -> dict:
        return {("NORM" if key == "LEMMA" else key): value for key, value in token.items()}

    if not all(isinstance(token, dict) for token in tokens):
        raise ConfigError(f"Pattern {origin} must be a list of token objects.")
    return [convert(token) for token in tokens]


def _anchors(tokens: list[dict]) -> tuple[frozenset[str] | None, str | None]:
    """Words one of which a sentence must hold for a token pattern to match there, or the literal
    start of a regular expression every match begins with; (None, None) when it names neither."""
    best: frozenset[str] | None = None
    prefix = None
    for token in tokens:
        if token.get("OP", "1") not in ("1", "+"):
            continue
        for key in ("LOWER", "NORM", "ORTH", "TEXT"):
            value = token.get(key)
            words = None
            if isinstance(value, str):
                words = {value.lower()}
            elif isinstance(value, dict) and isinstance(value.get("IN"), list):
                words = {str(word).lower() for word in value["IN"]}
            elif isinstance(value, dict) and isinstance(value.get("REGEX"), str) and key == "LOWER":
                literal = re.match(r"\^([\w@#]+)", value["REGEX"])
                if literal and prefix is None:
                    prefix = literal.group(1)
            if words is not None:
                words = frozenset(_lemma(word) for word in words) | frozenset(words) if key == "NORM" else frozenset(words)
                if best is None or _commonness(words) < _commonness(best):
                    best = words
    return best, (prefix if best is None else None)


def _commonness(words: frozenset[str]) -> tuple[int, int]:
    # An anchor set holding a stop word ("not", "be", "my") is in nearly every sentence; prefer another.
    from spacy.lang.en.stop_words import STOP_WORDS

    return sum(word in STOP_WORDS or word in _NEGATIONS for word in words), len(words)


class KeywordMatcher:
    """spaCy component: stores the keyword hits that count in ``doc._.keyword_hits`` and the matches
    that do not (negated, hypothetical, excluded) in ``doc._.keyword_skipped``."""

    def __init__(self, nlp: Language, name: str = "triage_keywords"):
        self.name = name
        self.nlp = nlp
        self._by_lemma = PhraseMatcher(nlp.vocab, attr="NORM")
        self._by_word = PhraseMatcher(nlp.vocab, attr="LOWER")
        # Token patterns run only on the sentences holding one of their anchor words (see _anchors),
        # all that a sentence needs in one Matcher call: each call walks its tokens in Python.
        self._token_patterns: list[tuple[frozenset[int] | None, str | None, str, list[dict]]] = []
        self._combined: dict[tuple[int, ...], Matcher] = {}
        self._norm_of: dict[int, int] = {}  # hash of a lower-cased word -> hash of its lemma
        self._entries: dict[int, _Entry] = {}
        self.categories: list[str] = []
        self.rules: dict[str, CategoryRule] = {}

    def _set_lemma_norms(self, doc: Doc) -> list[int]:
        """Set NORM to the lower-cased lemma (so the phrase matcher compares lemmas, whatever the
        case); return the hashes of each token's word and lemma, in order, to pick the token patterns
        worth running. Done on arrays: a Token object per word costs more than the matching."""
        if not len(doc):
            return []
        strings = doc.vocab.strings
        lowers = doc.to_array(LOWER).tolist()
        norms = []
        for key in lowers:
            norm = self._norm_of.get(key)
            if norm is None:
                norm = self._norm_of[key] = strings.add(_lemma(strings[key]))
            norms.append(norm)
        doc.from_array([NORM], numpy.array(norms, dtype="uint64").reshape(-1, 1))
        return [key for pair in zip(lowers, norms) for key in pair]

    def add_patterns(self, patterns: Iterable[KeywordPattern]) -> None:
        for item in patterns:
            if not isinstance(item.pattern, (str, tuple, list)):
                raise ConfigError(f"Pattern for category {item.category!r} must be a phrase or a list of tokens; got {item.pattern!r}.")
            if item.category not in self.categories and not item.exclude:
                self.categories.append(item.category)
            key = f"{item.category}\t{len(self._entries)}"
            match_id = self.nlp.vocab.strings.add(key)
            url_like = isinstance(item.pattern, str) and _looks_like_url(item.pattern)
            near = frozenset(_lemma(word.lower()) for word in item.near)
            self._entries[match_id] = _Entry(item.category, near, item.exclude, item.may_be_name, url_like)
            if isinstance(item.pattern, str):
                doc = self.nlp.make_doc(item.pattern)
                if item.match == "lemma":
                    self._set_lemma_norms(doc)
                    self._by_lemma.add(key, [doc])
                else:
                    self._by_word.add(key, [doc])
            else:
                origin = f"for category {item.category!r} ({list(item.pattern)!r})"
                tokens = _token_pattern(tuple(item.pattern), origin)
                try:
                    Matcher(self.nlp.vocab).add(key, [tokens])
                except (ValueError, KeyError, TypeError) as exc:
                    raise ConfigError(f"Token pattern {origin} is not a valid spaCy Matcher pattern: {exc}") from exc
                anchors, prefix = _anchors(tokens)
                anchor_keys = None if anchors is None else frozenset(self.nlp.vocab.strings.add(word) for word in anchors)
                self._token_patterns.append((anchor_keys, prefix, key, tokens))
                self._combined.clear()

    def _token_matches(self, doc: Doc, keys: list[int], sentence_starts: list[int]) -> list[tuple[int, int, int]]:
        """Token-pattern matches, run sentence by sentence on the patterns whose anchors occur there."""
        if not self._token_patterns:
            return []
        strings = doc.vocab.strings
        found = []
        bounds = [*sentence_starts, len(doc)]
        for start, end in pairwise(bounds):
            present = set(keys[2 * start : 2 * end])
            needed = tuple(
                index
                for index, (anchors, prefix, _, _) in enumerate(self._token_patterns)
                if (anchors is None or not anchors.isdisjoint(present))
                and (prefix is None or any(strings[key].startswith(prefix) for key in present))
            )
            if not needed:
                continue
            matcher = self._combined.get(needed)
            if matcher is None:
                if len(self._combined) >= 4096:
                    self._combined.clear()
                matcher = self._combined[needed] = Matcher(self.nlp.vocab)
                for index in needed:
                    _, _, key, tokens = self._token_patterns[index]
                    matcher.add(key, [tokens])
            found.extend((match_id, start + first, start + last) for match_id, first, last in matcher(doc[start:end]))
        return found

    def add_rules(self, rules: Iterable[CategoryRule]) -> None:
        for rule in rules:
            self.rules[rule.category] = rule

    def rule_for(self, category: str) -> CategoryRule:
        return self.rules.get(category) or CategoryRule(category)

    # --- the checks, each a pure function of the doc and a span ------------------------------------
    @staticmethod
    def _inside_compound(doc: Doc, start: int, end: int) -> bool:
        before = doc[start - 1] if start > 0 else None
        after = doc[end] if end < len(doc) else None
        joined_before = before is not None and before.text == "-" and not before.whitespace_ and start >= 2 and not doc[start - 2].whitespace_
        joined_after = after is not None and after.text == "-" and not doc[end - 1].whitespace_ and not after.whitespace_ and end + 1 < len(doc)
        return joined_before or joined_after

    @staticmethod
    def _is_near(doc: Doc, start: int, end: int, bounds: tuple[int, int], words: frozenset[str]) -> bool:
        low, high = max(bounds[0], start - NEAR_BEFORE), min(bounds[1], end + NEAR_AFTER)
        return any(doc[i].norm_ in words or doc[i].lower_ in words for i in range(low, high) if not start <= i < end)

    @staticmethod
    def _is_attribution(doc: Doc, start: int, end: int, bounds: tuple[int, int]) -> bool:
        """The source of a shared post, not the writer's words: "RT @9NEWS: ...", "via @Dallas_News",
        "... - Greenfield Daily Reporter http://t.co/..."."""
        before = doc[start - 1].lower_ if start > bounds[0] else ""
        after = doc[end].text if end < bounds[1] else ""
        if end - start == 1 and doc[start].text.startswith("@") and (before in _ATTRIBUTION or after == ":"):
            return True
        followed_by_link = any(doc[i].like_url for i in range(end, min(bounds[1], end + 2)))
        return followed_by_link and any(doc[i].text in {"-", "–", "—", "|"} for i in range(max(bounds[0], start - 4), start))

    @staticmethod
    def _is_name(doc: Doc, start: int, end: int, bounds: tuple[int, int]) -> bool:
        token = doc[start]
        if end - start != 1 or not token.is_title:
            return False
        words = [t for t in doc[bounds[0] : bounds[1]] if t.is_alpha]
        if len(words) >= 3 and sum(t.is_title or t.is_upper for t in words) >= 0.6 * len(words):
            return False  # a headline ("Bill Higher Than Agreed"): capitals say nothing here
        before = doc[start - 1] if start > bounds[0] else None
        after = doc[end] if end < bounds[1] else None
        if after is not None and after.lower_ in _OBJECTS:
            return False  # "Sue them", "Bill me"
        if before is not None and before.lower_ in _VERB_BEFORE and before.lower_ not in _NAME_BEFORE:
            return False  # "I will Sue"
        if after is not None and (after.lower_ in _NAME_AFTER or (after.is_title and after.is_alpha)):
            return True
        return before is not None and (before.lower_ in _NAME_BEFORE or before.is_punct)

    def _context(self, doc: Doc, start: int, end: int, bounds: tuple[int, int], rule: CategoryRule) -> str | None:
        """'negated', 'hypothetical' or None (counts), by the category's rule."""
        if rule.negation == "keep" and rule.hypothetical == "keep":
            return None
        negation_at = None
        hypothetical = False
        i = start - 1
        while i >= bounds[0] and start - i <= CONTEXT_WINDOW:
            token = doc[i]
            lower = token.lower_
            if lower in _BOUNDARY_WORDS or lower in _BOUNDARY_PUNCT:
                break
            if lower in _COORDINATORS and any(
                doc[j].norm_ in _FINITE or doc[j].lower_ in _SUBJECTS or doc[j].lower_ in ("it", "you") for j in range(i + 1, start)
            ):
                break  # "and" opening a new clause, not joining two nouns ("to avoid X and data breaches")
            if lower in _SUBJECTS and i > bounds[0] and doc[i - 1].norm_ not in _NEG_RAISERS and doc[i - 1].lower_ not in _NEGATIONS:
                break
            if negation_at is None:
                through = i + 1 < start and doc[i + 1].norm_ in _NEGATED_NOUNS  # "no need for lawyers"
                short = lower in _SHORT_NEGATIONS and start - i <= _SHORT_REACH + through and (
                    through or not any(doc[j].lower_ in _PREPOSITIONS for j in range(i + 1, start))
                )
                if lower in _NEGATIONS or short:
                    following = doc[i + 1].lower_ if i + 1 < start else ""
                    blocked = any(doc[j].norm_ in _SCOPE_BLOCKERS for j in range(i + 1, start))
                    if following not in _NEGATION_NEUTRALIZERS and not blocked:
                        negation_at = i
            if token.norm_ in _HYPOTHETICAL or lower in _HYPOTHETICAL:
                embedded = lower == "if" and i > bounds[0] and doc[i - 1].norm_ in _EMBEDDED_QUESTION
                # "to avoid further leaks", "prevent another outage": it has happened already.
                again = any(doc[j].lower_ in _RECURRENCE for j in range(max(i + 1, start - 2), start))
                if not embedded and not again:
                    hypothetical = True
            elif i > bounds[0] and (doc[i - 1].lower_, lower) in _HYPOTHETICAL_PAIRS:
                hypothetical = True
            i -= 1
        if negation_at is not None and (
            rule.negation == "drop" or (rule.negation == "threat" and not self._threat_survives(doc, negation_at, start, end, bounds))
        ):
            return "negated"
        if hypothetical and rule.hypothetical == "drop":
            return "hypothetical"
        return None

    @staticmethod
    def _threat_survives(doc: Doc, negation_at: int, start: int, end: int, bounds: tuple[int, int]) -> bool:
        """A negated threat still threatens when said with reluctance, taken back after a 'but', or
        when the negation belongs to a condition ("If this isn't fixed by Friday my lawyer will ...")."""
        if any(doc[j].lower_ in _CONDITIONS for j in range(bounds[0], negation_at)):
            return True
        if any(doc[j].norm_ in _RELUCTANCE for j in range(max(bounds[0], negation_at - 2), start) if j != negation_at):
            return True
        for j in range(end, min(bounds[1], end + CONTEXT_WINDOW)):
            lower = doc[j].lower_
            if lower == "yet":
                return True  # "I haven't called my lawyer yet"
            if lower == "but" and any(doc[k].norm_ in _MODALS_AFTER_BUT for k in range(j + 1, min(bounds[1], j + 4))):
                return True  # "..., but I will"
        return False

    def __call__(self, doc: Doc) -> Doc:
        keys = self._set_lemma_norms(doc)
        sentence_starts = [i for i, flag in enumerate(doc.to_array(SENT_START).tolist()) if flag == 1 or i == 0] or [0]
        sentence_ends = sentence_starts[1:] + [len(doc)]

        def bounds_of(index: int) -> tuple[int, int, int]:
            number = bisect_right(sentence_starts, index) - 1
            return sentence_starts[number], sentence_ends[number], number + 1

        matches = [*self._by_lemma(doc), *self._by_word(doc), *self._token_matches(doc, keys, sentence_starts)]
        kept: list[tuple[int, int, _Entry]] = []
        exclusions: list[tuple[int, int, _Entry]] = []
        for match_id, start, end in matches:
            entry = self._entries[match_id]
            low, high, _ = bounds_of(start)
            if not entry.url_like and any(token.like_url or token.like_email for token in doc[start:end]):
                continue
            if entry.near and not self._is_near(doc, start, end, (low, high), entry.near):
                continue
            if entry.may_be_name and self._is_name(doc, start, end, (low, high)):
                continue
            if self._is_attribution(doc, start, end, (low, high)):
                continue
            if self.rule_for(entry.category).compounds == "skip" and self._inside_compound(doc, start, end):
                continue
            (exclusions if entry.exclude else kept).append((start, end, entry))

        skipped: list[SkippedHit] = []

        def as_hit(start: int, end: int, category: str) -> KeywordHit:
            span = doc[start:end]
            return KeywordHit(category, span.text, span.start_char, span.end_char, bounds_of(start)[2])

        masked = set()
        for start, end, entry in kept:
            if any(e.category == entry.category and s < end and start < e_end for s, e_end, e in exclusions):
                masked.add((start, end, entry.category))
        # Overlapping phrases of one category count once, the longest winning ("legal" inside "legal
        # action"). Categories do not compete: "illegal charges" is legal and billing. Where a phrase
        # means something else in another category, that category lists it as an exclusion.
        chosen: set[tuple[int, int, str]] = set()
        taken: set[tuple[str, int]] = set()
        for start, end, entry in sorted(kept, key=lambda m: (m[0] - m[1], m[0])):
            if any((entry.category, i) in taken for i in range(start, end)):
                continue
            chosen.add((start, end, entry.category))
            taken.update((entry.category, i) for i in range(start, end))
        hits = []
        for start, end, category in sorted(chosen):
            if (start, end, category) in masked:
                skipped.append(SkippedHit(as_hit(start, end, category), "excluded"))
                continue
            low, high, _ = bounds_of(start)
            verdict = self._context(doc, start, end, (low, high), self.rule_for(category))
            if verdict:
                skipped.append(SkippedHit(as_hit(start, end, category), verdict))
            else:
                hits.append(as_hit(start, end, category))
        doc._.keyword_hits = hits
        doc._.keyword_skipped = skipped
        return doc


@Language.factory("triage_keywords")
def make_keyword_matcher(nlp: Language, name: str) -> KeywordMatcher:
    return KeywordMatcher(nlp, name)


def build_keyword_pipeline(
    pattern_files: Iterable[str | Path] = (),
    extra_patterns: Iterable[KeywordPattern] = (),
    extra_rules: Iterable[CategoryRule] = (),
) -> Language:
    """A blank English pipeline (tokenizer, sentencizer, keyword matcher) with the default patterns
    and rules, plus a team's pattern files and inline word lists and context rules from the config
    (later ones win: a team file may change a default category's rule)."""
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    matcher: KeywordMatcher = nlp.add_pipe("triage_keywords")
    for path in (default_pattern_file(), *pattern_files):
        found = read_pattern_file(path)
        matcher.add_rules(found.rules)
        matcher.add_patterns(found.patterns)
    matcher.add_patterns(extra_patterns)
    matcher.add_rules(extra_rules)
    return nlp


def find_keywords(nlp: Language, texts: list[str], batch_size: int = 256) -> Iterator[list[KeywordHit]]:
    """The hits that count, per text, in order."""
    for doc in nlp.pipe(texts, batch_size=batch_size):
        yield doc._.keyword_hits


def hits_in_removed_text(nlp: Language, cleaned) -> list[tuple[str, KeywordHit]]:
    """The hits that cleaning kept from counting, with the kind of text they stood in: a threat in
    a quoted earlier message, "Legal Counsel" in a signature. ``cleaned`` is a
    :class:`triage.text.CleanedText`; positions and sentence numbers are those of the removed piece.
    A reason can then say what was left out when it would have changed the decision."""
    parts = list(getattr(cleaned, "removed_parts", ()))
    found = []
    for (kind, _), hits in zip(parts, find_keywords(nlp, [text for _, text in parts])):
        found.extend((kind, hit) for hit in hits)
    return found
