"""Command line: ``triage score INPUT -o OUTPUT``.

Each command is a thin wrapper over an importable function; ``main(argv)`` returns the exit code so
tests call it directly. A user error prints one line on stderr and exits 2, never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
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
  triage audit-data history.csv
  triage train history.csv --out models/mine
  triage evaluate models/mine history.csv --report out/eval
  triage backtest outcomes.csv --model models/mine
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
            "validated on the latest 20 %% by creation time, or a stable hash split without timestamps) and write a "
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
    backtest.add_argument("--model", type=Path, metavar="DIR", help="model folder (default: the shipped models/default)")
    backtest.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN", help="use COLUMN for triage FIELD; repeatable")
    backtest.set_defaults(run=run_backtest)
    return parser


def _add_label_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, metavar="FILE", help="configuration (TOML) holding [queue_tiers] and [columns]")
    command.add_argument("--priority-column", metavar="COLUMN", help="priority labels (default: priority, ticket_priority, urgency, ...)")
    command.add_argument("--tier-column", metavar="COLUMN", help="tier labels 1-4 (default: tier, support_tier, ...)")
    command.add_argument("--queue-column", metavar="COLUMN", help="queue / group / department mapped to tiers through [queue_tiers]")
    command.add_argument("--tier-from", choices=("tier", "queue"), help="read tiers from a tier column or a queue column (default: whichever exists)")
    command.add_argument("--time-column", metavar="COLUMN", help="creation time for the time split (default: created_at, created, ...)")
    command.add_argument("--language", metavar="CODE", help="keep only rows whose language column is CODE, e.g. en")
    command.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN", help="use COLUMN for triage FIELD (text, subject, ...); repeatable")


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


def _label_options(args: argparse.Namespace):
    from .retrain import LabelOptions

    return LabelOptions(args.priority_column, args.tier_column, args.queue_column, args.tier_from, args.time_column)


def _data_audit(args: argparse.Namespace, min_class_count: int = 30):
    from .audit_data import AuditSettings, audit_export
    from .config import load_config
    from .retrain import read_export

    if min_class_count < 1:
        raise TriageError(f"--min-class-count must be 1 or more; got {min_class_count}.")
    frame = read_export(args.input, args.language)
    return audit_export(frame, load_config(args.config), _label_options(args), _column_mapping(args.column), AuditSettings(min_class_count=min_class_count))


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
    settings = TrainSettings(
        base_model=None if args.base_model is None else str(args.base_model),
        config=None if args.config is None else str(args.config),
        columns=_column_mapping(args.column),
        labels=_label_options(args),
        filter_language=args.language,
        search=not args.quick,
    )
    manifest = train_model(args.input, args.out, settings, log=print)
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
    from .evaluation import evaluate_model, write_report

    evaluation = evaluate_model(args.model, args.input, args.config, _label_options(args), _column_mapping(args.column), args.language)
    print("\n".join(evaluation.lines()))
    report = args.report or args.model / "evaluation"
    written = write_report(evaluation, report)
    print(f"\nreport written to {report}: {', '.join(p.name for p in written)}")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    import json

    from .backtest import backtest_export

    result = backtest_export(args.input, args.model, args.config, _column_mapping(args.column), args.outcome, args.escalated_at)
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


def _raise_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
