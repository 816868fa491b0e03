"""Peak memory of ``triage score`` as the input grows.

    python benchmarks/memory_flat.py [--rows 100000 1000000] [--pool 2077] [--history] [--format csv]
                                     [--chunk-rows 2000] [--keep DIR]

For each row count, writes an export of that many rows drawn with a fixed seed from the real
English ticket texts of support_tickets/tickets_multilang.csv (subject and body, about 500
characters), each row with its own id, then runs the real command line, ``python -m triage.cli
score INPUT -o OUTPUT -q``, in a child process and reads that process's peak resident memory
(``os.wait4``'s rusage, as ``/usr/bin/time -v`` does).

What is measured, exactly: the whole streaming path of ``triage score`` (chunked read, history
pre-pass when ``--history``, cleaning, the duplicate-id check, the text cache, keyword matching,
classifier, policy, chunked write, summary). Every row is scored; but drawn from a pool of
``--pool`` distinct texts (default: all 2,077), each distinct text goes through the transformer
once and the other rows take its signals from the text cache. That keeps a million rows to
minutes; it is not a measure of speed on distinct texts (see pipeline_speed.py).

``--history`` adds a requester (one of rows / 5 customers) and a creation time spread over a year,
so contact counts are worked out from the file's history in a first pass.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_export(path: Path, rows: int, texts: pd.DataFrame, history: bool, seed: int = 7) -> None:
    """Write ``rows`` rows in blocks, so building a large export does not itself need the memory."""
    rng = np.random.default_rng(seed)
    block = 100_000
    first = True
    for start in range(0, rows, block):
        size = min(block, rows - start)
        picked = texts.iloc[rng.integers(0, len(texts), size)].reset_index(drop=True)
        picked.insert(0, "ticket_id", [f"M-{i:08d}" for i in range(start, start + size)])
        if history:
            customers = max(1, rows // 5)
            picked["requester"] = [f"customer-{c}@example.com" for c in rng.integers(0, customers, size)]
            seconds = rng.integers(0, 365 * 24 * 3600, size)
            picked["created_at"] = (pd.Timestamp("2026-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s")).strftime("%Y-%m-%dT%H:%M:%SZ")
        if path.suffix == ".parquet":
            raise SystemExit("memory_flat: --format parquet is not supported for the input; the output format follows --format")
        picked.to_csv(path, mode="w" if first else "a", header=first, index=False)
        first = False


def measure(source: Path, out: Path, chunk_rows: int) -> tuple[float, float, int]:
    """(peak RSS in MiB, seconds, exit status) of one ``triage score`` run in a child process."""
    command = [sys.executable, "-m", "triage.cli", "score", str(source), "-o", str(out), "-q", "--no-progress",
               "--chunk-rows", str(chunk_rows), "--as-of", "2026-11-30T12:00:00Z"]
    started = time.perf_counter()
    process = subprocess.Popen(command)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024, time.perf_counter() - started, process.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--pool", type=int, default=2077, help="distinct texts the rows are drawn from (default: all 2,077)")
    parser.add_argument("--history", action="store_true", help="add requester and created_at columns (contact counts from history)")
    parser.add_argument("--format", choices=("csv", "jsonl", "parquet"), default="csv", help="output format (default: csv)")
    parser.add_argument("--chunk-rows", type=int, default=2000)
    parser.add_argument("--keep", type=Path, help="write the exports and outputs here and keep them (default: a temporary folder)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    frame = pd.read_csv(args.data / "support_tickets" / "tickets_multilang.csv", dtype=str, keep_default_na=False)
    texts = frame[frame["language"] == "en"][["subject", "body"]].head(args.pool).reset_index(drop=True)
    results = []
    with tempfile.TemporaryDirectory(prefix="triage-memory-") as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        for rows in args.rows:
            source = folder / f"export_{rows}.csv"
            write_export(source, rows, texts, args.history)
            out = folder / f"scored_{rows}.{args.format}"
            peak, seconds, status = measure(source, out, args.chunk_rows)
            if status != 0:
                raise SystemExit(f"memory_flat: triage score exited with {status} on {rows} rows")
            size = source.stat().st_size / 2**20
            results.append((rows, peak))
            print(f"{rows:>9} rows   input {size:,.0f} MiB   peak RSS {peak:,.0f} MiB   {seconds:,.0f} s ({rows / seconds:,.0f} rows/s)", flush=True)
            if args.keep is None:
                source.unlink()
                out.unlink()
    print(f"setup            {len(texts)} distinct real ticket texts, chunks of {args.chunk_rows} rows, "
          f"{'with' if args.history else 'without'} the history pass, {args.format} output")
    if len(results) > 1:
        (small, low), (large, high) = results[0], results[-1]
        print(f"growth           {high / low:.2f}x peak RSS for {large / small:.0f}x the rows")


if __name__ == "__main__":
    main()
