"""Count contacts about the same issue from an export's own history.

Many exports have no contact count, but they do say who wrote and when. A ticket's contact number
is then 1 plus the earlier tickets of the same requester, within the configured window, that are
about the same issue: in the same thread (an explicit thread column, or the root of a reply chain
such as Twitter's ``in_response_to_tweet_id``), under the same subject (ignoring "Re:"/"Fwd:"), or
with texts that share enough of their words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .columns import text_value
from .config import HistorySettings

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg)\s*:\s*)+", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)


@dataclass(frozen=True)
class HistoryColumns:
    """The per-row values history needs, aligned with the frame's rows."""

    requester: list[str]
    created_at: list[object]
    ticket_id: list[str]
    thread_id: list[str] | None = None
    reply_to: list[str] | None = None
    subject: list[str] | None = None
    text: list[str] | None = None


def parse_times(values) -> pd.Series:
    """Timestamps as exports write them (ISO with offsets, naive, Twitter's format, epoch seconds) in
    UTC, positionally indexed; NaT where unreadable."""
    series = pd.Series(list(values), dtype=object).map(lambda v: v.strip() or None if isinstance(v, str) else v)
    numeric = pd.to_numeric(series, errors="coerce")
    parsed = pd.to_datetime(series.where(numeric.isna()), utc=True, errors="coerce", format="mixed")
    epoch = pd.to_datetime(numeric, unit="s", utc=True, errors="coerce")
    return parsed.fillna(epoch)


def _thread_roots(ids: list[str], reply_to: list[str]) -> list[str]:
    """The top of each row's reply chain among the rows of the export."""
    parent = {tid: _clean_id(rt) for tid, rt in zip(ids, reply_to) if tid}
    roots = []
    for tid, rt in zip(ids, reply_to):
        node, seen = tid or _clean_id(rt), set()
        while node in parent and parent[node] and node not in seen:
            seen.add(node)
            node = parent[node]
        roots.append(node)
    return roots


def _clean_id(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value).strip()
    return text[:-2] if text.endswith(".0") and text[:-2].isdigit() else text


def _subject_key(subject: str) -> str:
    return " ".join(_REPLY_PREFIX.sub("", subject).casefold().split())


def _words(text: str) -> frozenset[str]:
    return frozenset(w.casefold() for w in _WORD.findall(text))


def _similar(a: frozenset[str], b: frozenset[str], threshold: float) -> bool:
    if not a or not b:
        return False
    return len(a & b) / len(a | b) >= threshold


def count_contacts(columns: HistoryColumns, settings: HistorySettings) -> np.ndarray:
    """Contact number of each row (1 = first contact); NaN where the requester or time is unknown."""
    rows = len(columns.requester)
    times = parse_times(columns.created_at)
    threads = list(columns.thread_id) if columns.thread_id is not None else None
    if threads is None and columns.reply_to is not None:
        threads = _thread_roots([_clean_id(t) for t in columns.ticket_id], list(columns.reply_to))
    subjects = [_subject_key(s) for s in columns.subject] if columns.subject is not None else None
    words = [_words(t) for t in columns.text] if columns.text is not None else None
    window = pd.Timedelta(days=settings.window_days)
    counts = np.full(rows, np.nan)
    by_requester: dict[str, list[int]] = {}
    for i, requester in enumerate(columns.requester):
        if requester and not pd.isna(times.iloc[i]):
            by_requester.setdefault(requester, []).append(i)
    for members in by_requester.values():
        ordered = sorted(members, key=lambda i: (times.iloc[i], i))
        for position, i in enumerate(ordered):
            earlier = 0
            for j in ordered[:position]:
                if times.iloc[i] - times.iloc[j] > window:
                    continue
                same_thread = threads is not None and threads[i] and threads[i] == threads[j]
                same_subject = subjects is not None and subjects[i] and subjects[i] == subjects[j]
                same_text = words is not None and _similar(words[i], words[j], settings.same_issue_similarity)
                if same_thread or same_subject or same_text:
                    earlier += 1
            counts[i] = 1 + earlier
    return counts


HISTORY_FIELDS = ("requester", "created_at", "ticket_id", "thread_id", "reply_to", "subject", "text")


def history_applies(found: dict[str, str]) -> bool:
    """Contacts are counted from history when there is no contact count but a requester and a time."""
    return "contact_count" not in found and "requester" in found and "created_at" in found


def history_columns(frame: pd.DataFrame, found: dict[str, str]) -> HistoryColumns:
    def values(name: str) -> list[str] | None:
        if name not in found:
            return None
        return [text_value(v) for v in frame[found[name]].tolist()]

    return HistoryColumns(
        requester=values("requester"),
        created_at=frame[found["created_at"]].tolist(),
        ticket_id=values("ticket_id") or [""] * len(frame),
        thread_id=values("thread_id"),
        reply_to=values("reply_to"),
        subject=values("subject"),
        text=values("text"),
    )
