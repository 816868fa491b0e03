"""Find triage's columns in an export and read their values the way exports write them.

Exports name the same thing many ways ("description", "Ticket Description", "body") and write
numbers as text ("$250,000.00", "3.0", "Yes"). This module maps columns to triage's canonical names
and parses values; a value it cannot read is reported with the ticket id and treated as unknown.
"""

from __future__ import annotations

import math
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from .errors import InputError, MissingColumnError, TriageWarning

# Canonical name -> accepted names, in order of preference. Names are compared after
# normalising case, spaces, dashes and a byte-order mark.
ALIASES: dict[str, tuple[str, ...]] = {
    "ticket_id": ("ticket_id", "id", "ticket_number", "ticket", "ticket_no", "ticket_#", "case_id", "case_number", "issue_id", "tweet_id"),
    "text": (
        "text", "description_text", "description", "ticket_description", "message", "body", "body_text",
        "ticket_body", "comment", "comments", "content", "customer_complaint", "complaint", "question",
    ),
    "subject": ("subject", "ticket_subject", "title", "summary", "topic"),
    "language": ("language", "lang", "locale", "ticket_language", "language_code"),
    "contact_count": ("contact_count", "contacts", "contact_number", "num_contacts", "number_of_contacts", "times_contacted"),
    "customer_tier": ("customer_tier", "customer_segment", "segment", "plan", "account_tier", "requester_tier", "organization_tier", "organisation_tier"),
    "is_vip": ("is_vip", "vip", "vip_flag", "requester_vip"),
    "ltv": ("ltv", "lifetime_value", "customer_lifetime_value", "clv", "customer_value", "requester_ltv", "requester_value", "account_value"),
    "revenue_impact": ("revenue_impact", "revenue_at_risk", "arr_at_risk", "impact_value", "deal_value", "requester_revenue_impact"),
    "created_at": ("created_at", "created", "created_time", "creation_date", "date_created", "opened_at", "tweet_created", "timestamp"),
    # Used to count contacts from history when the export has no contact count.
    "requester": (
        "requester", "requester_id", "requester_email", "customer_id", "customer_email", "author_id", "user_id", "email", "from",
        "contact_id",
    ),
    "thread_id": ("thread_id", "thread", "conversation_id", "conversation"),
    "reply_to": ("reply_to", "in_reply_to", "in_response_to", "in_response_to_tweet_id", "parent_id"),
    # Read by the SLA clock.
    "status": ("status", "ticket_status", "state"),
    "first_response_at": ("first_response_at", "first_responded_at", "first_reply_at", "first_replied_at", "initial_response_time"),
    "resolved_at": ("resolved_at", "solved_at", "closed_at", "resolved", "solved", "resolved_time", "closed_time"),
    "updated_at": ("updated_at", "updated", "last_updated", "status_changed_at", "modified_at", "last_update_time"),
    "team": ("team", "group", "group_name", "assigned_group", "assignee_group", "support_team"),
    # Read by the hand-off documents.
    "customer_name": (
        "customer_name", "requester_name", "contact_name", "customer", "name", "organization", "organisation", "company", "account_name",
        "full_name", "company_name", "organization_name", "organisation_name",
    ),
    "tried": ("actions_taken", "steps_taken", "troubleshooting", "tried", "agent_notes", "internal_notes", "notes"),
    "resolution": ("resolution", "resolution_notes", "solution"),
}

# How a ticket was handled: read by the helpdesk adapters, the metrics and the report, never by
# scoring (``resolve_columns(..., records=True)``), so labels and outcomes stay out of the inputs.
RECORD_ALIASES: dict[str, tuple[str, ...]] = {
    "tags": ("tags", "ticket_tags", "tag", "labels"),
    "satisfaction": (
        "satisfaction", "satisfaction_score", "satisfaction_rating", "satisfaction_survey", "customer_satisfaction_rating",
        "csat", "csat_score",
    ),
    "escalated": ("escalated", "was_escalated", "is_escalated", "escalation"),
    "escalated_at": ("escalated_at", "escalation_time", "escalated_time", "escalation_date"),
    "support_tier": ("support_tier", "escalation_tier", "assigned_tier", "ticket_tier", "input_tier"),
    "agent_replies": ("agent_replies", "replies", "agent_interactions"),
    "group_stations": ("group_stations",),
    # Zendesk's reopen count (the adapters also write it as contact_count = reopens + 1).
    "reopens": ("reopens", "times_reopened"),
    # Where a ticket started, for escalation rates per tier: a tier, or a group mapped to a tier.
    "initial_tier": ("initial_tier", "start_tier", "starting_tier", "first_tier", "original_tier", "opening_tier"),
    "initial_team": ("initial_group", "first_group", "original_group", "initial_team", "first_team", "initial_queue", "original_queue"),
}

_TRUE = {"1", "true", "yes", "y", "t", "vip"}
_FALSE = {"0", "false", "no", "n", "f", ""}
_MONEY = re.compile(r"^\(?-?[\s$€£¥]*(usd|eur|gbp)?[\s$€£¥]*-?[\d,]*\.?\d+\s*(usd|eur|gbp|k|m)?\)?$", re.IGNORECASE)


def normalise_name(name: object) -> str:
    text = str(name).replace("\ufeff", "").strip().casefold()
    return re.sub(r"[\s\-./]+", "_", text)


def resolve_columns(
    columns: list[str], mapping: Mapping[str, str] | None = None, require_text: bool = True, records: bool = False
) -> dict[str, str]:
    """Map canonical names to the frame's column names.

    ``mapping`` (canonical -> column) wins over detection; a mapped column that is absent is an error.
    ``require_text=False`` and ``records=True`` (also find :data:`RECORD_ALIASES` fields) are for
    readers that do not score: metrics, the report, write-back round trips.
    """
    mapping = dict(mapping or {})
    unknown = set(mapping) - set(ALIASES) - set(RECORD_ALIASES)
    if unknown:
        raise InputError(
            f"Column mapping names unknown field(s) {sorted(unknown)}; triage's fields are {sorted({**ALIASES, **RECORD_ALIASES})}."
        )
    if not records:
        mapping = {field: column for field, column in mapping.items() if field in ALIASES}
    tables = {**ALIASES, **RECORD_ALIASES} if records else ALIASES
    by_normal = {}
    for column in columns:
        by_normal.setdefault(normalise_name(column), column)
    found: dict[str, str] = {}
    for canonical, given in mapping.items():
        if given not in columns:
            raise MissingColumnError(
                f"Missing column '{given}', mapped to '{canonical}'; columns found: {', '.join(map(str, columns))}."
            )
        found[canonical] = given
    taken = set(found.values())
    for canonical, aliases in tables.items():
        if canonical in found:
            continue
        for alias in aliases:
            column = by_normal.get(alias)
            if column is not None and column not in taken:
                found[canonical] = column
                taken.add(column)
                break
    if "text" not in found and require_text:
        raise MissingColumnError(
            "Missing text/description column: none of the accepted names ("
            + ", ".join(ALIASES["text"])
            + ") is among the columns found ("
            + ", ".join(map(str, columns))
            + "). Rename your text column or map it, e.g. --column text=YOUR_COLUMN."
        )
    return found


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def parse_money(value: object) -> float:
    """'$250,000.00' -> 250000.0; '1.2k' -> 1200.0; blank -> nan. Raises ValueError when unreadable."""
    if _is_missing(value):
        return math.nan
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if not text:
        return math.nan
    if not _MONEY.match(text):
        raise ValueError(text)
    negative = text.startswith("(") or "-" in text
    scale = 1.0
    lowered = text.casefold()
    if lowered.endswith("k"):
        scale = 1_000.0
    elif lowered.endswith("m"):
        scale = 1_000_000.0
    digits = re.sub(r"[^\d.]", "", text)
    number = float(digits) * scale
    return -number if negative else number


def parse_count(value: object) -> float:
    """'3', '3.0', 3.0 -> 3.0; blank -> nan. Raises ValueError when unreadable or negative."""
    if _is_missing(value):
        return math.nan
    text = str(value).strip()
    if not text:
        return math.nan
    number = float(text)
    if number < 0 or math.isnan(number) or not float(number).is_integer():
        raise ValueError(text)
    return number


def parse_flag(value: object) -> bool | None:
    if _is_missing(value):
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    text = str(value).strip().casefold()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(str(value))


@dataclass
class PreparedTickets:
    """Per-row inputs of the scoring stages, aligned with the frame's rows."""

    ticket_ids: list[str]
    subjects: list[str]
    bodies: list[str]
    contact_count: np.ndarray
    customer_tier: list[str]
    is_vip_flag: list[bool | None]
    ltv: np.ndarray
    revenue_impact: np.ndarray
    problems: list[list[str]] = field(default_factory=list)  # per-row notes on unreadable values
    languages: list[str] = field(default_factory=list)  # as the export declares them; "" when not given


def text_value(value: object) -> str:
    """A cell as text: missing values (None, NaN, NA) become ''."""
    if _is_missing(value):
        return ""
    return value if isinstance(value, str) else str(value)


def ticket_id_text(value: object) -> str:
    """Ids stay as written; numbers that arrive typed (JSON, Parquet) are written without '.0'."""
    if _is_missing(value):
        return ""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def prepare(frame: pd.DataFrame, found: Mapping[str, str]) -> PreparedTickets:
    rows = len(frame)

    def column(name: str) -> list:
        return frame[found[name]].tolist() if name in found else [None] * rows

    ids = [ticket_id_text(v) for v in column("ticket_id")]
    labels = [tid if tid else f"row {i + 1}" for i, tid in enumerate(ids)]
    problems: list[list[str]] = [[] for _ in range(rows)]

    def parsed(name: str, parser, describe: str) -> list:
        out = []
        for i, raw in enumerate(column(name)):
            try:
                out.append(parser(raw))
            except (ValueError, TypeError, OverflowError):
                problems[i].append(f"{name} {str(raw)!r} is not {describe}; treated as unknown")
                warnings.warn(
                    f"Ticket {labels[i]}: {found[name]} value {str(raw)!r} is not {describe}; treated as unknown.",
                    TriageWarning,
                    stacklevel=3,
                )
                out.append(math.nan if parser is not parse_flag else None)
        return out

    return PreparedTickets(
        ticket_ids=ids,
        subjects=[text_value(v) for v in column("subject")],
        bodies=[text_value(v) for v in column("text")],
        contact_count=np.asarray(parsed("contact_count", parse_count, "a whole number"), dtype=float),
        customer_tier=[text_value(v).strip() for v in column("customer_tier")],
        is_vip_flag=parsed("is_vip", parse_flag, "yes/no"),
        ltv=np.asarray(parsed("ltv", parse_money, "an amount"), dtype=float),
        revenue_impact=np.asarray(parsed("revenue_impact", parse_money, "an amount"), dtype=float),
        problems=problems,
        languages=[text_value(v).strip() for v in column("language")],
    )


def duplicate_ids_message(counts: Mapping[str, int]) -> str | None:
    """A warning naming the ticket ids seen more than once, or None when every id is unique."""
    duplicated = [tid for tid, count in counts.items() if tid and count > 1]
    if not duplicated:
        return None
    shown = ", ".join(duplicated[:10]) + (" ..." if len(duplicated) > 10 else "")
    return (
        f"{len(duplicated)} duplicate ticket id(s): {shown}. Every row is scored and kept; "
        "check the export if each id should be unique."
    )


def warn_duplicate_ids(ticket_ids: list[str]) -> None:
    message = duplicate_ids_message(Counter(ticket_ids))
    if message:
        warnings.warn(message, TriageWarning, stacklevel=3)
