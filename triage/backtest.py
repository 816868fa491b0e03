"""Replay an export with known outcomes: what triage would have escalated against what was escalated.

The export needs an outcome column (``escalated`` yes/no, or named with ``--outcome``); with an
``escalated_at`` time and a creation time, the report also gives the hours that would have been
saved: for each ticket triage would have escalated at creation and that was escalated later, the
time from creation to the real escalation.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from .columns import normalise_name, parse_flag
from .config import Config, load_config
from .errors import InputError, MissingColumnError
from .history import parse_times

OUTCOME_COLUMNS = ("escalated", "was_escalated", "is_escalated", "escalation")
ESCALATED_AT_COLUMNS = ("escalated_at", "escalation_time", "escalated_time", "escalation_date")


@dataclass
class Backtest:
    rows: int
    both: int               # triage would escalate, and it was escalated
    false_escalations: int  # triage would escalate, it was not
    missed_escalations: int  # it was escalated, triage would not
    neither: int
    hours_saved_total: float | None
    hours_saved_median: float | None
    tickets_with_time_saved: int
    missed_ids: list[str]
    false_ids: list[str]

    @property
    def precision(self) -> float | None:
        would = self.both + self.false_escalations
        return self.both / would if would else None

    @property
    def recall(self) -> float | None:
        did = self.both + self.missed_escalations
        return self.both / did if did else None

    def lines(self) -> list[str]:
        def pct(x):
            return "-" if x is None else f"{x:.0%}"

        out = [
            f"{self.rows} tickets replayed",
            "",
            f"{'':<26}{'escalated':>10}{'not escalated':>15}",
            f"{'triage would escalate':<26}{self.both:>10}{self.false_escalations:>15}",
            f"{'triage would not':<26}{self.missed_escalations:>10}{self.neither:>15}",
            "",
            f"false escalations   {self.false_escalations}" + (f" (e.g. {', '.join(self.false_ids[:5])})" if self.false_ids else ""),
            f"missed escalations  {self.missed_escalations}" + (f" (e.g. {', '.join(self.missed_ids[:5])})" if self.missed_ids else ""),
            f"precision           {pct(self.precision)} of triage's escalations were escalated",
            f"recall              {pct(self.recall)} of the real escalations would have been caught",
        ]
        if self.hours_saved_total is None:
            out.append("time saved          - (needs escalated_at and created_at columns)")
        else:
            out.append(
                f"time saved          {self.hours_saved_total:.1f} h over {self.tickets_with_time_saved} ticket(s) "
                f"escalated at creation instead of later (median {self.hours_saved_median:.1f} h)"
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "precision": self.precision, "recall": self.recall}


def compare_escalations(
    would: np.ndarray,
    did: np.ndarray,
    ids: list[str],
    created: pd.Series | None = None,
    escalated_at: pd.Series | None = None,
) -> Backtest:
    """The backtest figures from triage's decisions (``would``) and the real outcomes (``did``)."""
    would, did = np.asarray(would, dtype=bool), np.asarray(did, dtype=bool)
    hours_total = hours_median = None
    counted = 0
    if created is not None and escalated_at is not None:
        delta = (escalated_at.reset_index(drop=True) - created.reset_index(drop=True)).dt.total_seconds() / 3600
        caught = pd.Series(would & did) & delta.notna() & (delta > 0)
        counted = int(caught.sum())
        hours_total = round(float(delta[caught].sum()), 2)
        hours_median = round(float(delta[caught].median()), 2) if counted else 0.0
    return Backtest(
        rows=len(would),
        both=int((would & did).sum()),
        false_escalations=int((would & ~did).sum()),
        missed_escalations=int((~would & did).sum()),
        neither=int((~would & ~did).sum()),
        hours_saved_total=hours_total,
        hours_saved_median=hours_median,
        tickets_with_time_saved=counted,
        missed_ids=[ids[i] for i in np.flatnonzero(~would & did)],
        false_ids=[ids[i] for i in np.flatnonzero(would & ~did)],
    )


def _column(frame: pd.DataFrame, given: str | None, names: tuple[str, ...], what: str, required: bool) -> str | None:
    if given is not None:
        if given not in frame.columns:
            raise MissingColumnError(f"The {what} column '{given}' is not in the export; columns found: {', '.join(map(str, frame.columns))}.")
        return given
    by_normal = {normalise_name(c): c for c in frame.columns}
    for name in names:
        if name in by_normal:
            return by_normal[name]
    if required:
        raise MissingColumnError(
            f"No {what} column: none of {', '.join(names)} is among the columns found ({', '.join(map(str, frame.columns))}). "
            f"Name it with --{what.replace(' ', '-')} COLUMN."
        )
    return None


def backtest_export(
    export: str | Path,
    model: str | Path | None = None,
    config: str | Path | Config | None = None,
    columns: Mapping[str, str] | None = None,
    outcome: str | None = None,
    escalated_at: str | None = None,
    engine=None,
) -> Backtest:
    """Score ``export`` as triage would have at each ticket's creation and compare with the outcomes."""
    from .engine import load
    from .evaluation import score_at_creation
    from .retrain import read_export

    settings = config if isinstance(config, Config) else load_config(config)
    frame = read_export(export)
    outcome_col = _column(frame, outcome, OUTCOME_COLUMNS, "outcome", required=True)
    at_col = _column(frame, escalated_at, ESCALATED_AT_COLUMNS, "escalated at", required=False)
    did, bad = [], []
    for i, value in enumerate(frame[outcome_col]):
        try:
            did.append(bool(parse_flag(value)))
        except ValueError:
            bad.append(f"row {i + 1}: {value!r}")
    if bad:
        raise InputError(f"Outcome column '{outcome_col}' must hold yes/no, true/false or 1/0; found {', '.join(bad[:5])}.")
    engine = engine or load(model, settings)
    found = engine.resolve_columns(list(frame.columns), columns)
    scored = score_at_creation(engine, frame, found)
    ids = [str(v) if v else f"row {i + 1}" for i, v in enumerate(frame[found["ticket_id"]])] if "ticket_id" in found else [f"row {i + 1}" for i in range(len(frame))]
    created = parse_times(frame[found["created_at"]]) if "created_at" in found else None
    at = parse_times(frame[at_col]) if at_col else None
    return compare_escalations(scored["escalate"].to_numpy(dtype=bool), np.array(did), ids, created, at)


__all__ = ["Backtest", "backtest_export", "compare_escalations"]
