"""Command line: ``triage score INPUT -o OUTPUT``.

Each command is a thin wrapper over an importable function; ``main(argv)`` returns the exit code so
tests call it directly. A user error prints one line on stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import TriageError

EXAMPLES = """examples:
  triage score data/sample_tickets.csv -o out/scored.csv
  triage score export.jsonl -o scored.parquet --config my_policy.toml
  triage score export.csv --column text="Ticket Body" --column ticket_id="Case Number"
  triage explain TK-06443 data/sample_tickets.csv
  triage rules data/sample_tickets.csv
  triage handoff data/sample_tickets.csv -o out/handoffs
  triage init-config my_policy.toml
"""


def _column_mapping(values: list[str]) -> dict[str, str]:
    mapping = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column:
            raise argparse.ArgumentTypeError(f"--column expects FIELD=COLUMN, e.g. text=Description; got {value!r}")
        mapping[field.strip()] = column
    return mapping


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="triage",
        description="Decide how urgent each support ticket is and which tier must handle it, with reasons.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"triage {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    score = commands.add_parser(
        "score",
        help="score a ticket export (CSV, JSON Lines or Parquet)",
        description=(
            "Score every ticket of INPUT and write OUTPUT with the input columns kept, in order, plus "
            "priority, tier, escalate, sentiment, sentiment_label, categories, reasons and confidence. "
            "Formats follow the file extensions (.csv, .tsv, .jsonl, .json, .parquet). The output is "
            "written to a temporary file and renamed into place only when every row is scored."
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    score.add_argument("input", type=Path, metavar="INPUT", help="ticket export: .csv, .tsv, .jsonl, .json, .parquet or a folder of Parquet files")
    score.add_argument("-o", "--output", type=Path, metavar="OUTPUT", help="scored file to write (default: INPUT with .scored before the extension)")
    _add_engine_options(score)
    _add_reading_options(score)
    score.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    score.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    score.set_defaults(run=run_score)

    explain = commands.add_parser(
        "explain",
        help="show the decision and every reason for one ticket",
        description="Score INPUT and print the decision for TICKET_ID: priority, tier, escalation, actions, and every reason.",
        epilog="example:\n  triage explain TK-06443 data/sample_tickets.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    explain.add_argument("ticket_id", metavar="TICKET_ID", help="the ticket's id as written in the export")
    explain.add_argument("input", type=Path, metavar="INPUT", help="ticket export holding that ticket")
    _add_engine_options(explain)
    _add_reading_options(explain)
    explain.set_defaults(run=run_explain)

    rules = commands.add_parser(
        "rules",
        help="how often each policy rule fired over a file, and which tickets it moved",
        description=(
            "Score INPUT and summarise the policy: per rule, how many tickets it fired on, how often it overrode the "
            "classifier (its decision alone changes the proposed priority or tier), and example tickets it moved."
        ),
        epilog="example:\n  triage rules data/sample_tickets.csv --table out/rules.csv",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rules.add_argument("input", type=Path, metavar="INPUT", help="ticket export")
    rules.add_argument("-o", "--output", type=Path, metavar="OUTPUT", help="also keep the scored file here")
    rules.add_argument("--table", type=Path, metavar="FILE", help="write the per-rule table as CSV")
    _add_engine_options(rules)
    _add_reading_options(rules)
    rules.set_defaults(run=run_rules)

    handoff = commands.add_parser(
        "handoff",
        help="write a hand-off document for every escalated ticket",
        description=(
            "Score INPUT and write, for every escalated ticket, a Markdown hand-off document (ticket, customer, "
            "priority, target tier, reasons, summary, timeline, what was tried, mood, expectations, next steps, and "
            "the acknowledgement, internal note and follow-up messages) into DIR, with an index.md. Personal data "
            "(e-mail addresses, phone numbers, card numbers) is masked unless --keep-personal-data is given."
        ),
        epilog="example:\n  triage handoff data/sample_tickets.csv -o out/handoffs",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    handoff.add_argument("input", type=Path, metavar="INPUT", help="ticket export")
    handoff.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="folder for the documents")
    handoff.add_argument("--keep-personal-data", action="store_true", help="do not mask e-mail addresses, phone and card numbers")
    handoff.add_argument("--templates", type=Path, metavar="DIR", help="folder with your own Jinja2 templates (overrides the config)")
    _add_engine_options(handoff)
    _add_reading_options(handoff)
    handoff.set_defaults(run=run_handoff)

    init = commands.add_parser(
        "init-config",
        help="write the default policy configuration to edit",
        description="Write the escalation policy's defaults, with comments, to PATH (TOML) for your team to edit.",
    )
    init.add_argument("path", type=Path, nargs="?", default=Path("triage.toml"), metavar="PATH", help="where to write it (default: triage.toml)")
    init.add_argument("--force", action="store_true", help="overwrite PATH if it exists")
    init.set_defaults(run=run_init_config)
    return parser


def _add_engine_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE", help="policy configuration (TOML); default: the escalation policy's defaults")
    command.add_argument("--model", type=Path, metavar="DIR", help="model folder (default: the shipped models/default)")
    command.add_argument(
        "--as-of", metavar="TIME", help="read SLA clocks at this time, e.g. 2026-11-30T12:00:00Z, to replay a past moment (default: now)"
    )


def _add_reading_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--column", action="append", default=[], metavar="FIELD=COLUMN",
        help="use COLUMN for triage FIELD (text, subject, ticket_id, contact_count, customer_tier, is_vip, ltv, "
        "revenue_impact, created_at, requester, thread_id, reply_to); repeatable",
    )
    command.add_argument("--chunk-rows", type=int, default=2000, metavar="N", help="rows read and scored at a time (default: 2000)")
    command.add_argument("--encoding", default="utf-8-sig", help="text encoding of CSV / JSON input (default: UTF-8, with or without BOM)")


def _print_error(message: str) -> None:
    print(f"triage: error: {' '.join(str(message).split())}", file=sys.stderr)


class _WarningPrinter:
    """Prints the first warnings of a run on stderr, then only counts them."""

    def __init__(self, quiet: bool, limit: int = 20):
        self.quiet, self.limit, self.count = quiet, limit, 0

    def __call__(self, message: str) -> None:
        self.count += 1
        if not self.quiet and self.count <= self.limit:
            print(f"triage: warning: {message}", file=sys.stderr)

    def finish(self) -> None:
        if not self.quiet and self.count > self.limit:
            print(f"triage: warning: {self.count - self.limit} more warning(s) not shown", file=sys.stderr)


def _engine_and_columns(args: argparse.Namespace):
    from .engine import load

    if args.chunk_rows < 1:
        raise TriageError(f"--chunk-rows must be 1 or more; got {args.chunk_rows}.")
    columns = _column_mapping(args.column)
    return load(args.model, args.config), columns


def _score_to(args: argparse.Namespace, output: Path, quiet: bool, progress: bool, on_chunk=None):
    from .batch import score_file

    engine, columns = _engine_and_columns(args)
    printer = _WarningPrinter(quiet)
    summary = score_file(
        engine,
        args.input,
        output,
        columns=columns,
        chunk_rows=args.chunk_rows,
        encoding=args.encoding,
        progress=progress and sys.stderr.isatty(),
        on_warning=printer,
        on_chunk=None if on_chunk is None else (lambda scored: on_chunk(engine, columns, scored)),
        as_of=args.as_of,
    )
    printer.finish()
    return summary


def run_score(args: argparse.Namespace) -> int:
    summary = _score_to(args, args.output, args.quiet, progress=not (args.no_progress or args.quiet))
    if not args.quiet:
        print("\n".join(summary.lines()))
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from .batch import history_contact_counts
    from .columns import ticket_id_text
    from .tables import read_chunks

    engine, columns = _engine_and_columns(args)
    contacts = history_contact_counts(engine, args.input, columns, args.chunk_rows, args.encoding)
    offset, rows_seen, sample_ids = 0, 0, []
    for chunk in read_chunks(args.input, chunk_rows=args.chunk_rows, encoding=args.encoding):
        id_column = engine.resolve_columns(list(chunk.columns), columns).get("ticket_id")
        if id_column is None:
            raise TriageError(f"'{args.input}' has no ticket id column; map one with --column ticket_id=COLUMN.")
        ids = [ticket_id_text(v) for v in chunk[id_column]]
        sample_ids.extend(ids[: max(0, 3 - len(sample_ids))])
        matches = [i for i, tid in enumerate(ids) if tid == args.ticket_id]
        if matches:
            counts = None if contacts is None else contacts[offset : offset + len(chunk)][matches]
            scored = engine.score_frame(chunk.iloc[matches].reset_index(drop=True), columns, contact_counts=counts, as_of=args.as_of)
            for _, row in scored.iterrows():
                print(_explanation(args.ticket_id, row, engine))
            return 0
        offset += len(chunk)
        rows_seen += len(chunk)
    raise TriageError(
        f"Ticket '{args.ticket_id}' is not in '{args.input}' ({rows_seen} rows; ids look like {', '.join(sample_ids)})."
    )


def _explanation(ticket_id: str, row, engine) -> str:
    tier_name = engine.config.tier_names.get(int(row["tier"]), "")
    lines = [
        f"ticket        {ticket_id}",
        f"priority      {row['priority']} (classifier: {row['model_priority']})",
        f"tier          {int(row['tier'])} {tier_name} (classifier: {int(row['model_tier'])})",
        f"escalate      {'yes' if row['escalate'] else 'no'}",
        f"needs review  {'yes' if row['needs_review'] else 'no'}",
        f"sentiment     {row['sentiment']:+.2f} ({row['sentiment_label']})",
        f"confidence    {row['confidence']:.0%}",
        f"categories    {', '.join(row['categories']) or '-'}",
        f"actions       {', '.join(row['actions']) or '-'}",
        f"rules fired   {', '.join(row['rules_fired']) or '-'}",
        f"SLA           {_sla_text(row)}",
        "reasons:",
        *(f"  - {reason}" for reason in row["reasons"]),
    ]
    return "\n".join(lines)


def _sla_text(row) -> str:
    if not isinstance(row.get("sla_state"), str):
        return "- (no creation time)"
    return f"{row['sla_clock']} {row['sla_elapsed_pct']:g}% elapsed, {row['sla_state']}, due {row['sla_due_at']}"


def run_rules(args: argparse.Namespace) -> int:
    import tempfile

    from .audit import RuleAudit

    audit = RuleAudit()

    def on_chunk(engine, columns, scored):
        audit.add(scored, engine.resolve_columns(list(scored.columns), columns).get("ticket_id"))

    with tempfile.TemporaryDirectory() as scratch:
        output = args.output or Path(scratch) / "scored.parquet"
        _score_to(args, output, quiet=False, progress=True, on_chunk=on_chunk)
    print("\n".join(audit.lines()))
    if args.table:
        audit.table().to_csv(args.table, index=False)
        print(f"\nper-rule table written to {args.table}")
    return 0


def run_handoff(args: argparse.Namespace) -> int:
    import tempfile

    from .engine import resolve_as_of
    from .handoff import HandoffWriter, build_handoff, safe_filename, write_handoffs

    as_of = (resolve_as_of(args.as_of)).strftime("%Y-%m-%d %H:%M UTC")
    args.output.mkdir(parents=True, exist_ok=True)
    written: list = []
    names: set[str] = set()
    state: dict = {}

    def on_chunk(engine, columns, scored):
        if "writer" not in state:
            state["writer"] = HandoffWriter(args.templates or engine.config.templates_dir)
        mask = engine.config.mask_personal_data and not args.keep_personal_data
        fields = engine.resolve_columns([c for c in scored.columns], columns)
        resolved = scored["sla_state"].isin(["met", "missed"])
        state["skipped"] = state.get("skipped", 0) + int((scored["escalate"] & resolved).sum())
        for _, row in scored[scored["escalate"] & ~resolved].iterrows():
            handoff = build_handoff(row.to_dict(), fields, engine.config, as_of, mask=mask)
            name = safe_filename(handoff.ticket_id or f"row-{len(written) + 1}", names)
            (args.output / name).write_text(state["writer"].document(handoff), encoding="utf-8")
            written.append((handoff, name))

    with tempfile.TemporaryDirectory() as scratch:
        summary = _score_to(args, Path(scratch) / "scored.parquet", quiet=False, progress=True, on_chunk=on_chunk)
    index = write_handoffs(written, args.output)
    skipped = f"; {state['skipped']} escalated ticket(s) already resolved were skipped" if state.get("skipped") else ""
    print(f"{len(written)} hand-off document(s) for {summary.rows_read} tickets written to {args.output} (index: {index}){skipped}")
    return 0


def run_init_config(args: argparse.Namespace) -> int:
    from .config import write_default_config

    path = write_default_config(args.path, overwrite=args.force)
    print(f"wrote {path}: the escalation policy's defaults. Edit it, then pass --config {path}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help / bad usage; hand back its code
        return int(exc.code or 0)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return args.run(args)
    except (TriageError, argparse.ArgumentTypeError) as exc:
        _print_error(str(exc))
        return 2
    except OSError as exc:
        _print_error(f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc))
        return 2
    except KeyboardInterrupt:
        _print_error("interrupted; the output file was not written")
        return 130


if __name__ == "__main__":
    sys.exit(main())
