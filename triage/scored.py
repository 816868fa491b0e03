"""Reading back a file written by ``triage score``: is it scored, and its cells as values.

One definition for every reader of scored files (the adapters, the metrics, the report, the
write-back): a file is scored when it has all of triage's decision columns
(:data:`SCORED_COLUMNS`). Scored cells come back as scoring wrote them: lists kept as lists in JSON
Lines and Parquet, joined with :data:`triage.tables.LIST_SEPARATORS` in CSV; flags as booleans or
text; tiers as numbers or text ("3", "3.0", "tier 3", "T3").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from .columns import parse_flag, text_value
from .config import TIERS
from .tables import LIST_SEPARATORS

# The decision columns every scored file has.
SCORED_COLUMNS = ("priority", "tier", "escalate", "reasons")
_TAG_UNSAFE = re.compile(r"[^0-9a-z_-]+")


def missing_scored_columns(columns: Iterable[object]) -> list[str]:
    """The decision columns a file lacks, in :data:`SCORED_COLUMNS` order (empty: it is scored)."""
    present = {str(c) for c in columns}
    return [name for name in SCORED_COLUMNS if name not in present]


def is_scored(columns: Iterable[object]) -> bool:
    """Whether columns (or a record's keys) are those of a file written by ``triage score``."""
    return not missing_scored_columns(columns)


def flag(value: Any) -> bool:
    """A yes/no cell as a boolean; blank or unreadable is False."""
    try:
        return bool(parse_flag(value))
    except ValueError:
        return False


def listed(value: Any, column: str) -> list[str]:
    """A list cell (``categories``, ``reasons``, ``rules_fired`` ...): a real list, or CSV's joined
    text split on the column's separator; parts stripped, blank parts dropped."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if hasattr(value, "tolist"):
        return listed(value.tolist(), column)
    text = text_value(value)
    return [part.strip() for part in text.split(LIST_SEPARATORS[column]) if part.strip()] if text else []


def tier_number(value: Any) -> int | None:
    """A tier cell as 1-4: ``3``, ``"3.0"``, ``"tier 3"``, ``"T3"``; None when blank or not a tier."""
    text = text_value(value).strip().casefold().replace("tier", "").replace("t", "").strip()
    try:
        number = float(text)
    except ValueError:
        return None
    return int(number) if number.is_integer() and int(number) in TIERS else None


def tag(text: str, prefix: str) -> str:
    """A helpdesk tag: lower case, no spaces ("Account access" -> "triage_account_access").

    Helpdesks compare tags in lower case, so the prefix is lower-cased too."""
    return prefix.casefold() + _TAG_UNSAFE.sub("_", text.strip().casefold()).strip("_")


def tier_tags(prefix: str) -> dict[str, int]:
    """triage's tier tags and their tiers: ``{"triage_tier_1": 1, ...}``."""
    return {tag(f"tier_{tier}", prefix): tier for tier in TIERS}


__all__ = ["SCORED_COLUMNS", "flag", "is_scored", "listed", "missing_scored_columns", "tag", "tier_number", "tier_tags"]
