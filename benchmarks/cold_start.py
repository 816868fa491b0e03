"""Cold start and single-ticket latency.

    python benchmarks/cold_start.py [--starts 3] [--tickets 200] [--model DIR] [--data ../shared/data]

Cold start: a fresh Python process imports triage, calls ``triage.load()`` and scores one ticket;
the time from before the import to the first result is taken inside the process (the
interpreter's own start, some 30 ms, is not counted), ``--starts`` times, and the median and best
are printed with the split between loading and the first ticket.

Latency: one process loads the engine, scores one ticket to warm up, then scores ``--tickets``
English support tickets from ``support_tickets/tickets_multilang.csv`` (subject and body, about
500 characters) one at a time with ``Engine.score_ticket``; p50 and p99 are printed. Distinct
texts, so the text cache never answers. A measurement to record in benchmarks/README.md, not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

COLD = """
import json, sys, time
started = time.perf_counter()
import triage
engine = triage.load(sys.argv[1] if len(sys.argv) > 1 else None)
loaded = time.perf_counter()
engine.score_ticket({"ticket_id": "T-1", "text": "I was charged twice and my lawyer will call you tomorrow."})
done = time.perf_counter()
print(json.dumps({"load": loaded - started, "first": done - loaded, "total": done - started}))
"""


def cold_starts(count: int, model: Path | None) -> list[dict]:
    runs = []
    for _ in range(count):
        result = subprocess.run([sys.executable, "-c", COLD, *([str(model)] if model else [])], capture_output=True, text=True, check=True)
        runs.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return runs


def latencies(data: Path, count: int, model: Path | None) -> np.ndarray:
    import triage

    path = data / "support_tickets" / "tickets_multilang.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    english = frame[frame["language"] == "en"].head(count)
    engine = triage.load(model)
    engine.score_ticket({"text": "Warm-up: where is my order?"})
    times = []
    for subject, body in zip(english["subject"], english["body"]):
        started = time.perf_counter()
        engine.score_ticket({"subject": subject, "text": body})
        times.append(time.perf_counter() - started)
    return np.array(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--starts", type=int, default=3, help="fresh processes to time (default: 3)")
    parser.add_argument("--tickets", type=int, default=200, help="tickets scored one at a time (default: 200)")
    parser.add_argument("--model", type=Path, metavar="DIR", help="model folder (default: the shipped models/default)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    runs = cold_starts(args.starts, args.model)
    totals = sorted(r["total"] for r in runs)
    best = min(runs, key=lambda r: r["total"])
    print(f"cold start        {statistics.median(totals):.2f} s median of {len(runs)}, {totals[0]:.2f} s best "
          f"(load {best['load']:.2f} s + first ticket {best['first']:.3f} s in the best)")
    times = latencies(args.data, args.tickets, args.model) * 1000
    print(f"one more ticket   p50 {np.percentile(times, 50):.1f} ms, p99 {np.percentile(times, 99):.1f} ms, "
          f"mean {times.mean():.1f} ms over {len(times)} tickets of about 500 characters")


if __name__ == "__main__":
    main()
