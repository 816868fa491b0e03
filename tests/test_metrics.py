"""Exact metrics on tests/fixtures/history_metrics.csv, computed by hand.

The fixture, one line a ticket (times UTC; 2026-11-02 is a Monday):

    id  tier  escalated  created      escalated_at  resolved          status   CSAT  contacts
    H1  1     no         02 08:00     -             02 10:00          solved   good  1
    H2  1     no         02 09:00     -             02 15:00          solved   bad   2
    H3  1     no         03 08:00     -             -                 open     -     1
    H4  2     yes        03 10:00     03 12:00      03 18:00          solved   good  1
    H5  2     no         04 08:00     -             04 09:30          solved   -     1
    H6  3     yes        04 10:00     04 14:00      05 14:00          solved   bad   3
    H7  4     yes        05 09:00     05 10:00      -                 pending  -     1
    H8  3     yes        06 08:00     06 08:30      06 12:30          solved   good  1
"""

import json
from pathlib import Path

import pytest

from triage.cli import main
from triage.config import load_config
from triage.errors import InputError
from triage.metrics import compute_metrics, metrics_from_file, rating_scale, satisfied
from triage.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures"
HISTORY = FIXTURES / "history_metrics.csv"
END_TIER_NOTE = (
    "tickets count under the tier they ended at, as the file records no start tier (an initial_tier or initial_group "
    "column); an escalated ticket ends above where it started, so the upper tiers' escalation rates lean high"
)


def business_config(tmp_path):
    policy = tmp_path / "desk.toml"
    policy.write_text('[calendars.desk]\ntimezone = "UTC"\nweekly = { "Mon-Fri" = ["09:00-17:00"] }\n', encoding="utf-8")
    return load_config(policy)


def test_history_metrics_in_calendar_hours():
    m = metrics_from_file(HISTORY)
    assert (m.escalations_from, m.tiers_from, m.clock) == (
        "the 'escalated' column", "the tier each ticket ended at: the 'tier' column", "calendar hours ('always' calendar)"
    )
    assert m.tiers_at == "end"
    # Tickets per tier: 1 -> H1 H2 H3, 2 -> H4 H5, 3 -> H6 H8, 4 -> H7.
    # Escalated: tier 1 none, tier 2 H4, tier 3 H6 H8, tier 4 H7 -> rates 0, 1/2, 2/2, 1/1; all 4/8.
    # Resolved: tier 1 H1 H2, tier 2 H4 H5, tier 3 H6 H8, tier 4 none -> 6 in all.
    # First contact: resolved, not escalated, one contact: H1 (H2 is a second contact), H5 -> FCR 1/2, 1/2, 0/2, none; all 2/6.
    rows = [(t.tier, t.tickets, t.escalated, t.resolved, t.first_contact_resolved) for t in [*m.tiers, m.overall]]
    assert rows == [("1", 3, 0, 2, 1), ("2", 2, 1, 2, 1), ("3", 2, 2, 2, 0), ("4", 1, 1, 0, 0), ("all", 8, 4, 6, 2)]
    assert [t.escalation_rate for t in m.tiers] == [0.0, 0.5, 1.0, 1.0]
    assert m.overall.escalation_rate == 0.5
    assert [t.first_contact_resolution for t in m.tiers] == [0.5, 0.5, 0.0, None]
    assert m.overall.first_contact_resolution == pytest.approx(2 / 6)
    # Creation -> escalation: H4 2 h, H6 4 h, H7 1 h, H8 0.5 h -> sorted 0.5 1 2 4: median 1.5, mean 7.5 / 4 = 1.875.
    assert (m.time_to_escalation.count, m.time_to_escalation.median_hours, m.time_to_escalation.mean_hours) == (4, 1.5, 1.875)
    # Escalation -> resolution: H4 12:00->18:00 6 h, H6 Wed 14:00->Thu 14:00 24 h, H8 08:30->12:30 4 h (H7 open):
    # median 6, mean 34 / 3 = 11.3333.
    after = m.resolution_after_escalation
    assert (after.count, after.median_hours, after.mean_hours) == (3, 6.0, 11.3333)
    assert m.escalated_unresolved == 1
    # 4 escalated / 6 resolved.
    assert m.escalation_to_resolution_ratio == pytest.approx(4 / 6)
    # CSAT: escalated and rated H4 good, H6 bad, H8 good -> 2 of 3; the others H1 good, H2 bad -> 1 of 2.
    assert (m.satisfaction_escalated.rated, m.satisfaction_escalated.satisfied) == (3, 2)
    assert (m.satisfaction_not_escalated.rated, m.satisfaction_not_escalated.satisfied) == (2, 1)
    assert m.notes == [END_TIER_NOTE]


def test_history_metrics_in_business_hours(tmp_path):
    m = metrics_from_file(HISTORY, business_config(tmp_path), calendar="desk")
    assert m.clock == "business hours of the 'desk' calendar (UTC)"
    # Open Mon-Fri 09:00-17:00. To escalation: H4 10->12 = 2, H6 10->14 = 4, H7 09->10 = 1, H8 Fri 08:00->08:30 = 0
    # (before opening) -> median 1.5, mean 7 / 4 = 1.75.
    assert (m.time_to_escalation.median_hours, m.time_to_escalation.mean_hours) == (1.5, 1.75)
    # After escalation: H4 12->17 = 5 (closed after 17:00), H6 Wed 14->17 + Thu 09->14 = 3 + 5 = 8, H8 09->12:30 = 3.5
    # -> median 5, mean 16.5 / 3 = 5.5.
    assert (m.resolution_after_escalation.median_hours, m.resolution_after_escalation.mean_hours) == (5.0, 5.5)
    assert m.overall.escalated == 4  # counts do not depend on the clock


def test_table_and_json_output(capsys):
    assert main(["metrics", str(HISTORY)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[5:11] == [
        "tier     tickets  escalated  escalation rate  resolved  first-contact resolved   FCR",
        "1              3          0               0%         2                       1   50%",
        "2              2          1              50%         2                       1   50%",
        "3              2          2             100%         2                       0    0%",
        "4              1          1             100%         0                       0     -",
        "all            8          4              50%         6                       2   33%",
    ]
    assert lines[12:16] == [
        "time from creation to escalation  median 1.5 h, mean 1.9 h over 4 ticket(s)",
        "resolution time after escalation  median 6.0 h, mean 11.3 h over 3 ticket(s); 1 escalated ticket(s) not resolved",
        "escalation-to-resolution ratio    0.67 (4 escalated / 6 resolved)",
        "CSAT after escalation             67% satisfied (2 of 3 rated); not escalated: 50% satisfied (1 of 2 rated)",
    ]
    assert main(["metrics", str(HISTORY), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["overall"] == {"tier": "all", "tickets": 8, "escalated": 4, "resolved": 6, "first_contact_resolved": 2,
                               "escalation_rate": 0.5, "first_contact_resolution": 0.3333}
    assert data["escalation_to_resolution_ratio"] == 0.6667
    assert data["satisfaction_escalated"] == {"rated": 3, "satisfied": 2, "csat": 0.6667}
    assert data["tiers_at"] == "end" and data["tiers_from"] == "the tier each ticket ended at: the 'tier' column"


def test_escalation_sources_in_order(tmp_path):
    frame = read_table(HISTORY)
    fields = {"ticket_id": "ticket_id", "created_at": "created_at", "status": "status", "resolved_at": "resolved_at", "escalated_at": "escalated_at"}
    # escalated_at alone: escalated when it holds a time (the same four tickets).
    m = compute_metrics(frame.drop(columns=["escalated"]), fields)
    assert m.overall.escalated == 4 and m.escalations_from == "the 'escalated_at' column (escalated when it holds a time)"
    # Tags: Zendesk's full export tags ticket 1001 "escalated"; no tier, so everything is under 'unknown'.
    tagged = metrics_from_file(FIXTURES / "zendesk_export.jsonl")
    assert tagged.escalations_from == "the 'tags' column (tags escalate, escalated, escalation or triage_escalated)"
    assert [(t.tier, t.tickets, t.escalated) for t in tagged.tiers] == [("unknown", 3, 1)]
    assert tagged.time_to_escalation is None and tagged.resolution_after_escalation is None
    # Group stations when there are no tags: ticket 1001 passed through two groups.
    stations = metrics_from_file(FIXTURES / "zendesk_export.jsonl", columns={"tags": "channel"})
    assert stations.escalations_from == "the 'group_stations' column (two groups or more)" and stations.overall.escalated == 1
    # A scored file without a record: triage's decisions, escalated at arrival.
    scored = frame.drop(columns=["escalated", "escalated_at", "tier"]).assign(
        priority="High", tier=["1", "1", "1", "2", "2", "3", "4", "3"], escalate=["False", "False", "False", "True", "False", "True", "True", "True"], reasons="x"
    )
    m = compute_metrics(scored, {k: v for k, v in fields.items() if k != "escalated_at"})
    assert m.escalations_from == "triage's decisions (the escalate column of a scored file)"
    assert m.tiers_from == "the tier each ticket ended at: triage's decisions (the tier column of a scored file)"
    assert m.time_to_escalation is None
    # From creation: H4 10:00->18:00 8 h, H6 24+4 = 28 h, H8 08:00->12:30 4.5 h -> median 8.
    assert (m.resolution_after_escalation.count, m.resolution_after_escalation.median_hours) == (3, 8.0)
    assert m.notes[-1] == "triage escalates when a ticket arrives, so resolution after escalation is measured from creation"
    # With the classifier's tier (model_tier, before the rules), tickets count under the tier they started at.
    proposed = compute_metrics(scored.assign(model_tier=["1", "1", "1", "1", "2", "2", "3", "1"]), {"ticket_id": "ticket_id"})
    assert proposed.tiers_from == "the tier each ticket started at: triage's classifier (the model_tier column: its tier before the policy rules)"
    # Started at 1: H1 H2 H3 H4 H8 (H4, H8 escalated); at 2: H5 H6 (H6); at 3: H7 (H7).
    assert [(t.tier, t.tickets, t.escalated) for t in proposed.tiers] == [("1", 5, 2), ("2", 2, 1), ("3", 1, 1)]
    assert proposed.tiers_at == "start" and END_TIER_NOTE not in proposed.notes
    # Escalations from the export's history: triage's own tiers must not be mixed in.
    history = compute_metrics(scored.assign(escalated=frame["escalated"]), {"ticket_id": "ticket_id", "escalated": "escalated"})
    assert history.escalations_from.startswith("the 'escalated' column")
    assert history.tiers_from == "none (no tier column)" and {t.tier for t in history.tiers} == {"unknown"}


def test_tiers_from_groups_and_tags(tmp_path):
    frame = read_table(HISTORY).drop(columns=["tier"])
    frame["group"] = ["Tier 1 frontline", "Customer Service", "", "Billing and Payments", "x", "Tier 3 senior / engineering", "Tier 4 management", "Service Outages and Maintenance"]
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated", "team": "group"})
    assert m.tiers_from == "the tier each ticket ended at: the 'group' column through [queue_tiers] and [writeback.groups]"
    assert [(t.tier, t.tickets) for t in m.tiers] == [("1", 2), ("2", 1), ("3", 2), ("4", 1), ("unknown", 2)]
    frame["tags"] = ["triage_tier_1", "", "", "triage_tier_2 vip", "", "", "", ""]
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated", "tags": "tags"})
    assert [(t.tier, t.tickets) for t in m.tiers] == [("1", 1), ("2", 1), ("unknown", 6)]


def test_no_escalation_record_is_a_one_line_error(capsys):
    assert main(["metrics", str(FIXTURES / "zendesk_tickets.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    # The export has tags and group_stations, but neither records an escalation: said so, not that they are missing.
    assert err.startswith("triage: error: The file records no escalations: its 'tags' and 'group_stations' column(s) hold no escalation")
    assert "(columns found: id, subject, text, status," in err and "score the file first" in err


def test_a_file_without_any_escalation_column_says_which_it_looked_for(tmp_path, capsys):
    path = tmp_path / "plain.csv"
    path.write_text("ticket_id,text\n1,hello\n", encoding="utf-8")
    assert main(["metrics", str(path)]) == 2
    err = capsys.readouterr().err
    assert "none of the columns escalated, escalated_at, tags (with 'escalated'), group_stations, nor triage's escalate column is in the file" in err


def test_bad_values_are_named(tmp_path):
    frame = read_table(HISTORY)
    frame.loc[2, "escalated"] = "perhaps"
    with pytest.raises(InputError, match=r"Column 'escalated' must hold yes/no, true/false or 1/0; found ticket H3: 'perhaps'\."):
        compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated"})
    frame.loc[2, "escalated"] = "no"
    frame.loc[0, "resolved_at"] = "next tuesday"
    frame.loc[1, "satisfaction"] = "meh"
    frame.loc[3, "resolved_at"] = "2026-11-03T11:00:00Z"  # before its escalation at 12:00
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated", "escalated_at": "escalated_at", "created_at": "created_at",
                                "resolved_at": "resolved_at", "status": "status", "satisfaction": "satisfaction"})
    assert m.tickets == 8  # no row is dropped
    assert "1 unreadable resolved_at value(s) left out of the times (e.g. ticket H1 'next tuesday')" in m.notes
    assert "1 time(s) run backwards and were left out: ticket H4 (resolved before it was escalated)" in m.notes
    assert "1 satisfaction value(s) not understood, counted as no rating (e.g. ticket H2 'meh')" in m.notes
    with pytest.raises(InputError, match="Calendar 'night' is not defined; defined calendars: always, business."):
        compute_metrics(frame, {"escalated": "escalated"}, calendar="night")


@pytest.mark.parametrize(
    "value, expected",
    [("good", True), ("Good with comment", True), ("bad", False), ("Extremely satisfied", True), ("Not satisfied", False),
     ("Neutral", False), ("5", True), ("4.0", True), ("3", False), ("9", True), ("7", False), ("offered", None), ("", None), ("Unoffered", None)],
)
def test_satisfied(value, expected):
    assert satisfied(value) is expected


def test_the_rating_scale_is_the_columns():
    assert rating_scale(["5", "4", "", "good"]) == 5
    assert rating_scale(["5", "9"]) == 10 and rating_scale(["0", "3"]) == 10
    assert satisfied("5", 10) is False and satisfied("8", 10) is True and satisfied("10", 10) is True
    with pytest.raises(ValueError):
        satisfied("0", 5)
    frame = read_table(HISTORY).assign(satisfaction=["5", "4", "", "9", "", "5", "", "8"])
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated", "satisfaction": "satisfaction"})
    # A 9 in the column makes it 0-10: the 5s and the 4 are not satisfied; escalated H4 9, H6 5, H8 8 -> 2 of 3.
    assert (m.satisfaction_escalated.rated, m.satisfaction_escalated.satisfied) == (3, 2)
    assert (m.satisfaction_not_escalated.rated, m.satisfaction_not_escalated.satisfied) == (2, 0)


def test_escalated_at_counts_only_readable_times(tmp_path):
    frame = read_table(HISTORY).drop(columns=["escalated"])
    frame.loc[0, "escalated_at"] = "-"
    frame.loc[1, "escalated_at"] = "N/A"
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated_at": "escalated_at", "created_at": "created_at"})
    assert m.overall.escalated == 4  # H4 H6 H7 H8, not H1 and H2
    assert m.notes[0] == "2 unreadable escalated_at value(s) are not times and count as not escalated (e.g. ticket H1 '-', ticket H2 'N/A')"
    assert m.time_to_escalation.count == 4


def test_tickets_count_under_the_tier_they_started_at_when_the_file_says(tmp_path):
    frame = read_table(HISTORY)
    # H4 started at tier 1 and went to 2; H6 and H8 started at 2 and went to 3; H7 started at 3 and went to 4.
    frame["initial_tier"] = ["1", "1", "1", "1", "2", "2", "3", "2"]
    m = compute_metrics(frame, {"ticket_id": "ticket_id", "escalated": "escalated", "support_tier": "tier", "initial_tier": "initial_tier"})
    assert m.tiers_from == "the tier each ticket started at: the 'initial_tier' column" and m.tiers_at == "start"
    assert [(t.tier, t.tickets, t.escalated, t.escalation_rate) for t in m.tiers] == [("1", 4, 1, 0.25), ("2", 3, 2, 2 / 3), ("3", 1, 1, 1.0)]
    assert END_TIER_NOTE not in m.notes
    frame = frame.drop(columns=["initial_tier"]).assign(
        initial_group=["Customer Service"] * 4 + ["Billing and Payments"] * 2 + ["Service Outages and Maintenance", "Billing and Payments"]
    )
    by_group = metrics_from_file_frame(tmp_path, frame)
    assert by_group.tiers_from == "the tier each ticket started at: the 'initial_group' column through [queue_tiers] and [writeback.groups]"
    assert [(t.tier, t.tickets, t.escalated) for t in by_group.tiers] == [("1", 4, 1), ("2", 3, 2), ("3", 1, 1)]


def metrics_from_file_frame(tmp_path, frame):
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    return metrics_from_file(path)


def test_reopened_tickets_are_not_first_contact_resolutions(tmp_path):
    frame = read_table(HISTORY).drop(columns=["contact_count"]).assign(reopens=["1", "0", "0", "0", "0", "0", "0", "0"])
    m = metrics_from_file_frame(tmp_path, frame)
    assert [(t.tier, t.first_contact_resolved) for t in m.tiers][:2] == [("1", 1), ("2", 1)]  # H1 reopened; H2 still counts


def test_metrics_on_the_bundled_sample_need_a_scored_file(capsys):
    sample = Path(__file__).parents[1] / "data" / "sample_tickets.csv"
    assert main(["metrics", str(sample)]) == 2
    assert "score the file first (triage score INPUT -o scored.csv)" in capsys.readouterr().err
