"""Score a whole export file: read in chunks, score, write atomically, summarise."""

from __future__ import annotations

import time
import warnings
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .columns import duplicate_ids_message, ticket_id_text
from .config import PRIORITIES
from .engine import Engine, resolve_as_of
from .errors import TriageWarning
from .history import HISTORY_FIELDS, count_contacts, history_applies, history_columns
from .tables import TableWriter, count_rows, read_chunks


@dataclass
class RunSummary:
    input: Path
    output: Path
    rows_read: int = 0
    rows_written: int = 0
    priorities: Counter = field(default_factory=Counter)
    tiers: Counter = field(default_factory=Counter)
    escalations: int = 0
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def lines(self) -> list[str]:
        priorities = ", ".join(f"{p} {self.priorities.get(p, 0)}" for p in reversed(PRIORITIES))
        tiers = ", ".join(f"tier {t} {self.tiers.get(t, 0)}" for t in (1, 2, 3, 4))
        share = f" ({self.escalations / self.rows_written:.0%})" if self.rows_written else ""
        return [
            f"rows read     {self.rows_read}",
            f"rows written  {self.rows_written} -> {self.output}",
            f"priority      {priorities}",
            f"tier          {tiers}",
            f"escalate      {self.escalations}{share}",
            f"warnings      {len(self.warnings)}",
            f"time          {self.seconds:.1f} s ({self.rows_per_second:.1f} rows/s)",
        ]


def history_contact_counts(
    engine: Engine, input_path: Path, columns: Mapping[str, str] | None, chunk_rows: int, encoding: str
) -> np.ndarray | None:
    """Contact numbers over the whole file when they must come from its history, else None.

    A first pass reads only the columns history needs, so contacts that fall in different chunks
    still count; its memory grows with the number of rows, not with the text.
    """
    chunks = read_chunks(input_path, chunk_rows=chunk_rows, encoding=encoding)
    with closing(chunks):
        first = next(chunks, None)
        if first is None:
            return None
        found = engine.resolve_columns(list(first.columns), columns)
        if not history_applies(found):
            return None
        needed = [found[name] for name in HISTORY_FIELDS if name in found]
        keys = pd.concat([first[needed], *(chunk[needed] for chunk in chunks)], ignore_index=True)
    return count_contacts(history_columns(keys, found), engine.config.history)


def default_output_path(input_path: Path) -> Path:
    """``tickets.csv`` -> ``tickets.scored.csv`` (a Parquet folder gets ``.scored.parquet``)."""
    if input_path.is_dir():
        return input_path.with_name(input_path.name + ".scored.parquet")
    return input_path.with_name(f"{input_path.stem}.scored{input_path.suffix}")


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
) -> RunSummary:
    """Score every row of ``input_path`` into ``output_path`` (same row order, input columns kept).

    ``on_chunk`` receives each scored chunk, for callers that summarise a run as it goes. SLA
    clocks are read at ``as_of`` (default: when the run starts), the same moment for every row.
    """
    from tqdm.auto import tqdm

    input_path = Path(input_path)
    output_path = Path(output_path) if output_path is not None else default_output_path(input_path)
    summary = RunSummary(input_path, output_path)
    started = time.perf_counter()
    seen_ids: Counter = Counter()

    def report(message: str) -> None:
        summary.warnings.append(message)
        if on_warning is not None:
            on_warning(message)

    as_of = resolve_as_of(as_of)
    contacts = history_contact_counts(engine, input_path, columns, chunk_rows, encoding)
    offset = 0
    bar = tqdm(total=count_rows(input_path), unit=" tickets", disable=not progress, leave=False, dynamic_ncols=True)
    chunks = read_chunks(input_path, chunk_rows=chunk_rows, encoding=encoding)
    with TableWriter(output_path) as writer, bar, closing(chunks):
        for chunk in chunks:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", TriageWarning)
                counts = None if contacts is None else contacts[offset : offset + len(chunk)]
                scored = engine.score_frame(chunk, columns, check_duplicate_ids=False, contact_counts=counts, as_of=as_of)
            offset += len(chunk)
            for warning in caught:
                if issubclass(warning.category, TriageWarning):
                    report(str(warning.message))
                else:
                    warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
            writer.write(scored)
            if on_chunk is not None:
                on_chunk(scored)
            summary.rows_read += len(chunk)
            summary.priorities.update(scored["priority"])
            summary.tiers.update(int(t) for t in scored["tier"])
            summary.escalations += int(scored["escalate"].sum())
            id_column = engine.resolve_columns(list(chunk.columns), columns).get("ticket_id")
            if id_column is not None:
                seen_ids.update(ticket_id_text(v) for v in chunk[id_column])
            bar.update(len(chunk))
    summary.rows_written = writer.rows
    if summary.rows_read == 0:
        report(f"'{input_path}' holds no tickets; the output has none either.")
    duplicates = duplicate_ids_message(seen_ids)
    if duplicates:
        report(duplicates)
    summary.seconds = time.perf_counter() - started
    return summary
