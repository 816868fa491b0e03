"""Write triage's decisions back to a helpdesk as a bulk-update file.

``triage score INPUT -o OUT --format zendesk|freshdesk`` writes, for every scored ticket, its new
priority in the helpdesk's words, the group of its tier, tags for its tier and categories, and a
private note with the reasons:

* **Zendesk**: JSON Lines, one request body of the ``update_many`` endpoint a line
  (``PUT /api/v2/tickets/update_many.json``), each ``{"tickets": [...]}`` with at most 100 tickets,
  Zendesk's limit a request: send the file line by line. Per ticket: ``id``, ``priority``,
  ``group_id`` (only for tiers whose id is set in ``[writeback.zendesk_group_ids]``: Zendesk routes
  by number, not by name), ``additional_tags``, ``remove_tags`` (triage's tags from an earlier
  write-back that no longer apply: the other tiers' tags, ``escalated`` and ``needs_review`` when
  they are not set now, and any other triage tag the export shows on the ticket) and ``comment``
  (``{"body", "public": false}``). Closed tickets are left out (Zendesk does not update them) when
  the export has a status column.
* **Freshdesk**: a CSV file, one row a ticket: ``Ticket ID``, ``Priority`` (Urgent / High / Medium /
  Low), ``Priority value`` (4 / 3 / 2 / 1, as Freshdesk's API numbers them), ``Group`` (the group's
  name), ``Group ID`` (from ``[writeback.freshdesk_group_ids]``), ``Tags`` (comma-separated) and
  ``Private note``. Freshdesk has no import for ticket updates: each row is for one ``PUT
  /api/v2/tickets/{id}`` (priority, group_id, tags) and one ``POST /api/v2/tickets/{id}/notes``
  with ``"private": true`` from a script. That PUT replaces a ticket's whole tag list, so ``Tags``
  holds the export's own tags (its earlier triage tags dropped) followed by triage's.

Both files are written next to the target and renamed into place when complete
(:class:`triage.tables.TableWriter`), and both read back through :mod:`triage.adapters` with the same
ids, priorities and tags.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from .adapters import FRESHDESK_PRIORITIES, FRESHDESK_PRIORITY_VALUES, ZENDESK_PRIORITIES, detect_source, split_tags
from .columns import resolve_columns, text_value, ticket_id_text
from .config import PRIORITIES, TIERS, Config
from .errors import InputError
from .scored import flag, listed, missing_scored_columns, tag, tier_number
from .tables import CommitsOnSuccess, TableWriter, read_chunks, sibling_path

WRITEBACK_FORMATS = ("zendesk", "freshdesk")
FRESHDESK_COLUMNS = ("Ticket ID", "Priority", "Priority value", "Group", "Group ID", "Tags", "Private note")
ZENDESK_TICKETS_PER_REQUEST = 100  # update_many's limit
_EXTENSIONS = {"zendesk": (".jsonl", ".ndjson", ".json"), "freshdesk": (".csv",)}
_CLOSED = "closed"  # Zendesk's status of a ticket that can no longer be changed


@dataclass(frozen=True)
class WritebackTicket:
    """One ticket's update, in triage's words; the writers translate it to each helpdesk's."""

    ticket_id: int
    priority: str
    tier: int
    tier_name: str
    group: str
    zendesk_group_id: int | None
    freshdesk_group_id: int | None
    tags: tuple[str, ...]  # triage's tags for the ticket now
    remove_tags: tuple[str, ...]  # triage's tags it may carry from an earlier write-back that no longer apply
    own_tags: tuple[str, ...]  # the ticket's other tags, as the export gives them (empty without a tags column)
    note: str
    status: str = ""  # as the export gives it; "" without a status column

    @property
    def whole_tag_list(self) -> list[str]:
        """For helpdesks that replace a ticket's tags: its own tags first, then triage's."""
        return list(dict.fromkeys([*self.own_tags, *self.tags]))


@dataclass(frozen=True)
class _Note:
    priority: str
    tier: int
    tier_name: str
    group: str
    escalate: bool
    needs_review: bool
    reasons: list[str]
    actions: list[str]
    sla: str


@dataclass(frozen=True)
class WritebackResult:
    """What a bulk-update file holds."""

    path: Path
    format: str
    tickets: int  # updates written
    requests: int  # Zendesk: request bodies (lines); Freshdesk: rows
    skipped_closed: int  # Zendesk tickets left out because they are closed
    own_tags: bool  # the export had a tags column, so its own tags are known and carried
    replaces_tags: bool  # the file sets each ticket's whole tag list (Freshdesk; Zendesk's "tags" field)

    def line(self) -> str:
        """One line for the command's summary."""
        text = f"{self.format} bulk update of {self.tickets} ticket(s)"
        if self.format == "zendesk":
            text += f" in {self.requests} request(s) of at most {ZENDESK_TICKETS_PER_REQUEST}"
            if self.skipped_closed:
                text += f"; {self.skipped_closed} closed ticket(s) skipped (Zendesk does not update closed tickets)"
        if self.replaces_tags and not self.own_tags:
            text += "; the export has no tags column, so the tags sent are triage's only and replace each ticket's own"
        return text


def default_writeback_path(input_path: Path, fmt: str) -> Path:
    """``tickets.csv`` -> ``tickets.zendesk.jsonl`` / ``tickets.freshdesk.csv``."""
    return sibling_path(input_path, fmt, _EXTENSIONS[fmt][0])


def helpdesk_id(raw: Any, row_number: int) -> int:
    """A row's helpdesk ticket id: a whole number, or an InputError naming the row."""
    ticket_id = ticket_id_text(raw).strip()
    if not ticket_id:
        raise InputError(f"Row {row_number} has no ticket id; every row of a write-back must name the helpdesk ticket it updates.")
    if not (ticket_id.isascii() and ticket_id.isdigit()):  # "12²" passes isdigit but not int()
        raise InputError(
            f"Helpdesk ticket ids are whole numbers; row {row_number} has {ticket_id!r}. Write back only tickets exported "
            "from the helpdesk, or map its id column with --column ticket_id=COLUMN."
        )
    return int(ticket_id)


def _no_id_column(columns: list) -> InputError:
    return InputError(
        "A write-back needs each ticket's helpdesk id, but the export has no ticket id column "
        f"(columns found: {', '.join(map(str, columns))}); map it with --column ticket_id=COLUMN."
    )


def check_helpdesk_ids(
    path: str | Path, source: str = "auto", columns: Mapping[str, str] | None = None, encoding: str = "utf-8-sig", chunk_rows: int = 2000
) -> None:
    """Stop before any scoring when a tabular export's ticket ids cannot be a helpdesk's (blank or
    not whole numbers). Reads only the export; Zendesk JSON, whose ids are numbers, is not read."""
    if detect_source(path, source, encoding).flattened:
        return
    row = 0
    for chunk in read_chunks(path, chunk_rows=chunk_rows, encoding=encoding):
        id_column = resolve_columns(list(chunk.columns), columns, require_text=False).get("ticket_id")
        if id_column is None:
            raise _no_id_column(list(chunk.columns))
        for raw in chunk[id_column].tolist():
            row += 1
            helpdesk_id(raw, row)


class WritebackBuilder:
    """Turns scored rows into :class:`WritebackTicket` updates with the config's groups, tag prefix and note."""

    def __init__(self, config: Config):
        self.config = config
        builtin = Path(str(resources.files("triage") / "templates"))
        env = Environment(loader=FileSystemLoader(str(builtin)), undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
        self.template = env.get_template("writeback_note.txt.j2")

    def tickets(
        self, scored: pd.DataFrame, id_column: str | None, first_row: int = 1, tags_column: str | None = None, status_column: str | None = None
    ) -> list[WritebackTicket]:
        """The updates of a scored frame; ``tags_column`` and ``status_column`` name the export's
        own tags and status, when it has them."""
        missing = missing_scored_columns(scored.columns)
        if missing:
            raise InputError(
                f"A write-back needs triage's decision columns; {', '.join(missing)} missing among the columns found "
                f"({', '.join(map(str, scored.columns))}). Score the export first."
            )
        if id_column is None:
            raise _no_id_column(list(scored.columns))
        for what, column in (("ticket id", id_column), ("tags", tags_column), ("status", status_column)):
            if column is not None and column not in scored.columns:
                raise InputError(
                    f"The {what} column '{column}' is not among the columns found ({', '.join(map(str, scored.columns))}); "
                    "name one of those."
                )
        out = []
        for offset, (_, row) in enumerate(scored.iterrows()):
            values = row.to_dict()
            out.append(
                self.ticket(
                    values,
                    values[id_column],
                    first_row + offset,
                    own_tags=split_tags(values[tags_column]) if tags_column is not None else (),
                    status=text_value(values[status_column]).strip() if status_column is not None else "",
                )
            )
        return out

    def ticket(self, row: Mapping[str, Any], raw_id: Any, row_number: int, own_tags=(), status: str = "") -> WritebackTicket:
        ticket_id = helpdesk_id(raw_id, row_number)
        priority = text_value(row.get("priority")).strip()
        if priority not in PRIORITIES:
            raise InputError(f"Row {row_number} (ticket {ticket_id}) has priority {priority!r}; expected one of {', '.join(PRIORITIES)}.")
        tier = tier_number(row.get("tier"))
        if tier is None:
            raise InputError(f"Row {row_number} (ticket {ticket_id}) has tier {row.get('tier')!r}; expected 1 to 4.")
        prefix = self.config.writeback.tag_prefix
        categories = listed(row.get("categories"), "categories")
        escalate = flag(row.get("escalate"))
        needs_review = flag(row.get("needs_review"))
        tags = [tag(f"tier_{tier}", prefix), *(tag(c, prefix) for c in categories)]
        if escalate:
            tags.append(tag("escalated", prefix))
        tags = list(dict.fromkeys(tags))
        note = ""
        if self.config.writeback.note:
            note = self.template.render(
                n=_Note(
                    priority=priority,
                    tier=tier,
                    tier_name=self.config.tier_names.get(tier, ""),
                    group=self.config.group_for_tier(tier),
                    escalate=escalate,
                    needs_review=needs_review,
                    reasons=listed(row.get("reasons"), "reasons"),
                    actions=listed(row.get("actions"), "actions"),
                    sla=_sla(row),
                )
            ).strip()
        return WritebackTicket(
            ticket_id=ticket_id,
            priority=priority,
            tier=tier,
            tier_name=self.config.tier_names.get(tier, ""),
            group=self.config.group_for_tier(tier),
            zendesk_group_id=self.config.writeback.zendesk_group_ids.get(tier),
            freshdesk_group_id=self.config.writeback.freshdesk_group_ids.get(tier),
            tags=tuple(tags),
            remove_tags=_stale_tags(tags, own_tags, prefix),
            own_tags=tuple(t for t in own_tags if not t.casefold().startswith(prefix.casefold())),
            note=note,
            status=status,
        )


def _stale_tags(tags: list[str], own_tags, prefix: str) -> tuple[str, ...]:
    """triage's tags that a ticket may still carry from an earlier write-back but that no longer
    apply: the other tiers' tags, ``escalated`` and ``needs_review`` when not set now, and any other
    triage tag the export shows on the ticket."""
    candidates = [tag(f"tier_{t}", prefix) for t in TIERS] + [tag("escalated", prefix), tag("needs_review", prefix)]
    candidates += [t.casefold() for t in own_tags if t.casefold().startswith(prefix.casefold())]
    current = set(tags)
    return tuple(t for t in dict.fromkeys(candidates) if t not in current)


def _sla(row: Mapping[str, Any]) -> str:
    state = row.get("sla_state")
    if not isinstance(state, str) or not state:
        return ""
    pct = row.get("sla_elapsed_pct")
    try:
        share = f" {float(pct):g}% elapsed" if pct not in (None, "") else ""
    except (TypeError, ValueError):
        share = ""
    due = text_value(row.get("sla_due_at"))
    return f"{text_value(row.get('sla_clock'))} clock{share}, {state.replace('_', ' ')}" + (f", due {due}" if due else "")


def zendesk_update(ticket: WritebackTicket, tags_field: str = "additional_tags") -> dict[str, Any]:
    """One entry of Zendesk's update_many body. ``tags_field = "tags"`` replaces the ticket's tags
    with its own (other than triage's old ones) followed by triage's, so nothing needs removing;
    ``additional_tags`` comes with ``remove_tags``."""
    update: dict[str, Any] = {"id": ticket.ticket_id, "priority": ZENDESK_PRIORITIES[ticket.priority]}
    if ticket.zendesk_group_id is not None:
        update["group_id"] = ticket.zendesk_group_id
    if tags_field == "tags":  # the ticket's other tags go too, or Zendesk would drop them
        update["tags"] = ticket.whole_tag_list
    else:
        update["additional_tags"] = list(ticket.tags)
        if ticket.remove_tags:
            update["remove_tags"] = list(ticket.remove_tags)
    if ticket.note:
        update["comment"] = {"body": ticket.note, "public": False}
    return update


def freshdesk_row(ticket: WritebackTicket) -> dict[str, Any]:
    """One row of the Freshdesk bulk-update CSV; Tags: the ticket's own tags, then triage's."""
    return {
        "Ticket ID": str(ticket.ticket_id),
        "Priority": FRESHDESK_PRIORITIES[ticket.priority],
        "Priority value": str(FRESHDESK_PRIORITY_VALUES[ticket.priority]),
        "Group": ticket.group,
        "Group ID": "" if ticket.freshdesk_group_id is None else str(ticket.freshdesk_group_id),
        "Tags": ", ".join(ticket.whole_tag_list),
        "Private note": ticket.note,
    }


class WritebackWriter(CommitsOnSuccess):
    """Writes a bulk-update file chunk by chunk; the file appears only when :meth:`close` completes.

    Use as a context manager: an exception drops the partial file and leaves the target untouched.
    """

    def __init__(self, path: str | Path, fmt: str, config: Config):
        if fmt not in WRITEBACK_FORMATS:
            raise InputError(f"--format must be one of {', '.join(WRITEBACK_FORMATS)}; got {fmt!r}.")
        self.path, self.format = Path(path), fmt
        if self.path.suffix.lower() not in _EXTENSIONS[fmt]:
            raise InputError(
                f"A {fmt.capitalize()} write-back is a {_EXTENSIONS[fmt][0]} file; '{self.path}' ends in "
                f"'{self.path.suffix}'. Name it e.g. '{self.path.with_suffix(_EXTENSIONS[fmt][0]).name}'."
            )
        self.builder = WritebackBuilder(config)
        self.tags_field = config.writeback.zendesk_tags_field
        self.rows = 0
        self.requests = 0
        self.skipped_closed = 0
        self.own_tags = False
        self._batch: list[dict[str, Any]] = []
        self._table = TableWriter(self.path)
        # Held open across write() calls and closed by close() / abort(), so no ``with`` block.
        self._handle = open(self._table.temp, "w", encoding="utf-8", newline="\n") if fmt == "zendesk" else None  # noqa: SIM115

    def write(self, scored: pd.DataFrame, id_column: str | None, tags_column: str | None = None, status_column: str | None = None) -> None:
        """Add a scored chunk; ``tags_column`` / ``status_column`` name the export's tags and status, if any."""
        tickets = self.builder.tickets(scored, id_column, self.rows + self.skipped_closed + 1, tags_column, status_column)
        self.own_tags = self.own_tags or tags_column is not None
        if self.format == "zendesk":
            for ticket in tickets:
                if ticket.status.casefold() == _CLOSED:
                    self.skipped_closed += 1
                    continue
                self._batch.append(zendesk_update(ticket, self.tags_field))
                self.rows += 1
                if len(self._batch) == ZENDESK_TICKETS_PER_REQUEST:
                    self._flush()
        elif tickets:  # an empty file still gets its header, once, from close()
            self._table.write(pd.DataFrame([freshdesk_row(t) for t in tickets], columns=list(FRESHDESK_COLUMNS)))
            self.rows += len(tickets)
            self.requests += len(tickets)

    def _flush(self) -> None:
        if self._batch:
            self._handle.write(json.dumps({"tickets": self._batch}, ensure_ascii=False) + "\n")
            self.requests += 1
            self._batch = []

    def close(self) -> None:
        if self._handle is not None:
            self._flush()
            self._handle.close()
        elif self.rows == 0:
            self._table.write(pd.DataFrame(columns=list(FRESHDESK_COLUMNS)))
        self._table.close()

    def abort(self) -> None:
        if self._handle is not None and not self._handle.closed:
            self._handle.close()
        self._table.abort()

    def result(self) -> WritebackResult:
        replaces_tags = self.format == "freshdesk" or self.tags_field == "tags"
        return WritebackResult(self.path, self.format, self.rows, self.requests, self.skipped_closed, self.own_tags, replaces_tags)


def write_back(
    scored: pd.DataFrame,
    path: str | Path,
    fmt: str,
    config: Config,
    id_column: str | None,
    tags_column: str | None = None,
    status_column: str | None = None,
) -> WritebackResult:
    """Write the bulk-update file for a scored frame; ``tags_column`` and ``status_column`` name
    the export's own tags and status when it has them (Freshdesk keeps the tags, Zendesk skips
    closed tickets)."""
    with WritebackWriter(path, fmt, config) as writer:
        writer.write(scored, id_column, tags_column, status_column)
    return writer.result()


__all__ = [
    "FRESHDESK_COLUMNS",
    "WRITEBACK_FORMATS",
    "ZENDESK_TICKETS_PER_REQUEST",
    "WritebackBuilder",
    "WritebackResult",
    "WritebackTicket",
    "WritebackWriter",
    "check_helpdesk_ids",
    "default_writeback_path",
    "freshdesk_row",
    "helpdesk_id",
    "tag",
    "write_back",
    "zendesk_update",
]
