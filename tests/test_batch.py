from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from triage.batch import (
    MAX_KEPT_WARNINGS,
    RunSummary,
    SeenIds,
    _file_history,
    _FileHistory,
    score_file,
)
from triage.columns import duplicate_ids_message, resolve_columns
from triage.config import load_config
from triage.history import count_contacts, history_columns
from triage.tables import read_table

from conftest import reply_thread

AS_OF = "2026-11-30T12:00:00Z"


class _ColumnsOnly:
    """What the history pass reads of an engine: column detection and the configuration."""

    config = load_config(None)

    def resolve_columns(self, names, columns=None):
        return resolve_columns(names, columns)


def _assert_same_counts(expected: np.ndarray, got: np.ndarray) -> None:
    assert np.array_equal(np.isnan(expected), np.isnan(got))
    assert np.array_equal(expected[~np.isnan(expected)], got[~np.isnan(got)])


def test_file_history_equals_whole_frame_counting_on_real_tweets(shared_data, tmp_path):
    frame = pd.read_csv(shared_data / "customer_support_twitter" / "twcs_sample.csv", dtype=str, keep_default_na=False, nrows=1500)
    path = tmp_path / "tweets.csv"
    frame.to_csv(path, index=False)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = count_contacts(history_columns(frame, resolve_columns(list(frame.columns))), _ColumnsOnly.config.history)
    assert np.nansum(expected > 1) > 100  # the sample has real repeat contacts
    for chunk_rows, rows_per_pass in ((7, 100_000), (400, 100)):
        counts, rows = _file_history(_ColumnsOnly(), path, None, chunk_rows, "utf-8-sig", rows_per_pass)
        assert rows == len(frame)
        _assert_same_counts(expected, counts)


@pytest.mark.parametrize("thread_column", ["reply_to", "thread_id"])
def test_file_history_equals_whole_frame_counting_on_edge_cases(tmp_path, thread_column):
    rng = np.random.default_rng(11)
    words = ["printer", "broken", "invoice", "refund", "login", "password", "outage", "site", "down", "charged", "twice"]
    n = 300
    frame = pd.DataFrame(
        {
            "ticket_id": [str(rng.integers(0, 220)) for _ in range(n)],  # repeated ids, and reply loops
            "requester": [f"c{rng.integers(0, 15)}" if rng.random() > 0.1 else "" for _ in range(n)],
            "created_at": [f"2024-01-{rng.integers(1, 29):02d}T{rng.integers(0, 24):02d}:00:00Z" if rng.random() > 0.05 else "soon" for _ in range(n)],
            thread_column: [str(rng.integers(0, 220)) if rng.random() > 0.5 else "" for _ in range(n)],
            "subject": [("Re: " if rng.random() > 0.5 else "") + str(rng.choice(["Help", "Invoice", "Login", ""])) for _ in range(n)],
            "text": [" ".join(rng.choice(words, size=int(rng.integers(0, 6)))) for _ in range(n)],
        }
    )
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = count_contacts(history_columns(frame, resolve_columns(list(frame.columns))), _ColumnsOnly.config.history)
    assert np.nansum(expected > 1) > 50 and np.isnan(expected).any()
    for chunk_rows, rows_per_pass in ((1, 100_000), (13, 5), (1000, 40)):  # words read in one pass, or in many
        counts, _ = _file_history(_ColumnsOnly(), path, None, chunk_rows, "utf-8-sig", rows_per_pass)
        _assert_same_counts(expected, counts)


def test_file_history_keeps_numbers_not_text():
    found = resolve_columns(["ticket_id", "author_id", "created_at", "in_response_to_tweet_id", "subject", "text"])
    history = _FileHistory(found)
    history.add(
        pd.DataFrame(
            {
                "ticket_id": ["1", "2"], "author_id": ["a", "a"], "created_at": ["2024-01-01", "2024-01-02"],
                "in_response_to_tweet_id": ["", "1"], "subject": ["Help", "Re: Help"], "text": ["x" * 10_000, "y" * 10_000],
            }
        )
    )
    kept = [array for arrays in history.parts.values() for array in arrays]
    assert kept and all(array.dtype.kind in "iu" and array.itemsize == 8 for array in kept)
    assert "text" not in history.columns


def test_seen_ids_names_duplicates_as_one_frame_would():
    rng = np.random.default_rng(5)
    ids = [str(v) for v in rng.integers(0, 400, size=1000)] + [""] * 5
    rng.shuffle(ids)
    seen = SeenIds()
    for start in range(0, len(ids), 37):
        seen.add(ids[start : start + 37], start)
    assert seen.message() == duplicate_ids_message(Counter(ids))
    unique = SeenIds()
    unique.add(["a", "b", ""], 0)
    unique.add(["c", ""], 3)
    assert unique.message() is None


def test_summary_keeps_the_first_warnings_and_counts_all():
    summary = RunSummary(Path("in.csv"), Path("out.csv"))
    part = {"rows": 5, "priorities": {"High": 5}, "tiers": {"2": 5}, "escalations": 1, "warnings": ["w"] * 3, "warning_count": 250}
    for _ in range(60):
        summary.add_chunk(part)
    assert summary.rows_read == 300 and summary.priorities["High"] == 300 and summary.tiers[2] == 300
    assert summary.warning_count == 60 * 250 and len(summary.warnings) == MAX_KEPT_WARNINGS
    assert "warnings      15000" in summary.lines()


@pytest.mark.slow
@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_file_streams_chunks_into_what_one_frame_gives(engine, tmp_path, suffix):
    source = Path(__file__).resolve().parents[1] / "data" / "sample_tickets.csv"
    frame = read_table(source).head(90)
    path = tmp_path / "in.csv"
    frame.to_csv(path, index=False)
    expected = engine.score_frame(read_table(path), as_of=AS_OF)
    out = tmp_path / f"out{suffix}"
    chunks = []
    summary = score_file(engine, path, out, chunk_rows=25, as_of=AS_OF, on_chunk=chunks.append)
    assert [len(c) for c in chunks] == [25, 25, 25, 15]
    assert summary.rows_read == summary.rows_written == 90
    assert summary.priorities == Counter(expected["priority"]) and summary.escalations == int(expected["escalate"].sum())
    scored = read_table(out)
    assert scored["ticket_id"].astype(str).tolist() == expected["ticket_id"].tolist()
    assert scored["priority"].tolist() == expected["priority"].tolist()
    assert scored["sentiment"].astype(float).tolist() == expected["sentiment"].tolist()
    if suffix != ".csv":
        assert [list(v) for v in scored["reasons"]] == expected["reasons"].tolist()


@pytest.mark.slow
def test_score_file_counts_contacts_across_chunks(engine, tmp_path):
    frame = reply_thread()
    path = tmp_path / "tweets.csv"
    frame.to_csv(path, index=False)
    out = tmp_path / "out.jsonl"
    score_file(engine, path, out, chunk_rows=1, as_of=AS_OF)
    assert [("repeat_contact" in r) for r in read_table(out)["rules_fired"]] == [False, False, False, False, True]
