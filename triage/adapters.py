"""Read helpdesk exports as they come out of Zendesk, Freshdesk or any other tool.

Three families are recognised, by content rather than by name:

* **Zendesk**: the API / export JSON (``{"tickets": [...]}`` with optional ``users``, ``groups`` and
  ``organizations`` side-loads, a single ``{"ticket": {...}}``, a JSON array of tickets) and JSON
  Lines of ticket objects (the full JSON export, with ``comments`` and ``metric_set``); and the
  Zendesk CSV export (``Id`` with columns only Zendesk writes: ``Solved at``, ``Via``, ``Group
  stations``, ``Reopens``, ``Requester domain`` ...).
* **Freshdesk**: the CSV ticket export (``Ticket ID``, ``Created time``, ``Resolved time``, ...).
* **Generic**: any CSV / TSV / JSON Lines / Parquet file; columns are found by name
  (:data:`triage.columns.ALIASES`) and by the config's ``[columns]`` table.

Tabular exports (CSV, Parquet, flat JSON Lines) are read as they are: their columns are kept and
only mapped to triage's fields. Zendesk JSON is nested, so it is flattened first into a temporary
Parquet file with one text column per field (see :data:`ZENDESK_COLUMNS`); every command then reads
that file as it reads any other. Zendesk counts reopens, triage counts contacts (the first contact
is contact 1), so a Zendesk export with a reopen count gets a ``contact_count`` column of reopens + 1
(a Zendesk CSV is then read from a temporary copy with that column added). No ticket is left out: a
ticket object that cannot be read stops the run with its position in the file.

A file written by ``triage score`` (:func:`triage.scored.is_scored`) is always a flat table.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .columns import normalise_name, parse_count, resolve_columns, text_value, ticket_id_text
from .errors import InputError, TriageWarning
from .scored import is_scored
from .tables import TableWriter, detect_format, json_lines, read_chunks

SOURCES = ("auto", "zendesk", "freshdesk", "generic")
SYSTEM_NAMES = {"zendesk": "Zendesk", "freshdesk": "Freshdesk", "generic": "generic"}

# Flattened Zendesk ticket: one text column per field, in this order. Names that triage's aliases
# already know keep Zendesk's spelling; the ticket's priority becomes ``ticket_priority`` so it does
# not collide with triage's own ``priority`` output column.
ZENDESK_COLUMNS = (
    "id", "subject", "text", "status", "ticket_priority", "ticket_type", "channel",
    "requester_id", "requester_name", "requester_email", "organization_id", "organization",
    "group_id", "group", "assignee_id", "tags", "created_at", "updated_at", "solved_at",
    "first_response_at", "satisfaction", "satisfaction_comment", "comment_count", "agent_replies",
    "times_reopened", "contact_count", "group_stations",
)
# Keys of a Zendesk ticket object that other tools' records do not have. Generic ones (requester_id,
# group_id, assignee_id, custom_fields ...) are left out: Freshdesk's API and in-house tools use them
# too, and reading such a record as Zendesk would keep only Zendesk's fields.
_ZENDESK_TICKET_KEYS = frozenset(
    {"submitter_id", "satisfaction_rating", "via", "raw_subject", "brand_id", "has_incidents", "collaborator_ids",
     "ticket_form_id", "metric_set", "follower_ids", "email_cc_ids", "sharing_agreement_ids", "allow_channelback",
     "forum_topic_id", "problem_id"}
)
# Normalised headers that only Zendesk's CSV export writes (and triage's flattened Zendesk tickets):
# two of them, with an Id column, make a CSV a Zendesk export. Names any tool may use (Organization,
# Assignee, Requester, Satisfaction, Ticket type ...) do not count.
_ZENDESK_CSV_MARKERS = frozenset(
    {"requester_domain", "requester_external_id", "via", "solved_at", "group_stations", "assignee_stations", "reopens",
     "initially_assigned_at", "summation_column", "first_reply_time_in_minutes", "first_resolution_time_in_minutes",
     "full_resolution_time_in_minutes", "agent_wait_time_in_minutes", "requester_wait_time_in_minutes",
     "on_hold_time_in_minutes", "times_reopened"}
)
# Normalised headers of the Freshdesk CSV export (and of triage's Freshdesk write-back file).
_FRESHDESK_MARKERS = frozenset(
    {"created_time", "due_by_time", "resolved_time", "closed_time", "last_update_time", "initial_response_time",
     "satisfaction_survey", "contact_id", "full_name", "company_name", "priority_value", "private_note"}
)

# Priorities: triage's vocabulary <-> each helpdesk's.
ZENDESK_PRIORITIES = {"Critical": "urgent", "High": "high", "Medium": "normal", "Low": "low"}
FRESHDESK_PRIORITIES = {"Critical": "Urgent", "High": "High", "Medium": "Medium", "Low": "Low"}
FRESHDESK_PRIORITY_VALUES = {"Critical": 4, "High": 3, "Medium": 2, "Low": 1}
_TAG_SPLIT = re.compile(r"\s*[,;]\s*")


@dataclass(frozen=True)
class SourceKind:
    """What a file is: the helpdesk that wrote it and its shape."""

    system: str  # zendesk / freshdesk / generic
    shape: str  # json (one object or array), jsonl, csv, parquet

    @property
    def label(self) -> str:
        shape = {"json": "JSON", "jsonl": "JSON Lines", "csv": "CSV", "parquet": "Parquet"}[self.shape]
        if self.system == "generic":
            return f"generic {shape} (columns found by name and the config's [columns] table)"
        return f"{SYSTEM_NAMES[self.system]} {shape} export"

    @property
    def flattened(self) -> bool:
        """Nested JSON that is flattened to a table before reading."""
        return self.system == "zendesk" and self.shape in ("json", "jsonl")


@dataclass
class OpenedSource:
    """An export ready to read: ``path`` is what :func:`triage.tables.read_chunks` reads (the input
    itself, or its flattened or completed copy), ``columns`` the field mapping the adapter adds
    (below the user's ``--column`` and the config's ``[columns]``). ``notes`` say how it was read;
    ``warnings`` say what changes the figures or what is scored (a subject read as the text, a page
    of a longer API response) and are shown even to a quiet run."""

    input: Path
    path: Path
    kind: SourceKind
    columns: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    rows: int | None = None  # known when the input was flattened
    warnings: list[str] = field(default_factory=list)

    def message(self) -> str:
        counted = f", {self.rows} ticket(s)" if self.rows is not None else ""
        notes = "".join(f"; {note}" for note in self.notes)
        return f"read '{self.input}' as {self.kind.label}{counted}{notes}"

    def announce(self, stream=None, quiet: bool = False) -> None:
        """Say on stderr how a helpdesk export is read (generic files are the default; nothing said),
        unless ``quiet``; warnings are said either way."""
        stream = stream or sys.stderr
        if not quiet and (self.kind.system != "generic" or self.notes):
            print(f"triage: {self.message()}", file=stream)
        for warning in self.warnings:
            print(f"triage: warning: {warning}", file=stream)

    def mapping(self, *overrides: Mapping[str, str] | None) -> dict[str, str]:
        """The adapter's columns overlaid with the config's and the user's (later ones win)."""
        merged = dict(self.columns)
        for override in overrides:
            merged.update(override or {})
        return merged


@dataclass
class AdaptedTickets:
    """A whole export read into memory: the frame, its field mapping, and how it was read."""

    frame: pd.DataFrame
    fields: dict[str, str]
    kind: SourceKind
    message: str


# ---------------------------------------------------------------------------------------------
# detection


def detect_source(path: str | Path, source: str = "auto", encoding: str = "utf-8-sig") -> SourceKind:
    """The kind of export at ``path``; ``source`` forces the helpdesk (``auto`` looks at the content)."""
    path = Path(path)
    if source not in SOURCES:
        raise InputError(f"--source must be one of {', '.join(SOURCES)}; got {source!r}.")
    if not path.exists():
        raise InputError(f"Input '{path}' does not exist.")
    fmt = detect_format(path)
    if fmt == "jsonl":
        shape, first = _json_shape(path, encoding)
        envelopes = first is not None and _is_envelope(first)  # JSON Lines of API responses, one a line
        looks_zendesk = shape == "json" or envelopes or (first is not None and _is_zendesk_ticket(first))
        if source == "freshdesk":
            raise InputError(
                f"'{path}' is JSON, but Freshdesk exports are read from the CSV ticket export; "
                "export CSV from Freshdesk, or pass --source generic to read this file with a column mapping."
            )
        if source == "generic" and (shape == "json" or envelopes):
            what = "one JSON object" if shape == "json" else "JSON Lines of API responses"
            raise InputError(
                f"'{path}' holds {what} (an API response such as {{\"tickets\": [...]}}), not one ticket per line; "
                "pass --source zendesk (or auto) for Zendesk responses, or write one object per line for a generic file."
            )
        if source == "zendesk" or (source == "auto" and looks_zendesk):
            return SourceKind("zendesk", shape)
        return SourceKind("generic", "jsonl")
    header = _header(path, fmt, encoding)
    names = {normalise_name(c) for c in header}
    if source == "auto":
        if is_scored(header):
            source = "generic"  # written by triage score: read as a flat table, whatever it came from
        elif "ticket_id" in names and len(names & _FRESHDESK_MARKERS) >= 2:
            source = "freshdesk"
        elif "id" in names and len(names & _ZENDESK_CSV_MARKERS) >= 2:
            source = "zendesk"
        else:
            source = "generic"
    if source == "freshdesk" and "ticket_id" not in names:
        raise InputError(
            f"'{path}' is read as a Freshdesk export but has no 'Ticket ID' column; columns found: "
            f"{', '.join(_header(path, fmt, encoding))}. Pass --source generic with --column ticket_id=COLUMN instead."
        )
    if source == "zendesk" and "id" not in names and "ticket_id" not in names:
        raise InputError(
            f"'{path}' is read as a Zendesk export but has no 'Id' column; columns found: "
            f"{', '.join(_header(path, fmt, encoding))}. Pass --source generic with --column ticket_id=COLUMN instead."
        )
    return SourceKind(source, fmt)


def _json_shape(path: Path, encoding: str) -> tuple[str, dict | None]:
    """("json", None) for one object / an array; ("jsonl", first record) for one object per line.

    The first non-blank line is read whole, however long (a full export's ticket with its comments
    runs to megabytes). One API response on that line and nothing after it is one JSON object; a
    response on each line is JSON Lines of responses (first record: the response)."""
    with open(path, encoding=encoding) as handle:
        first_line = next((line for line in handle if line.strip()), "")
        more = first_line != "" and any(line.strip() for line in handle)
    stripped = first_line.strip()
    if not stripped:
        return "jsonl", None
    if stripped[0] == "[":
        records = _load_json(path, encoding)
        first = records[0] if isinstance(records, list) and records and isinstance(records[0], dict) else None
        return ("json" if first is not None and _is_zendesk_ticket(first) else "jsonl"), first
    try:
        record = json.loads(stripped)
    except json.JSONDecodeError:
        return "json", None  # a pretty-printed object spans lines: an API response, not JSON Lines
    if isinstance(record, dict) and _is_envelope(record):
        return ("jsonl", record) if more else ("json", None)
    return "jsonl", record if isinstance(record, dict) else None


def _is_envelope(record: Mapping[str, Any]) -> bool:
    return isinstance(record.get("tickets"), list) or isinstance(record.get("ticket"), dict) or isinstance(record.get("results"), list)


def _is_zendesk_ticket(record: Mapping[str, Any]) -> bool:
    url = str(record.get("url", ""))
    if is_scored(record):  # a file written by triage score is a flat table, never flattened again
        return False
    return "id" in record and (len(_ZENDESK_TICKET_KEYS & set(record)) >= 2 or ".zendesk.com/api/" in url)


def _header(path: Path, fmt: str, encoding: str) -> list[str]:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        files = sorted(p for p in path.rglob("*") if p.suffix.lower() in (".parquet", ".pq")) if path.is_dir() else [path]
        try:
            return list(pq.read_schema(files[0]).names) if files else []
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"Cannot read the Parquet file(s) at '{path}': {exc}.") from None
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        with open(path, encoding=encoding, newline="") as handle:
            return next(csv.reader(handle, delimiter=delimiter), [])
    except UnicodeDecodeError as exc:
        raise InputError(
            f"'{path}' is not valid {encoding} text (byte {exc.start}); re-save it as UTF-8 or pass --encoding, e.g. --encoding cp1252."
        ) from None


# ---------------------------------------------------------------------------------------------
# opening


@contextmanager
def open_source(
    path: str | Path, source: str = "auto", encoding: str = "utf-8-sig", chunk_rows: int = 2000, subject_as_text: bool = True
) -> Iterator[OpenedSource]:
    """Detect the export at ``path`` and make it readable by the table readers.

    Tabular exports are read in place. Zendesk JSON is flattened into a temporary Parquet file, and
    a Zendesk CSV with a reopen count is copied with a ``contact_count`` column added; either copy
    lives as long as the ``with`` block. ``subject_as_text``: a Zendesk CSV (which has no
    description) has its subject read as the ticket text, with a warning; readers that do not score
    (metrics, the report) turn that off.
    """
    path = Path(path)
    kind = detect_source(path, source, encoding)
    with tempfile.TemporaryDirectory(prefix="triage-source-") as scratch:
        if kind.flattened:
            found: list[str] = []
            flat = Path(scratch) / f"{path.stem}.parquet"
            rows = _write_flat(zendesk_records(path, kind.shape, encoding, on_warning=found.append), flat, chunk_rows)
            yield OpenedSource(path, flat, kind, {"ticket_id": "id", "text": "text", "team": "group"}, rows=rows, warnings=found)
            return
        opened = OpenedSource(path, path, kind)
        if kind.system == "zendesk":
            _complete_zendesk_table(opened, Path(scratch), encoding, chunk_rows, subject_as_text)
        yield opened


def read_tickets(
    path: str | Path,
    source: str = "auto",
    columns: Mapping[str, str] | None = None,
    encoding: str = "utf-8-sig",
    require_text: bool = False,
) -> AdaptedTickets:
    """The whole export as one frame of text cells, with its fields resolved (for metrics, reports
    and round trips; scoring reads in chunks instead). The adapter's warnings are raised as
    :class:`triage.errors.TriageWarning`."""
    with open_source(path, source, encoding, subject_as_text=require_text) as opened:
        chunks = list(read_chunks(opened.path, encoding=encoding))
        frame = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame()
        message = opened.message()
        mapping = opened.mapping(columns)
    if frame.empty and not len(frame.columns):  # an empty file (scoring an empty JSON input writes one)
        raise InputError(f"'{path}' holds no tickets: the file is empty.")
    for warning in opened.warnings:
        warnings.warn(warning, TriageWarning, stacklevel=2)
    fields = resolve_columns(list(frame.columns), mapping, require_text=require_text, records=True)
    return AdaptedTickets(frame, fields, opened.kind, message)


def _complete_zendesk_table(opened: OpenedSource, scratch: Path, encoding: str, chunk_rows: int, subject_as_text: bool) -> None:
    """What a tabular Zendesk export needs beyond the aliases: the subject as the text when there is
    no description (the CSV export leaves it out), and a contact count from the reopen count."""
    header = _header(opened.path, opened.kind.shape, encoding) if opened.kind.shape in ("csv", "parquet") else []
    found = resolve_columns(header, require_text=False, records=True) if header else {}
    if subject_as_text and header and "text" not in found and "subject" in found:
        opened.columns["text"] = found["subject"]
        opened.warnings.append(
            f"'{opened.input}' has no description or comment column, so its subject ('{found['subject']}') is scored as the text; "
            "export the tickets as JSON to score their descriptions and comments"
        )
    if "reopens" in found and "contact_count" not in found:
        target = scratch / (opened.path.name if opened.path.is_file() else f"{opened.path.name}.parquet")
        counted, unreadable = _add_contact_counts(opened.path, target, found["reopens"], encoding, chunk_rows)
        if counted:
            opened.path = target
            opened.notes.append(f"contact_count added as {found['reopens']} + 1")
        if unreadable:
            opened.notes.append(f"{unreadable} {found['reopens']} value(s) are not whole numbers; their contact count is unknown")


def _add_contact_counts(source: Path, target: Path, reopens: str, encoding: str, chunk_rows: int) -> tuple[int, int]:
    """Copy ``source`` to ``target`` with ``contact_count`` = reopens + 1 (blank when unknown);
    returns how many rows got a count and how many reopen values were unreadable."""
    counted = unreadable = 0
    with TableWriter(target) as writer:
        for chunk in read_chunks(source, chunk_rows=chunk_rows, encoding=encoding):
            contacts = [_contacts(value) for value in chunk[reopens].tolist()]
            unreadable += sum(1 for c in contacts if c is None)
            contacts = [c or "" for c in contacts]
            counted += sum(1 for c in contacts if c)
            writer.write(chunk.assign(contact_count=contacts))
    return counted, unreadable


def _write_flat(records: Iterable[dict[str, str]], target: Path, chunk_rows: int) -> int:
    rows = counted = 0
    batch: list[dict[str, str]] = []
    with TableWriter(target) as writer:
        for record in records:
            batch.append(record)
            counted += bool(record["contact_count"])
            if len(batch) >= chunk_rows:
                writer.write(pd.DataFrame(batch, columns=list(ZENDESK_COLUMNS), dtype=str))
                rows += len(batch)
                batch = []
        if batch or rows == 0:
            writer.write(pd.DataFrame(batch, columns=list(ZENDESK_COLUMNS), dtype=str))
            rows += len(batch)
    if not counted:
        # No reopen count anywhere (an API response has no metric_set): an empty contact_count
        # column would stop triage from counting contacts from the requester's history.
        _drop_parquet_column(target, "contact_count")
    return rows


def _drop_parquet_column(path: Path, column: str) -> None:
    import pyarrow.parquet as pq

    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    kept = schema.remove(schema.get_field_index(column))
    trimmed = path.with_name(f".{path.name}.trimmed")
    with pq.ParquetWriter(trimmed, kept) as writer:
        for batch in source.iter_batches(columns=kept.names):
            writer.write_batch(batch)
    os.replace(trimmed, path)


# ---------------------------------------------------------------------------------------------
# Zendesk JSON


def _load_json(path: Path, encoding: str) -> Any:
    try:
        with open(path, encoding=encoding) as handle:
            return json.load(handle)
    except json.JSONDecodeError as exc:
        raise InputError(f"'{path}' is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.") from None


def zendesk_records(
    path: str | Path, shape: str, encoding: str = "utf-8-sig", on_warning: Callable[[str], None] | None = None
) -> Iterator[dict[str, str]]:
    """Flattened tickets (text cells, keys :data:`ZENDESK_COLUMNS`) of a Zendesk JSON or JSON Lines
    file. JSON Lines may hold one ticket a line or one API response (``{"tickets": [...]}``) a line.

    A response that says more pages exist (``next_page``, ``meta.has_more``, ``end_of_stream``
    false, or a ``count`` above the tickets read) is warned about through ``on_warning``, or as a
    :class:`triage.errors.TriageWarning` without one; the tickets it holds are still read."""
    path = Path(path)
    warn = on_warning or (lambda message: warnings.warn(message, TriageWarning, stacklevel=3))
    if shape == "json":
        data = _load_json(path, encoding)
        if isinstance(data, list):
            tickets, sideloads = data, {}
        elif isinstance(data, dict) and _is_envelope(data):
            tickets, sideloads = _envelope_tickets(data), data
        else:
            keys = ", ".join(map(str, data)) if isinstance(data, dict) else type(data).__name__
            raise InputError(
                f"'{path}' is JSON but not a Zendesk ticket list: expected {{\"tickets\": [...]}}, {{\"ticket\": {{...}}}} "
                f"or an array of tickets; found {keys}."
            )
        names = _Sideloads.from_response(sideloads)
        for number, ticket in enumerate(tickets, start=1):
            if not isinstance(ticket, dict):
                raise InputError(f"'{path}': ticket {number} of the list is a JSON {type(ticket).__name__}; expected a ticket object.")
            yield flatten_zendesk_ticket(ticket, names)
        more = _more_pages(sideloads, len(tickets)) if isinstance(data, dict) else None
        if more:
            warn(_pagination_message(path, len(tickets), more))
        return
    names = _Sideloads()
    read, last_response = 0, None
    with open(path, encoding=encoding) as handle:
        for number, record in json_lines(handle, path, expected="one ticket object per line"):
            if _is_envelope(record):
                tickets, page_names = _envelope_tickets(record), _Sideloads.from_response(record)
                for position, ticket in enumerate(tickets, start=1):
                    if not isinstance(ticket, dict):
                        raise InputError(f"'{path}' line {number}: ticket {position} of the list is a JSON {type(ticket).__name__}; expected a ticket object.")
                    yield flatten_zendesk_ticket(ticket, page_names)
                read += len(tickets)
                last_response = (record, len(tickets))
            else:
                yield flatten_zendesk_ticket(record, names)
                read += 1
    more = _more_pages(*last_response) if last_response is not None else None
    if more:
        warn(_pagination_message(path, read, more))


def _envelope_tickets(response: Mapping[str, Any]) -> list:
    if isinstance(response.get("tickets"), list):
        return response["tickets"]
    if isinstance(response.get("ticket"), dict):
        return [response["ticket"]]
    return response["results"]


def _more_pages(response: Mapping[str, Any], read: int) -> str | None:
    """Why an API response is one page of more (None when it is complete)."""
    meta = response.get("meta") if isinstance(response.get("meta"), dict) else {}
    if response.get("next_page"):
        return f"next_page is {response['next_page']}"
    if meta.get("has_more") is True:
        return "meta.has_more is true"
    if response.get("end_of_stream") is False:
        return "end_of_stream is false"
    count = response.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count > read:
        return f"count is {count}"
    return None


def _pagination_message(path: Path, read: int, why: str) -> str:
    return (
        f"'{path}' is one page of a paginated Zendesk API response: {read} ticket(s) read, but more pages exist ({why}). "
        "Only these tickets are counted; fetch every page (follow next_page, or links.next, until the end) and save them "
        "one response a line in a .jsonl file to read them all."
    )


@dataclass
class _Sideloads:
    """Names of users, groups and organisations side-loaded with an API response."""

    users: dict[str, dict] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    organizations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> _Sideloads:
        def by_id(key: str) -> dict[str, dict]:
            items = response.get(key) or []
            return {ticket_id_text(item.get("id")): item for item in items if isinstance(item, dict)}

        return cls(
            users=by_id("users"),
            groups={k: text_value(v.get("name")) for k, v in by_id("groups").items()},
            organizations={k: text_value(v.get("name")) for k, v in by_id("organizations").items()},
        )


def _named(value: Any, key: str = "name") -> str:
    """A nested object's name (``{"name": ...}``) or a plain value as text."""
    if isinstance(value, dict):
        return text_value(value.get(key))
    return text_value(value)


def _count(value: Any) -> str:
    return "" if value is None or value == "" else ticket_id_text(value)


def _contacts(reopens: Any) -> str | None:
    """Zendesk's reopen count as triage's contact count: reopened twice is the third contact
    ("" when the count is blank, None when it is not a whole number)."""
    try:
        number = parse_count(_count(reopens))
    except ValueError:
        return None
    return "" if math.isnan(number) else str(int(number) + 1)


def flatten_zendesk_ticket(ticket: Mapping[str, Any], names: _Sideloads | None = None) -> dict[str, str]:
    """One Zendesk ticket object as text cells.

    The text scored is the description followed by the requester's later public comments (the
    customer's own follow-ups; agents' replies are left out). The first public comment by anyone
    but the requester is the first response; satisfaction is the rating's score (good / bad /
    offered / unoffered); ``metric_set`` adds the solved time, reopens, replies and group stations.
    The reopen count (``metric_set.reopens``, else a ticket's own ``times_reopened`` / ``reopens``)
    also gives ``contact_count`` = reopens + 1.
    """
    names = names or _Sideloads()
    requester_id = ticket_id_text(ticket.get("requester_id"))
    requester = ticket.get("requester") if isinstance(ticket.get("requester"), dict) else names.users.get(requester_id, {})
    via = ticket.get("via") if isinstance(ticket.get("via"), dict) else {}
    sender = ((via.get("source") or {}).get("from") or {}) if isinstance(via.get("source"), dict) else {}
    metrics = ticket.get("metric_set") if isinstance(ticket.get("metric_set"), dict) else {}
    rating = ticket.get("satisfaction_rating")
    comments = [c for c in ticket.get("comments") or [] if isinstance(c, dict)]
    comments.sort(key=lambda c: text_value(c.get("created_at")))
    description = text_value(ticket.get("description"))
    customer_said, agent_replies, first_response = [], 0, ""
    for comment in comments:
        body = text_value(comment.get("plain_body") or comment.get("body"))
        public = comment.get("public", True) is not False
        by_requester = requester_id != "" and ticket_id_text(comment.get("author_id")) == requester_id
        if by_requester and public and body.strip():
            customer_said.append(body)
        elif public and requester_id and not by_requester:  # no requester: whose reply it is cannot be told
            agent_replies += 1
            first_response = first_response or text_value(comment.get("created_at"))
    if customer_said and description and customer_said[0].strip() == description.strip():
        customer_said = customer_said[1:]  # the first comment is the description itself
    text = "\n\n".join(part for part in [description, *customer_said] if part)
    tags = ticket.get("tags") if isinstance(ticket.get("tags"), list) else []
    extra_tags = ticket.get("additional_tags") if isinstance(ticket.get("additional_tags"), list) else []
    group_id = ticket_id_text(ticket.get("group_id"))
    organization_id = ticket_id_text(ticket.get("organization_id"))
    replies = metrics.get("replies")
    reopens = next((v for v in (metrics.get("reopens"), ticket.get("times_reopened"), ticket.get("reopens")) if v not in (None, "")), None)
    record = {
        "id": ticket_id_text(ticket.get("id")),
        "subject": text_value(ticket.get("subject") or ticket.get("raw_subject")),
        "text": text,
        "status": text_value(ticket.get("status")),
        "ticket_priority": text_value(ticket.get("priority")),
        "ticket_type": text_value(ticket.get("type")),
        "channel": text_value(via.get("channel")),
        "requester_id": requester_id,
        "requester_name": _named(requester) or text_value(sender.get("name")),
        "requester_email": text_value(requester.get("email") if isinstance(requester, dict) else "") or text_value(sender.get("address")),
        "organization_id": organization_id,
        "organization": _named(ticket.get("organization")) or names.organizations.get(organization_id, ""),
        "group_id": group_id,
        "group": _named(ticket.get("group")) or names.groups.get(group_id, "") or text_value(ticket.get("group_name")),
        "assignee_id": ticket_id_text(ticket.get("assignee_id")),
        "tags": " ".join(text_value(t) for t in [*tags, *extra_tags] if text_value(t)),
        "created_at": text_value(ticket.get("created_at")),
        "updated_at": text_value(ticket.get("updated_at")),
        "solved_at": text_value(metrics.get("solved_at") or ticket.get("solved_at")),
        "first_response_at": first_response,
        "satisfaction": _named(rating, "score"),
        "satisfaction_comment": _named(rating, "comment") if isinstance(rating, dict) else "",
        "comment_count": str(len(comments)) if comments else "",
        "agent_replies": _count(replies) if replies is not None else (str(agent_replies) if comments and requester_id else ""),
        "times_reopened": _count(reopens),
        "contact_count": _contacts(reopens) or "",
        "group_stations": _count(metrics.get("group_stations")),
    }
    return record


# ---------------------------------------------------------------------------------------------
# values


def split_tags(value: object) -> list[str]:
    """Tags as exports write them: a list, space-separated (Zendesk) or comma-separated (Freshdesk)."""
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    if hasattr(value, "tolist"):
        return split_tags(value.tolist())
    text = text_value(value).strip()
    if not text:
        return []
    if "," in text or ";" in text:
        return [t for t in _TAG_SPLIT.split(text) if t]
    return text.split()


__all__ = [
    "FRESHDESK_PRIORITIES",
    "FRESHDESK_PRIORITY_VALUES",
    "SOURCES",
    "ZENDESK_COLUMNS",
    "ZENDESK_PRIORITIES",
    "AdaptedTickets",
    "OpenedSource",
    "SourceKind",
    "detect_source",
    "flatten_zendesk_ticket",
    "open_source",
    "read_tickets",
    "split_tags",
    "zendesk_records",
]
