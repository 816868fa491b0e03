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
    score.add_argument("--config", type=Path, metavar="FILE", help="policy configuration (TOML); default: the escalation policy's defaults")
    score.add_argument("--model", type=Path, metavar="DIR", help="model folder (default: the shipped models/default)")
    score.add_argument(
        "--column", action="append", default=[], metavar="FIELD=COLUMN",
        help="use COLUMN for triage FIELD (text, subject, ticket_id, contact_count, customer_tier, is_vip, ltv, revenue_impact, created_at); repeatable",
    )
    score.add_argument("--chunk-rows", type=int, default=2000, metavar="N", help="rows read and scored at a time (default: 2000)")
    score.add_argument("--encoding", default="utf-8-sig", help="text encoding of CSV / JSON input (default: UTF-8, with or without BOM)")
    score.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    score.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    return parser


def _print_error(message: str) -> None:
    print(f"triage: error: {' '.join(str(message).split())}", file=sys.stderr)


def run_score(args: argparse.Namespace) -> int:
    from .batch import score_file
    from .engine import load

    if args.chunk_rows < 1:
        raise TriageError(f"--chunk-rows must be 1 or more; got {args.chunk_rows}.")
    columns = _column_mapping(args.column)
    engine = load(args.model, args.config)
    shown = []

    def on_warning(message: str) -> None:
        shown.append(message)
        if not args.quiet and len(shown) <= 20:
            print(f"triage: warning: {message}", file=sys.stderr)

    summary = score_file(
        engine,
        args.input,
        args.output,
        columns=columns,
        chunk_rows=args.chunk_rows,
        encoding=args.encoding,
        progress=not (args.no_progress or args.quiet) and sys.stderr.isatty(),
        on_warning=on_warning,
    )
    if len(shown) > 20 and not args.quiet:
        print(f"triage: warning: {len(shown) - 20} more warning(s) not shown", file=sys.stderr)
    if not args.quiet:
        print("\n".join(summary.lines()))
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
        return run_score(args)
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
