import numpy as np
import pandas as pd
import pytest

from triage.backtest import compare_escalations
from triage.cli import main
from triage.history import parse_times


def test_compare_escalations_counts_and_hours_saved():
    created = parse_times(pd.Series(["2026-01-01T08:00:00Z"] * 4))
    escalated_at = parse_times(pd.Series(["2026-01-01T11:00:00Z", "", "2026-01-01T09:30:00Z", "2026-01-02T08:00:00Z"]))
    result = compare_escalations(
        would=np.array([True, True, False, True]), did=np.array([True, False, True, True]),
        ids=["A", "B", "C", "D"], created=created, escalated_at=escalated_at,
    )
    assert (result.both, result.false_escalations, result.missed_escalations, result.neither) == (2, 1, 1, 0)
    assert result.false_ids == ["B"] and result.missed_ids == ["C"]
    assert result.hours_saved_total == 27.0 and result.hours_saved_median == 13.5 and result.tickets_with_time_saved == 2
    assert result.precision == 2 / 3 and result.recall == 2 / 3


def test_without_times_no_hours_are_claimed():
    result = compare_escalations(np.array([False]), np.array([False]), ["A"])
    assert result.hours_saved_total is None and result.precision is None and result.recall is None
    assert "time saved          - (needs escalated_at and created_at columns)" in result.lines()


def test_outcome_column_must_be_yes_no(tmp_path, capsys):
    path = tmp_path / "outcomes.csv"
    pd.DataFrame({"text": ["a"], "escalated": ["maybe"]}).to_csv(path, index=False)
    assert main(["backtest", str(path)]) == 2
    assert "Outcome column 'escalated' must hold yes/no, true/false or 1/0; found row 1: 'maybe'." in capsys.readouterr().err


@pytest.mark.slow
def test_backtest_on_a_hand_made_export(tmp_path, capsys):
    path = tmp_path / "outcomes.csv"
    pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4"],
            "text": [
                "I am calling my lawyer tomorrow about these charges.",
                "Thanks, the new dashboard looks great!",
                "Our whole site is down, nobody can log in, this is a total outage.",
                "How do I change my notification e-mail address?",
            ],
            "created_at": ["2026-01-01T08:00:00Z"] * 4,
            "escalated": ["yes", "yes", "no", "no"],
            "escalated_at": ["2026-01-01T12:00:00Z", "2026-01-01T09:00:00Z", "", ""],
        }
    ).to_csv(path, index=False)
    assert main(["backtest", str(path), "--json", str(tmp_path / "bt.json")]) == 0
    out = capsys.readouterr().out
    assert "false escalations   1 (e.g. T3)" in out
    assert "missed escalations  1 (e.g. T2)" in out
    assert "time saved          4.0 h over 1 ticket(s) escalated at creation instead of later (median 4.0 h)" in out
