"""How many tickets a second the keyword stage (cleaning + matching) handles on real ticket text.

    python benchmarks/keywords_speed.py [--tickets 4000] [--repeat 3] [--data ../shared/data]

Tickets are the English rows of support_tickets/tickets_multilang.csv (subject and body, as the
engine composes them), resampled with a fixed seed to --tickets rows. Each run cleans and matches
every ticket in one process; the first run is reported apart, since it also fills the caches (the
lemma of each new word, the Matcher for each new mix of token patterns). This is a measurement to
record in benchmarks/README.md, not a test: timings vary from machine to machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

from triage.keywords import build_keyword_pipeline, find_keywords
from triage.text import clean_text, compose_text

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def load_tickets(data: Path, count: int, seed: int = 7) -> tuple[list[str], list[str]]:
    path = data / "support_tickets" / "tickets_multilang.csv"
    if not path.is_file():
        raise SystemExit(f"keywords_speed: expected the public ticket set at {path}; pass --data with the folder holding support_tickets/.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    english = frame[frame["language"] == "en"].sample(n=count, replace=True, random_state=seed)
    return list(english["subject"]), list(english["body"])


def run_once(nlp, subjects: list[str], bodies: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    texts = [compose_text(subject, clean_text(body).text) for subject, body in zip(subjects, bodies)]
    hits = sum(len(found) for found in find_keywords(nlp, texts))
    return time.perf_counter() - start, hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    subjects, bodies = load_tickets(args.data, args.tickets)
    words = sum(len(f"{s} {b}".split()) for s, b in zip(subjects, bodies)) / len(bodies)
    nlp = build_keyword_pipeline()
    first, hits = run_once(nlp, subjects, bodies)
    timings = [run_once(nlp, subjects, bodies)[0] for _ in range(args.repeat)]
    print(f"tickets           {len(bodies)} (English support tickets, {words:.0f} words on average)")
    print(f"keyword hits      {hits}")
    print(f"first run         {len(bodies) / first:,.0f} tickets/s (fills the caches)")
    print(f"next {args.repeat} runs       {len(bodies) / min(timings):,.0f} tickets/s best, {len(bodies) / statistics.median(timings):,.0f} median")


if __name__ == "__main__":
    main()
