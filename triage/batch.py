"""Score a whole export file: read in chunks, score, write atomically, summarise.

Memory stays flat however long the file: it is read ``chunk_rows`` rows at a time, the output is
written chunk by chunk, and what a run keeps across chunks is small and fixed per row (the contact
counts, 8 bytes; ticket ids as 64-bit hashes for the duplicate check, 17 bytes) or bounded (the
summary's counters, the first warnings, the text cache of :mod:`triage.dedupe`). While one chunk
goes through the keyword matcher, the classifier and the rules, the transformer already embeds the
next one on the worker threads.

With ``resume=True`` the run is resumable (see :mod:`triage.resume`).
"""

from __future__ import annotations

import heapq
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .columns import text_value, ticket_id_text
from .config import PRIORITIES, HistorySettings
from .engine import Engine, resolve_as_of
from .errors import InputError, TriageWarning
from .history import (
    _clean_id,
    _subject_key,
    _words,
    history_applies,
    history_columns,
    parse_times,
)
from .tables import TableWriter, count_rows, output_format, output_fragment, read_chunks, sibling_path

MAX_KEPT_WARNINGS = 100  # a run keeps the text of its first warnings and counts the rest
_SHOWN_DUPLICATES = 10
_NAT = np.iinfo(np.int64).min


@dataclass
class RunSummary:
    input: Path
    output: Path
    rows_read: int = 0
    rows_written: int = 0
    priorities: Counter = field(default_factory=Counter)
    tiers: Counter = field(default_factory=Counter)
    escalations: int = 0
    warnings: list[str] = field(default_factory=list)  # the first MAX_KEPT_WARNINGS
    warning_count: int = 0
    seconds: float = 0.0
    rows_resumed: int = 0  # rows an interrupted run had scored, taken from its work folder

    @property
    def rows_per_second(self) -> float:
        scored = self.rows_read - self.rows_resumed
        return scored / self.seconds if self.seconds > 0 else 0.0

    def add_warning(self, message: str) -> None:
        self.warning_count += 1
        if len(self.warnings) < MAX_KEPT_WARNINGS:
            self.warnings.append(message)

    def chunk_summary(self, scored: pd.DataFrame, chunk_warnings: list[str]) -> dict[str, Any]:
        """One chunk's share of the summary, as plain data (a resumable run journals it)."""
        return {
            "rows": len(scored),
            "priorities": {str(k): int(v) for k, v in Counter(scored["priority"]).items()},
            "tiers": {str(int(k)): int(v) for k, v in Counter(scored["tier"]).items()},
            "escalations": int(scored["escalate"].sum()),
            "warnings": chunk_warnings[:MAX_KEPT_WARNINGS],
            "warning_count": len(chunk_warnings),
        }

    def add_chunk(self, part: Mapping[str, Any]) -> None:
        self.rows_read += part["rows"]
        self.priorities.update({k: v for k, v in part["priorities"].items()})
        self.tiers.update({int(k): v for k, v in part["tiers"].items()})
        self.escalations += part["escalations"]
        for message in part["warnings"]:
            self.add_warning(message)
        self.warning_count += part["warning_count"] - len(part["warnings"])

    def lines(self) -> list[str]:
        priorities = ", ".join(f"{p} {self.priorities.get(p, 0)}" for p in reversed(PRIORITIES))
        tiers = ", ".join(f"tier {t} {self.tiers.get(t, 0)}" for t in (1, 2, 3, 4))
        # Escalations are counted over the rows scored; a write-back may write fewer (closed tickets).
        share = f" ({self.escalations / self.rows_read:.0%})" if self.rows_read else ""
        resumed = [f"resumed       {self.rows_resumed} rows scored by the interrupted run"] if self.rows_resumed else []
        return [
            f"rows read     {self.rows_read}",
            *resumed,
            f"rows written  {self.rows_written} -> {self.output}",
            f"priority      {priorities}",
            f"tier          {tiers}",
            f"escalate      {self.escalations}{share}",
            f"warnings      {self.warning_count}",
            f"time          {self.seconds:.1f} s ({self.rows_per_second:.1f} rows/s)",
        ]


def _hash_texts(values) -> np.ndarray:
    """64-bit hashes of texts; the empty text hashes to 0 (read as "none")."""
    array = np.asarray(list(values), dtype=object)
    if not len(array):
        return np.zeros(0, dtype=np.uint64)
    hashes = pd.util.hash_array(array)
    hashes[array == ""] = 0
    return hashes


class SeenIds:
    """Ticket ids that come up more than once in a file, found chunk by chunk.

    Keeps each distinct id as a 64-bit hash with the row it first appeared on (17 bytes an id, in
    sorted runs merged as they grow), so a million-row file costs some 17 MB, not its id strings.
    """

    def __init__(self) -> None:
        self._runs: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # sorted hashes, first rows, counted flags
        self.duplicates = 0
        self._earliest: list[tuple[int, str]] = []  # max-heap (-row, id) of the first duplicated ids

    def add(self, ids: list[str], offset: int) -> None:
        """Note the ids of the rows ``offset``, ``offset + 1``, ... (empty ids are ignored)."""
        array = np.asarray(ids, dtype=object)
        keep = np.flatnonzero(array != "") if len(array) else np.zeros(0, dtype=int)
        if not len(keep):
            return
        hashes = _hash_texts(array[keep])
        unique, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        first_row = offset + keep[first]
        in_runs = np.zeros(len(unique), dtype=bool)
        counted = np.zeros(len(unique), dtype=bool)
        for run_hashes, run_rows, run_counted in self._runs:
            where = np.minimum(np.searchsorted(run_hashes, unique), len(run_hashes) - 1)
            hit = run_hashes[where] == unique
            first_row[hit] = run_rows[where[hit]]
            counted[hit] = run_counted[where[hit]]
            in_runs |= hit
            run_counted[where[hit]] = True  # every id found here is a duplicate from now on
        newly = (in_runs | (counts > 1)) & ~counted
        for position in np.flatnonzero(newly):
            self.duplicates += 1
            entry = (-int(first_row[position]), str(array[keep[first[position]]]))
            if len(self._earliest) < _SHOWN_DUPLICATES:
                heapq.heappush(self._earliest, entry)
            elif entry > self._earliest[0]:
                heapq.heapreplace(self._earliest, entry)
        fresh = ~in_runs
        self._runs.append((unique[fresh], first_row[fresh], counts[fresh] > 1))
        while len(self._runs) > 1 and len(self._runs[-1][0]) * 2 >= len(self._runs[-2][0]):
            (h1, r1, c1), (h2, r2, c2) = self._runs.pop(), self._runs.pop()
            hashes, rows, flags = np.concatenate([h2, h1]), np.concatenate([r2, r1]), np.concatenate([c2, c1])
            order = np.argsort(hashes, kind="stable")
            self._runs.append((hashes[order], rows[order], flags[order]))

    def message(self) -> str | None:
        """The warning naming the duplicated ids (worded as :func:`triage.columns.duplicate_ids_message`)."""
        if not self.duplicates:
            return None
        shown = [tid for _, tid in sorted(self._earliest, reverse=True)]
        listed = ", ".join(shown) + (" ..." if self.duplicates > _SHOWN_DUPLICATES else "")
        return (
            f"{self.duplicates} duplicate ticket id(s): {listed}. Every row is scored and kept; "
            "check the export if each id should be unique."
        )


def _as_nanoseconds(times: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds; NaT (and the rare time outside 1677-2262) as _NAT."""
    values = times.array.asi8 if len(times) else np.zeros(0, dtype=np.int64)
    factor = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[times.dt.unit] if len(times) else 1
    out = np.full(len(values), _NAT, dtype=np.int64)
    known = values != _NAT
    if factor > 1:
        known &= np.abs(values) <= np.iinfo(np.int64).max // factor
    out[known] = values[known] * factor
    return out


def _thread_roots(ids: np.ndarray, replies: np.ndarray, steps: int = 64) -> np.ndarray:
    """:func:`triage.history._thread_roots` on hashed ids (0 = none): the top of each row's reply
    chain among the rows, walking up at most ``steps`` links at once, longer chains and loops one
    row at a time."""
    rows = np.flatnonzero(ids != 0)[::-1]  # last row first, so a repeated id keeps its last parent
    keys, where = np.unique(ids[rows], return_index=True)
    parents = replies[rows[where]]
    start = np.where(ids != 0, ids, replies)

    def parent_of(nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(keys):
            return np.zeros(len(nodes), dtype=bool), nodes
        at = np.minimum(np.searchsorted(keys, nodes), len(keys) - 1)
        has = (keys[at] == nodes) & (parents[at] != 0)
        return has, parents[at]

    node = start.copy()
    active = np.flatnonzero(node != 0)
    for _ in range(steps):
        has, up = parent_of(node[active])
        active = active[has]
        if not len(active):
            break
        node[active] = up[has]
    for row in active:  # still climbing: a long chain or a loop; walk it as the original does
        current, seen = start[row], set()
        while True:
            has, up = parent_of(np.array([current], dtype=np.uint64))
            if not has[0] or int(current) in seen:
                break
            seen.add(int(current))
            current = up[0]
        node[row] = current
    return node


class _FileHistory:
    """What contact counting needs from each row, kept as fixed-size numbers (about 40 bytes a row),
    never the text: requester, time, thread (or reply link), subject. The words of a text are read
    in a second pass, only for tickets that have another ticket of the same requester within the
    window, since only those can be compared."""

    def __init__(self, found: Mapping[str, str]):
        self.found = {name: column for name, column in found.items() if name != "text"}
        self.columns = [self.found[name] for name in ("requester", "created_at", "ticket_id", "thread_id", "reply_to", "subject") if name in self.found]
        self.parts: dict[str, list[np.ndarray]] = {"requester": [], "time": [], "thread": [], "ids": [], "replies": [], "subject": []}
        self.rows = 0

    def add(self, chunk: pd.DataFrame) -> None:
        keys = history_columns(chunk.reindex(columns=self.columns), self.found)
        self.parts["requester"].append(_hash_texts(keys.requester))
        self.parts["time"].append(_as_nanoseconds(parse_times(keys.created_at)))
        if keys.thread_id is not None:
            self.parts["thread"].append(_hash_texts(keys.thread_id))
        elif keys.reply_to is not None:
            self.parts["ids"].append(_hash_texts(_clean_id(t) for t in keys.ticket_id))
            self.parts["replies"].append(_hash_texts(_clean_id(r) for r in keys.reply_to))
        if keys.subject is not None:
            self.parts["subject"].append(_hash_texts(_subject_key(s) for s in keys.subject))
        self.rows += len(chunk)

    def _joined(self, name: str) -> np.ndarray | None:
        return np.concatenate(self.parts[name]) if self.parts[name] else None

    def counts(
        self, settings: HistorySettings, read_texts: Callable[[np.ndarray], Iterator[tuple[int, str]]], rows_per_pass: int = 100_000
    ) -> np.ndarray:
        """Contact numbers, as :func:`triage.history.count_contacts` gives them over the whole file.

        ``read_texts(rows)`` yields (row, raw text) for the given sorted row numbers (one pass over
        the file); words are read for at most ``rows_per_pass`` rows at a time."""
        requester, times = self._joined("requester"), self._joined("time")
        threads = self._joined("thread")
        if threads is None and self.parts["ids"]:
            threads = _thread_roots(self._joined("ids"), self._joined("replies"))
        subjects = self._joined("subject")
        counts = np.full(self.rows, np.nan)
        rows = np.flatnonzero((requester != 0) & (times != _NAT))
        order = rows[np.lexsort((rows, times[rows], requester[rows]))]  # by requester, then time, then row
        keys = np.empty(len(order), dtype=[("requester", "<u8"), ("time", "<i8")])
        keys["requester"], keys["time"] = requester[order], times[order]
        window = pd.Timedelta(days=settings.window_days).value
        lowest = keys.copy()
        lowest["time"] = np.where(keys["time"] < _NAT + window, _NAT, keys["time"] - window)
        first = np.searchsorted(keys, lowest, side="left")  # first earlier ticket within the window
        positions = np.arange(len(order))
        counts[order] = 1.0
        busy = np.flatnonzero(first < positions)
        if not len(busy):
            return counts
        # Only tickets that meet another within the window need their words; they are read in passes
        # over the file, at most `rows_per_pass` tickets' words at a time, whole requesters per pass
        # (a window never leaves its requester), so this memory is bounded too.
        marks = np.zeros(len(order) + 1, dtype=np.int64)
        np.add.at(marks, first[busy], 1)
        np.add.at(marks, busy + 1, -1)
        involved = np.flatnonzero(np.cumsum(marks[:-1]) > 0)
        group_starts = np.flatnonzero(np.r_[True, keys["requester"][1:] != keys["requester"][:-1]])
        group_of = np.searchsorted(group_starts, involved, side="right") - 1
        threshold = settings.same_issue_similarity
        thread_of = threads[order] if threads is not None else None
        subject_of = subjects[order] if subjects is not None else None
        begin = 0
        while begin < len(involved):
            end = min(begin + rows_per_pass, len(involved))
            if end < len(involved):  # finish the last requester of this pass
                end = int(np.searchsorted(group_of, group_of[end - 1], side="right"))
            low, high = involved[begin], involved[end - 1]
            words: dict[int, np.ndarray] = {}
            for row, text in read_texts(np.sort(order[involved[begin:end]])):
                found = _words(text)
                words[row] = np.unique(_hash_texts(found)) if found else np.zeros(0, dtype=np.uint64)
            for position in busy[(busy >= low) & (busy <= high)]:
                earlier = np.arange(first[position], position)
                linked = np.zeros(len(earlier), dtype=bool)
                if thread_of is not None and thread_of[position]:
                    linked |= thread_of[earlier] == thread_of[position]
                if subject_of is not None and subject_of[position]:
                    linked |= subject_of[earlier] == subject_of[position]
                mine = words.get(int(order[position]))
                if mine is not None and len(mine):
                    for k in np.flatnonzero(~linked):
                        theirs = words.get(int(order[earlier[k]]))
                        if theirs is None or not len(theirs):
                            continue
                        common = len(np.intersect1d(mine, theirs, assume_unique=True))
                        linked[k] = common / (len(mine) + len(theirs) - common) >= threshold
                counts[order[position]] = 1.0 + int(linked.sum())
            begin = end
        return counts


def _file_history(
    engine: Engine, input_path: Path, columns: Mapping[str, str] | None, chunk_rows: int, encoding: str, rows_per_pass: int = 100_000
) -> tuple[np.ndarray | None, int | None]:
    """(contact numbers over the whole file or None when they do not come from history, row count
    when this pass learnt it)."""
    chunks = read_chunks(input_path, chunk_rows=chunk_rows, encoding=encoding)
    with closing(chunks):
        first = next(chunks, None)
        if first is None:
            return None, 0
        found = engine.resolve_columns(list(first.columns), columns)
        if not history_applies(found):
            return None, None
        history = _FileHistory(found)
        for chunk in chain([first], chunks):
            history.add(chunk)

    def read_texts(rows: np.ndarray) -> Iterator[tuple[int, str]]:
        offset = 0
        again = read_chunks(input_path, chunk_rows=chunk_rows, encoding=encoding)
        with closing(again):
            for chunk in again:
                low, high = np.searchsorted(rows, [offset, offset + len(chunk)])
                if high > low:
                    values = chunk[found["text"]].tolist() if found["text"] in chunk.columns else [None] * len(chunk)
                    for row in rows[low:high]:
                        yield int(row), text_value(values[int(row) - offset])
                offset += len(chunk)

    return history.counts(engine.config.history, read_texts, rows_per_pass), history.rows


def history_contact_counts(
    engine: Engine, input_path: Path, columns: Mapping[str, str] | None, chunk_rows: int, encoding: str
) -> np.ndarray | None:
    """Contact numbers over the whole file when they must come from its history, else None.

    Contacts that fall in different chunks still count. The pass keeps a few numbers per row, not
    the text (see :class:`_FileHistory`); the result equals :func:`triage.history.count_contacts`
    over the whole file.
    """
    return _file_history(engine, Path(input_path), columns, chunk_rows, encoding)[0]


def default_output_path(input_path: Path) -> Path:
    """``tickets.csv`` -> ``tickets.scored.csv`` (a Parquet folder gets ``.scored.parquet``)."""
    return sibling_path(input_path, "scored", ".parquet" if input_path.is_dir() else None)


def score_file(
    engine: Engine,
    input_path: str | Path,
    output_path: str | Path | None = None,
    columns: Mapping[str, str] | None = None,
    chunk_rows: int = 2000,
    encoding: str = "utf-8-sig",
    progress: bool = False,
    on_warning: Callable[[str], None] | None = None,
    on_chunk: Callable[[pd.DataFrame], None] | None = None,
    as_of: datetime | str | None = None,
    resume: bool = False,
    source_path: str | Path | None = None,
) -> RunSummary:
    """Score every row of ``input_path`` into ``output_path`` (same row order, input columns kept).

    ``on_chunk`` receives each scored chunk, for callers that summarise a run as it goes. SLA
    clocks are read at ``as_of`` (default: when the run starts), the same moment for every row.
    ``progress`` shows a progress bar on stderr (rate and time left).

    ``resume``: keep each finished chunk in ``OUTPUT.partial/`` and, when that folder holds an
    interrupted run of the same input, model, configuration and options, continue it; the output
    is the file an uninterrupted run writes (see :mod:`triage.resume`). ``on_chunk`` then sees only
    the chunks this call scores. ``source_path``: the export ``input_path`` was converted from (a
    temporary copy changes every run), fingerprinted for ``resume`` instead of ``input_path``.
    """
    from tqdm.auto import tqdm

    from .resume import (
        ResumeError,
        RunJournal,
        discard_work_folder,
        engine_fingerprint,
        input_fingerprint,
    )

    if chunk_rows < 1:
        raise InputError(f"chunk_rows must be 1 or more; got {chunk_rows}.")
    input_path = Path(input_path)
    output_path = Path(output_path) if output_path is not None else default_output_path(input_path)
    output_format(output_path)  # an output without a known extension stops before any work
    if not input_path.exists():
        raise InputError(f"Input '{input_path}' does not exist.")
    shown = Path(source_path) if source_path is not None else input_path  # what the user named, not a converted copy
    summary = RunSummary(shown, output_path)
    started = time.perf_counter()

    def report(message: str) -> None:
        summary.add_warning(message)
        if on_warning is not None:
            on_warning(message)

    journal = None
    if resume:
        fingerprint = {
            "input": input_fingerprint(source_path if source_path is not None else input_path),
            "options": {
                "columns": dict(sorted((columns or {}).items())),
                "chunk_rows": chunk_rows,
                "encoding": encoding,
                "output_format": output_path.suffix.lower(),
            },
            "engine": engine_fingerprint(engine),
        }
        journal = RunJournal.open(output_path, fingerprint, None if as_of is None else resolve_as_of(as_of).isoformat(), resume=True)
        as_of = journal.as_of
    as_of = resolve_as_of(as_of)
    seen = SeenIds()
    done = journal.chunks if journal is not None else []
    contacts = None
    written = 0

    def note_ids(chunk: pd.DataFrame, offset: int) -> None:
        id_column = engine.resolve_columns(list(chunk.columns), columns).get("ticket_id")
        if id_column is not None:
            seen.add([ticket_id_text(v) for v in chunk[id_column]], offset)

    def score(chunk: pd.DataFrame, offset: int) -> None:
        nonlocal written
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", TriageWarning)
            counts = None if contacts is None else contacts[offset : offset + len(chunk)]
            scored = engine.score_frame(chunk, columns, check_duplicate_ids=False, contact_counts=counts, as_of=as_of)
        chunk_warnings = []
        for warning in caught:
            if issubclass(warning.category, TriageWarning):
                chunk_warnings.append(str(warning.message))
                if on_warning is not None:
                    on_warning(str(warning.message))
            else:
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        part = summary.chunk_summary(scored, chunk_warnings)
        if journal is None:
            writer.write(scored)
        else:
            journal.record(output_fragment(scored, output_path, header=written == 0), len(scored), part)
        written += len(scored)
        if on_chunk is not None:
            on_chunk(scored)
        summary.add_chunk(part)
        note_ids(chunk, offset)
        bar.update(len(chunk))

    try:
        contacts, total = _file_history(engine, input_path, columns, chunk_rows, encoding)
        if total is None and progress:
            total = count_rows(input_path, exact=True, encoding=encoding)
        bar = tqdm(total=total, unit=" tickets", disable=not progress, leave=False, dynamic_ncols=True, smoothing=0.1)
        chunks = read_chunks(input_path, chunk_rows=chunk_rows, encoding=encoding)
        writer = TableWriter(output_path) if journal is None else nullcontext()
        with writer, bar, closing(chunks):
            offset, waiting, index = 0, None, -1
            for index, chunk in enumerate(chunks):
                if index < len(done):  # scored by the interrupted run: count it, do not score it again
                    if len(chunk) != done[index].rows:
                        raise ResumeError(f"Cannot resume into '{output_path}': chunk {index + 1} of '{input_path}' no longer has {done[index].rows} rows. Run without --resume to start over.")
                    summary.add_chunk(done[index].summary)
                    summary.rows_resumed += len(chunk)
                    written += len(chunk)
                    note_ids(chunk, offset)
                    bar.update(len(chunk))
                else:
                    engine.prefetch(chunk, columns)  # embedded on the workers while the chunk before is scored
                    if waiting is not None:
                        score(*waiting)
                    waiting = (chunk, offset)
                offset += len(chunk)
            if waiting is not None:
                score(*waiting)
            if journal is not None:
                if index + 1 < len(done):
                    raise ResumeError(f"Cannot resume into '{output_path}': '{shown}' has fewer rows than the interrupted run read. Run without --resume to start over.")
                with TableWriter(output_path) as final:
                    journal.finish(final)
    except BaseException:
        engine.cancel_prefetch()
        if journal is not None:
            journal.close(remove=False)
        raise
    if journal is not None:
        journal.close(remove=True)
    else:
        discard_work_folder(output_path)  # a finished run replaces what an interrupted one left
    summary.rows_written = written
    if summary.rows_read == 0:
        report(f"'{shown}' holds no tickets; the output has none either.")
    duplicates = seen.message()
    if duplicates:
        report(duplicates)
    summary.seconds = time.perf_counter() - started
    return summary
