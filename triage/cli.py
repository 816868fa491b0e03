"""Command line: ``triage score INPUT -o OUTPUT``.

Each command is a thin wrapper over an importable function; ``main(argv)`` returns the exit code so
tests call it directly. A user error prints one line on stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import warnings
from contextlib import contextmanager
from pathlib import Path

from . import __version__
from .errors import TriageError, TriageWarning

EXAMPLES = """examples:
  triage score data/sample_tickets.csv -o out/scored.csv
  triage score export.jsonl -o scored.parquet --config my_policy.toml
  triage score export.csv --column text="Ticket Body" --column ticket_id="Case Number"
  triage explain TK-06443 data/sample_tickets.csv
  triage rules data/sample_tickets.csv
  triage handoff data/sample_tickets.csv -o out/handoffs
  triage init-config my_policy.toml
  triage audit-data history.csv
  triage train history.csv --out models/mine
  triage evaluate models/mine history.csv --report out/eval
  triage backtest outcomes.csv --model models/mine
  triage score zendesk_export.json -o updates.jsonl --format zendesk
  triage metrics helpdesk_history.csv
  triage report out/scored.csv -o out/report.html
"""


def _column_mapping(values: list[str]) -> dict[str, str]:
    mapping = {}
    for value in values:
        field, sep, column = value.partition("=")
        if not sep or not field.strip() or not column:
            raise argparse.ArgumentTypeError(f"--column expects FIELD=COLUMN, e.g. text=Description; got {value!r}")
        mapping[field.strip()] = column
    return mapping


MODEL_HELP = "model folder, or the name of a shipped model: default or fast (twice as fast, a little less accurate); default: default"


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
    score.add_argument(
        "--format", choices=("zendesk", "freshdesk"),
        help="write OUTPUT as a bulk update for that helpdesk instead of a scored table: Zendesk JSON Lines (one update_many "
        "request body of at most 100 tickets a line), or Freshdesk CSV (Ticket ID, Priority, Priority value, Group, Group ID, "
        "Tags, Private note) for an API script; default OUTPUT: INPUT.zendesk.jsonl / INPUT.freshdesk.csv",
    )
    _add_engine_options(score)
    _add_reading_options(score)
    score.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    score.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    score.add_argument(
        "--resume", action="store_true",
        help="make the run resumable: finished chunks are kept in OUTPUT.partial/, and running the same command "
        "again after an interruption (Ctrl-C, a killed process) continues where it stopped",
    )
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

    audit = commands.add_parser(
        "audit-data",
        help="check a labelled export before training: duplicates, templates, random labels, rare classes, leakage",
        description=(
            "Check a labelled export before training on it: duplicate and templated texts, labels the text cannot "
            "predict, classes below a minimum count, and columns that leak the label. Ends with GO or NO-GO; "
            "exits 1 on NO-GO."
        ),
        epilog="example:\n  triage audit-data history.csv --min-class-count 30",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    audit.add_argument("input", type=Path, metavar="LABELLED_EXPORT", help="export with a priority and/or tier (or queue) column")
    _add_label_options(audit)
    audit.add_argument("--min-class-count", type=int, default=30, metavar="N", help="warn about classes with fewer rows (default: 30)")
    audit.set_defaults(run=run_audit_data)

    train = commands.add_parser(
        "train",
        help="retrain the priority and tier classifier on a team's labelled export",
        description=(
            "Audit LABELLED_EXPORT, then train the priority and tier classifiers on it (class-weighted, calibrated, "
            "validated on the latest 20 % by creation time, or a stable hash split without timestamps) and write a "
            "model folder that `triage score --model DIR` and triage.load(DIR) read. Refuses on a NO-GO audit unless --force."
        ),
        epilog="example:\n  triage train history.csv --out models/mine --tier-from queue",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("input", type=Path, metavar="LABELLED_EXPORT", help="labelled export (CSV, JSON Lines or Parquet)")
    train.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder to write, e.g. models/mine")
    train.add_argument("--base-model", type=Path, metavar="DIR", help="model whose sentiment head is reused (default: models/default)")
    train.add_argument("--force", action="store_true", help="train even when the data audit says NO-GO")
    train.add_argument("--quick", action="store_true", help="skip the hyperparameter search (C=1, signals' weight 0.05): about 4x faster")
    _add_label_options(train)
    train.set_defaults(run=run_train)

    evaluate = commands.add_parser(
        "evaluate",
        help="per-class figures, confusion matrices, escalation recall and baselines of a model on a labelled export",
        description=(
            "Evaluate MODEL on the validation split of LABELLED_EXPORT (the split `triage train` holds out): "
            "per-class precision, recall and F1, macro-F1, confusion matrices, escalation recall for tier 4 and "
            "Critical, and the TF-IDF + logistic regression and majority-class baselines on the same split."
        ),
        epilog="example:\n  triage evaluate models/mine history.csv --report out/eval",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("model", type=Path, metavar="MODEL", help="model folder")
    evaluate.add_argument("input", type=Path, metavar="LABELLED_EXPORT", help="labelled export")
    evaluate.add_argument("--report", type=Path, metavar="DIR", help="write metrics.json, report.md and confusion PNGs here (default: MODEL/evaluation)")
    _add_label_options(evaluate)
    evaluate.set_defaults(run=run_evaluate)

    tune = commands.add_parser(
        "train-sentiment",
        help="fine-tune the sentiment model (LoRA adapter + head) on a labelled CSV",
        description=(
            "Fine-tune the encoder for negative / neutral / positive on LABELLED_CSV with low-rank adapters, holding out "
            "20 % of the rows (by a hash of --id-column, or of the text) for evaluation and 10 % more to choose the "
            "training length. Writes a model folder with the base model's classifier; retrain the classifier on it "
            "with `triage train EXPORT --base-model DIR` afterwards, as fine-tuning changes the embedding it reads."
        ),
        epilog=(
            "example:\n  triage train-sentiment ../shared/data/airline_sentiment/tweets.csv --out models/sentiment-ft \\\n"
            "      --text-column text --label-column airline_sentiment --id-column tweet_id"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    tune.add_argument("input", type=Path, metavar="LABELLED_CSV", help="CSV with a text column and a negative/neutral/positive label column")
    tune.add_argument("--out", type=Path, required=True, metavar="DIR", help="model folder to write")
    tune.add_argument("--base-model", type=Path, metavar="DIR", help="model whose classifier is carried over (default: models/default)")
    _add_sentiment_data_options(tune)
    tune.add_argument("--epochs", type=int, default=4, metavar="N", help="passes over the training rows (default: 4; the best on validation is kept)")
    tune.add_argument("--rank", type=int, default=16, metavar="R", help="LoRA rank (default: 16)")
    tune.add_argument("--learning-rate", type=float, default=5e-4, metavar="LR", help="peak learning rate (default: 5e-4)")
    tune.add_argument("--max-rows", type=int, metavar="N", help="train on the first N training rows only (quick trials)")
    tune.set_defaults(run=run_train_sentiment)

    judge = commands.add_parser(
        "evaluate-sentiment",
        help="accuracy, macro-F1, calibration and the angry threshold of a sentiment model on held-out labelled text",
        description=(
            "Score the held-out 20 % of LABELLED_CSV (the rows train-sentiment never trains on) through the scoring path "
            "and print accuracy, macro-F1, per-class figures, the confusion matrix, expected calibration error, the "
            "precision and recall of the angry threshold, and a TF-IDF + logistic regression baseline."
        ),
        epilog="example:\n  triage evaluate-sentiment ../shared/data/airline_sentiment/tweets.csv --json out/sentiment.json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    judge.add_argument("input", type=Path, metavar="LABELLED_CSV", help="CSV with a text column and a label column")
    judge.add_argument("--model", type=Path, metavar="DIR", help=MODEL_HELP)
    _add_sentiment_data_options(judge)
    judge.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    judge.add_argument("--no-baseline", action="store_true", help="skip the TF-IDF baseline")
    judge.set_defaults(run=run_evaluate_sentiment)

    backtest = commands.add_parser(
        "backtest",
        help="replay an export with known outcomes: what triage would have escalated against what was",
        description=(
            "Score INPUT as triage would have at each ticket's creation and compare with the real outcome column "
            "(escalated yes/no): false escalations, missed escalations, and hours saved (escalated_at - created_at "
            "of the tickets triage would have escalated at once)."
        ),
        epilog="example:\n  triage backtest outcomes.csv --outcome escalated --escalated-at escalated_at",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backtest.add_argument("input", type=Path, metavar="INPUT", help="export with an outcome column")
    backtest.add_argument("--outcome", metavar="COLUMN", help="the yes/no column saying whether the ticket was escalated (default: escalated)")
    backtest.add_argument("--escalated-at", metavar="COLUMN", help="when it was escalated (default: escalated_at, if present)")
    backtest.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON")
    backtest.add_argument("--config", type=Path, metavar="FILE", help="policy configuration (TOML)")
    backtest.add_argument("--model", type=Path, metavar="DIR", help=MODEL_HELP)
    backtest.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN", help="use COLUMN for triage FIELD; repeatable")
    _add_source_option(backtest)
    backtest.set_defaults(run=run_backtest)

    metrics = commands.add_parser(
        "metrics",
        help="the escalation metrics of an export with history (or of a scored file)",
        description=(
            "Measure INPUT against the escalation policy's metrics: escalation rate per tier, time from creation to "
            "escalation, resolution time after escalation, escalation-to-resolution ratio, CSAT after escalation and "
            "first-contact resolution per tier. Escalations come from an escalated / escalated_at column, escalation "
            "tags, Zendesk group stations, or triage's own decisions in a scored file (docs/metrics.md)."
        ),
        epilog="examples:\n  triage metrics zendesk_export.jsonl\n  triage metrics out/scored.csv --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    metrics.add_argument("input", type=Path, metavar="INPUT", help="export with history, or a file scored by triage")
    metrics.add_argument("--json", action="store_true", help="print the figures as JSON instead of a table")
    metrics.add_argument("--calendar", metavar="NAME", help="count hours on this calendar of the config (default: [sla_clock] calendar, 'always' = calendar hours)")
    _add_file_options(metrics)
    metrics.set_defaults(run=run_metrics)

    report = commands.add_parser(
        "report",
        help="one self-contained HTML page about a scored file",
        description=(
            "Write an HTML page about SCORED (a file written by triage score): priorities and tiers, the rules behind "
            "the decisions, SLA risk, sentiment over time, the escalation metrics and the tickets to review first. "
            "The page holds its charts and styles inline and loads nothing from the network."
        ),
        epilog="example:\n  triage report out/scored.csv -o out/report.html",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    report.add_argument("input", type=Path, metavar="SCORED", help="file written by triage score")
    report.add_argument("-o", "--output", type=Path, metavar="HTML", help="page to write (default: SCORED with .report.html)")
    report.add_argument("--title", help="heading of the page (default: 'Ticket triage report: FILE')")
    report.add_argument("--review-rows", type=int, default=50, metavar="N", help="tickets listed under 'Review first' (default: 50)")
    report.add_argument("--calendar", metavar="NAME", help="calendar for the metrics' hours (default: [sla_clock] calendar)")
    _add_file_options(report)
    report.set_defaults(run=run_report)
    return parser


def _add_source_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--source", choices=("auto", "zendesk", "freshdesk", "generic"), default="auto",
        help="which helpdesk wrote INPUT: Zendesk JSON / JSON Lines / CSV, Freshdesk CSV, or a generic table with "
        "a column mapping (default: auto, from the file's content)",
    )


def _add_file_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE", help="configuration (TOML): [columns], [sla_clock], [writeback.groups]")
    command.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN", help="use COLUMN for triage FIELD; repeatable")
    _add_source_option(command)
    command.add_argument("--encoding", default="utf-8-sig", help="text encoding of CSV / JSON input (default: UTF-8, with or without BOM)")


def _add_sentiment_data_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--text-column", default="text", metavar="COLUMN", help="column holding the text (default: text)")
    command.add_argument("--label-column", default="airline_sentiment", metavar="COLUMN", help="label column (default: airline_sentiment)")
    command.add_argument(
        "--id-column", default="tweet_id", metavar="COLUMN", help="stable row key for the split (default: tweet_id; 'none' to hash the text)"
    )


def _sentiment_data(args: argparse.Namespace):
    from .sentiment_tuning import read_labelled_sentiment

    key = None if args.id_column.lower() == "none" else args.id_column
    return read_labelled_sentiment(args.input, args.text_column, args.label_column, key)


def _add_label_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE", help="configuration (TOML) holding [queue_tiers] and [columns]")
    command.add_argument("--priority-column", metavar="COLUMN", help="priority labels (default: priority, ticket_priority, urgency, ...)")
    command.add_argument("--tier-column", metavar="COLUMN", help="tier labels 1-4 (default: tier, support_tier, ...)")
    command.add_argument("--queue-column", metavar="COLUMN", help="queue / group / department mapped to tiers through [queue_tiers]")
    command.add_argument("--tier-from", choices=("tier", "queue"), help="read tiers from a tier column or a queue column (default: whichever exists)")
    command.add_argument("--time-column", metavar="COLUMN", help="creation time for the time split (default: created_at, created, ...)")
    command.add_argument("--language", metavar="CODE", help="keep only rows whose language column is CODE, e.g. en")
    command.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN", help="use COLUMN for triage FIELD (text, subject, ...); repeatable")
    _add_source_option(command)


def _add_engine_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE", help="policy configuration (TOML); default: the escalation policy's defaults")
    command.add_argument("--model", type=Path, metavar="DIR", help=MODEL_HELP)
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
    _add_source_option(command)


@contextmanager
def _adapted_input(args: argparse.Namespace, config_columns=None, columns=None, announce: bool = True, quiet: bool = False):
    """Open args.input through the helpdesk adapters; yields the path the readers read (the input,
    or its flattened copy) and the column mapping: the adapter's, then the config's, then --column.
    ``announce``: say how the input is read (``quiet``: only its warnings, which -q still shows)."""
    from .adapters import open_source

    with open_source(args.input, getattr(args, "source", "auto"), getattr(args, "encoding", "utf-8-sig"), getattr(args, "chunk_rows", 2000)) as opened:
        if announce:
            opened.announce(quiet=quiet)
        yield opened.path, opened.mapping(config_columns, columns)


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


def _engine_and_columns(args: argparse.Namespace, config=None):
    from .engine import load

    if args.chunk_rows < 1:
        raise TriageError(f"--chunk-rows must be 1 or more; got {args.chunk_rows}.")
    columns = _column_mapping(args.column)
    return load(args.model, config if config is not None else args.config), columns


def _score_to(args: argparse.Namespace, output: Path, quiet: bool, progress: bool, on_chunk=None, resume: bool = False, config=None):
    from .batch import default_output_path, score_file

    engine, columns = _engine_and_columns(args, config)
    printer = _WarningPrinter(quiet)
    output = output or default_output_path(args.input)
    with _adapted_input(args, engine.config.columns, columns, quiet=quiet) as (path, columns):
        summary = score_file(
            engine,
            path,
            output,
            columns=columns,
            chunk_rows=args.chunk_rows,
            encoding=args.encoding,
            progress=progress and sys.stderr.isatty(),
            on_warning=printer,
            on_chunk=None if on_chunk is None else (lambda scored: on_chunk(engine, columns, scored)),
            as_of=args.as_of,
            resume=resume,
            source_path=args.input,
        )
    printer.finish()
    return summary


def run_score(args: argparse.Namespace) -> int:
    if args.resume and args.format:
        raise TriageError("--resume keeps a scored table's chunks; it does not combine with --format. Score to a table with --resume first.")
    if args.format:
        return run_score_writeback(args)
    try:
        summary = _score_to(args, args.output, args.quiet, progress=not (args.no_progress or args.quiet), resume=args.resume)
    except KeyboardInterrupt:
        if not args.resume:
            raise
        from .batch import default_output_path
        from .resume import work_folder

        folder = work_folder(args.output or default_output_path(args.input))
        if folder.is_dir():
            _print_error(f"interrupted; the chunks scored so far are kept in {folder}; run the same command again to continue")
        else:
            _print_error("interrupted before the first chunk was scored; nothing was kept, so the same command starts over")
        return 130
    if not args.quiet:
        print("\n".join(summary.lines()))
    return 0


def run_score_writeback(args: argparse.Namespace) -> int:
    """``triage score --format zendesk|freshdesk``: score, then write the helpdesk's bulk-update file."""
    import tempfile

    from .columns import resolve_columns
    from .config import load_config
    from .writeback import WritebackWriter, check_helpdesk_ids, default_writeback_path

    config = load_config(args.config)  # read once: the engine below gets this same object
    output = args.output or default_writeback_path(args.input, args.format)
    # Ids that no helpdesk can take stop the run here, before the model loads.
    check_helpdesk_ids(args.input, args.source, {**config.columns, **_column_mapping(args.column)}, args.encoding, max(args.chunk_rows, 1))
    with tempfile.TemporaryDirectory(prefix="triage-score-") as scratch, WritebackWriter(output, args.format, config) as writer:

        def on_chunk(engine, columns, scored):
            fields = resolve_columns(list(scored.columns), columns, require_text=False, records=True)
            writer.write(scored, fields.get("ticket_id"), fields.get("tags"), fields.get("status"))

        summary = _score_to(
            args, Path(scratch) / "scored.parquet", args.quiet, progress=not (args.no_progress or args.quiet), on_chunk=on_chunk, config=config
        )
    summary.output, summary.rows_written = output, writer.rows
    if not args.quiet:
        print("\n".join(summary.lines()))
        print(f"write-back    {writer.result().line()}")
    return 0


def run_metrics(args: argparse.Namespace) -> int:
    import json

    from .metrics import metrics_from_file

    result = metrics_from_file(args.input, args.config, _column_mapping(args.column), args.source, args.calendar, args.encoding)
    print(json.dumps(result.to_dict(), indent=2) if args.json else "\n".join(result.lines()))
    return 0


def run_report(args: argparse.Namespace) -> int:
    from .report import report_file

    path, data = report_file(
        args.input, args.output, args.config, _column_mapping(args.column), args.source, args.title, args.review_rows, args.calendar, args.encoding
    )
    print(f"report of {data.tickets} tickets ({len(data.charts)} charts, {data.review_total} to review) written to {path}")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    from .batch import history_contact_counts
    from .columns import ticket_id_text
    from .tables import read_chunks

    engine, columns = _engine_and_columns(args)
    with _adapted_input(args, engine.config.columns, columns) as (path, columns):
        contacts = history_contact_counts(engine, path, columns, args.chunk_rows, args.encoding)
        offset, rows_seen, sample_ids = 0, 0, []
        for chunk in read_chunks(path, chunk_rows=args.chunk_rows, encoding=args.encoding):
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


def _label_options(args: argparse.Namespace):
    from .retrain import LabelOptions

    return LabelOptions(args.priority_column, args.tier_column, args.queue_column, args.tier_from, args.time_column)


def _data_audit(args: argparse.Namespace, min_class_count: int = 30):
    from .audit_data import AuditSettings, audit_export
    from .config import load_config
    from .retrain import read_export

    if min_class_count < 1:
        raise TriageError(f"--min-class-count must be 1 or more; got {min_class_count}.")
    config = load_config(args.config)
    with _adapted_input(args, config.columns, _column_mapping(args.column)) as (path, columns):
        frame = read_export(path, args.language)
    return audit_export(frame, config, _label_options(args), columns, AuditSettings(min_class_count=min_class_count))


def run_audit_data(args: argparse.Namespace) -> int:
    audit = _data_audit(args, args.min_class_count)
    print("\n".join(audit.lines()))
    return 0 if audit.go else 1


def run_train(args: argparse.Namespace) -> int:
    from .retrain import TrainSettings, train_model

    audit = _data_audit(args)
    print("\n".join(audit.lines()))
    if not audit.go:
        if not args.force:
            raise TriageError(f"Data audit of '{args.input}' says NO-GO; fix the export, or pass --force to train anyway.")
        print("--force given: training despite NO-GO")
    from .config import load_config

    with _adapted_input(args, load_config(args.config).columns, _column_mapping(args.column), announce=False) as (path, columns):
        settings = TrainSettings(
            base_model=None if args.base_model is None else str(args.base_model),
            config=None if args.config is None else str(args.config),
            columns=columns,
            labels=_label_options(args),
            filter_language=args.language,
            search=not args.quick,
        )
        manifest = train_model(path, args.out, settings, log=print)
    print()
    for target in manifest["classifier"]["training_data"]["targets_trained"]:
        m = manifest["classifier"]["metrics"][target]
        print(
            f"{target:<9} held-out macro-F1 {m['model']['macro_f1']:.3f} "
            f"(TF-IDF + logistic regression {m['baseline_tfidf_logreg']['macro_f1']:.3f}, majority {m['baseline_majority']['macro_f1']:.3f})"
        )
    print(f"wrote {args.out}: use it with `triage score --model {args.out}` or triage.load({str(args.out)!r})")
    return 0


def run_evaluate(args: argparse.Namespace) -> int:
    from .config import load_config
    from .evaluation import evaluate_model, write_report

    with _adapted_input(args, load_config(args.config).columns, _column_mapping(args.column)) as (path, columns):
        evaluation = evaluate_model(args.model, path, args.config, _label_options(args), columns, args.language)
    print("\n".join(evaluation.lines()))
    report = args.report or args.model / "evaluation"
    written = write_report(evaluation, report)
    print(f"\nreport written to {report}: {', '.join(p.name for p in written)}")
    return 0


def run_train_sentiment(args: argparse.Namespace) -> int:
    from .lora import LoraSettings
    from .model import check_model_target, staged_model_folder
    from .sentiment import SentimentHead
    from .sentiment_eval import evaluate_sentiment, format_report
    from .sentiment_tuning import TuningSettings, train_sentiment_model, tuned_encoder, write_sentiment_model

    check_model_target(args.out)  # refused now, not after training
    data = _sentiment_data(args)
    if args.max_rows:
        data = data.limit_training(args.max_rows)
    settings = TuningSettings(epochs=args.epochs, learning_rate=args.learning_rate, lora=LoraSettings(rank=args.rank, alpha=2.0 * args.rank))
    print(f"fine-tuning on {int(data.train.sum())} rows, choosing the epoch on {int(data.validation.sum())}")
    with staged_model_folder(args.out) as staging:  # args.out changes only once the folder is complete
        parts = train_sentiment_model(data, staging, settings, log=print)
        head = SentimentHead.load(staging / parts["sentiment"]["file"])
        report = evaluate_sentiment(data, tuned_encoder(staging, parts, args.base_model), head, baselines=False)
        print(format_report(report))
        write_sentiment_model(args.base_model, staging, parts, report.manifest_figures(), name=args.out.name)
    print(f"wrote {args.out}; retrain its classifier on your history: triage train EXPORT --base-model {args.out} --out DIR")
    return 0


def run_evaluate_sentiment(args: argparse.Namespace) -> int:
    import json

    from .encoder import EncoderSettings, TextEncoder
    from .model import ModelBundle
    from .sentiment_eval import evaluate_sentiment, format_report

    data = _sentiment_data(args)
    bundle = ModelBundle.load(args.model)
    settings = EncoderSettings(**bundle.manifest.get("encoder", {}).get("settings", {}))
    encoder = TextEncoder(settings=settings, adapter=bundle.encoder_adapter)
    report = evaluate_sentiment(data, encoder, bundle.sentiment_head, baselines=not args.no_baseline)
    print(format_report(report))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    import json

    from .backtest import backtest_export
    from .config import load_config

    with _adapted_input(args, load_config(args.config).columns, _column_mapping(args.column)) as (path, columns):
        result = backtest_export(path, args.model, args.config, columns, args.outcome, args.escalated_at)
    print("\n".join(result.lines()))
    if args.json:
        args.json.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
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
    # A killed run (SIGTERM) unwinds like Ctrl-C, so the partial output file is removed.
    previous = signal.signal(signal.SIGTERM, _raise_interrupt) if threading.current_thread() is threading.main_thread() else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", TriageWarning)
            warnings.showwarning = _show_warning
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
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        # An interrupted load must not leave torch warming up as the process exits (it aborts);
        # the module is there only if an engine was loaded, and importing it costs seconds.
        dedupe = sys.modules.get(f"{__package__}.dedupe")
        if dedupe is not None:
            dedupe.finish_starts()


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A TriageWarning (odd input, the run goes on) as one 'triage: warning:' line; others as Python shows them."""
    if issubclass(category, TriageWarning):
        print(f"triage: warning: {message}", file=sys.stderr)
    else:
        sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


if __name__ == "__main__":
    sys.exit(main())
