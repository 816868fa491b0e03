import csv
import json
import math

import pandas as pd
import pytest

from triage.adapters import read_tickets, split_tags
from triage.config import load_config
from triage.errors import ConfigError, InputError
from triage.metrics import compute_metrics
from triage.tables import TableWriter, read_table
from triage.writeback import (
    FRESHDESK_COLUMNS,
    WritebackWriter,
    check_helpdesk_ids,
    default_writeback_path,
    helpdesk_id,
    tag,
    write_back,
)

REASONS = [
    [
        "Classifier proposed High priority (61%) and tier 2 (55%); main signals: 'down' for the priority, 'checkout' for the tier.",
        "System down: 'site is down' (sentence 2) -> Critical, tier 3 (senior / engineering).",
    ],
    [
        "Classifier proposed Medium priority (48%) and tier 2 (70%); main signals: 'charged' for the priority, 'card' for the tier.",
        "Legal threat: 'my lawyer' (sentence 2) -> tier 4 (management), priority at least High.",
    ],
    ["Classifier proposed Low priority (72%) and tier 1 (80%); main signals: 'password' for the priority, 'reset' for the tier."],
]


def scored_frame() -> pd.DataFrame:
    """Three tickets as triage score writes them (Parquet / JSON Lines: lists kept as lists)."""
    return pd.DataFrame(
        {
            "id": ["35436", "35437", "35438"],
            "text": ["Checkout is down.", "My lawyer will call.", "How do I reset my password?"],
            "priority": ["Critical", "High", "Low"],
            "tier": [3, 4, 1],
            "escalate": [True, True, False],
            "categories": [["outage"], ["legal", "billing", "needs_review"], []],
            "reasons": REASONS,
            "needs_review": [False, True, False],
            "actions": [["notify manager", "assign senior agent"], ["notify manager", "add internal note"], []],
            "sla_clock": ["first response", None, None],
            "sla_state": ["at_risk", None, None],
            "sla_elapsed_pct": [85.0, math.nan, math.nan],
            "sla_due_at": ["2026-11-02T09:30:00Z", None, None],
        }
    )


NOTE_0 = (
    'triage: Critical priority, tier 3 (senior / engineering), for the group "Tier 3 senior / engineering". Escalated by the policy.\n'
    "\nWhy:\n"
    f"- {REASONS[0][0]}\n"
    f"- {REASONS[0][1]}\n"
    "\nAsked of the team: notify manager, assign senior agent.\n"
    "SLA: first response clock 85% elapsed, at risk, due 2026-11-02T09:30:00Z."
)


def test_zendesk_file_is_one_update_many_body_a_line(tmp_path):
    out = tmp_path / "updates.jsonl"
    result = write_back(scored_frame(), out, "zendesk", load_config(), "id")
    assert (result.tickets, result.requests, result.skipped_closed) == (3, 1, 0)
    assert result.line() == "zendesk bulk update of 3 ticket(s) in 1 request(s) of at most 100"
    (line,) = out.read_text(encoding="utf-8").splitlines()
    body = json.loads(line)
    assert list(body) == ["tickets"]
    first, second, third = body["tickets"]
    assert first == {
        "id": 35436,
        "priority": "urgent",
        "additional_tags": ["triage_tier_3", "triage_outage", "triage_escalated"],
        # triage's tags an earlier write-back may have left that no longer apply
        "remove_tags": ["triage_tier_1", "triage_tier_2", "triage_tier_4", "triage_needs_review"],
        "comment": {"body": NOTE_0, "public": False},
    }
    assert (second["id"], second["priority"]) == (35437, "high")
    assert second["additional_tags"] == ["triage_tier_4", "triage_legal", "triage_billing", "triage_needs_review", "triage_escalated"]
    assert second["remove_tags"] == ["triage_tier_1", "triage_tier_2", "triage_tier_3"]
    assert third["remove_tags"] == ["triage_tier_2", "triage_tier_3", "triage_tier_4", "triage_escalated", "triage_needs_review"]
    assert second["comment"]["body"].startswith(
        'triage: High priority, tier 4 (management), for the group "Tier 4 management". Escalated by the policy. '
        "A person should confirm this decision before acting on it.\n"
    )
    assert (third["priority"], third["additional_tags"]) == ("low", ["triage_tier_1"])
    assert third["comment"]["body"] == (
        'triage: Low priority, tier 1 (frontline), for the group "Tier 1 frontline".\n\nWhy:\n' f"- {REASONS[2][0]}"
    )


def test_configured_groups_ids_tag_field_and_prefix(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[writeback]\ntag_prefix = "Tri-"\nzendesk_tags_field = "tags"\nnote = false\n'
        '[writeback.groups]\n3 = "Engineering escalations"\n[writeback.zendesk_group_ids]\n3 = 360001234567\n'
        '[writeback.freshdesk_group_ids]\n3 = 43000567890\n4 = 43000567891\n',
        encoding="utf-8",
    )
    config = load_config(policy)
    out = tmp_path / "updates.json"  # .json is taken too: its lines are JSON
    write_back(scored_frame(), out, "zendesk", config, "id")
    first, second, _ = json.loads(out.read_text(encoding="utf-8"))["tickets"]
    # tags replace the ticket's own, so nothing is removed; the prefix is lower-cased as helpdesks store tags
    assert first == {"id": 35436, "priority": "urgent", "group_id": 360001234567, "tags": ["tri-tier_3", "tri-outage", "tri-escalated"]}
    assert "group_id" not in second and "comment" not in second
    fresh = tmp_path / "updates.csv"
    write_back(scored_frame(), fresh, "freshdesk", config, "id")
    table = read_table(fresh)
    assert table["Group"].tolist() == ["Engineering escalations", "Tier 4 management", "Tier 1 frontline"]
    assert table["Group ID"].tolist() == ["43000567890", "43000567891", ""]


@pytest.mark.parametrize(
    "toml, message",
    [
        ('[writeback]\nzendesk_tags_field = "labels"\n', "writeback.zendesk_tags_field must be 'additional_tags' or 'tags'; got 'labels'."),
        ('[writeback.zendesk_group_ids]\n2 = "Billing"\n', "writeback.zendesk_group_ids.2 must be a Zendesk group id (a whole number); got 'Billing'."),
        ('[writeback.freshdesk_group_ids]\n2 = 1.5\n', "writeback.freshdesk_group_ids.2 must be a Freshdesk group id (a whole number); got 1.5."),
        ('[writeback.groups]\n5 = "Board"\n', "writeback.groups.5 is not a tier; expected tiers 1 to 4, e.g. writeback.groups.3."),
        ('[writeback]\ntag_prefix = "my tag "\n', "writeback.tag_prefix must be letters, digits, '_' or '-'"),
    ],
)
def test_bad_writeback_config_names_the_key(tmp_path, toml, message):
    policy = tmp_path / "policy.toml"
    policy.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(policy)
    assert message in str(caught.value)


def test_freshdesk_file_is_a_bulk_update_csv(tmp_path):
    out = tmp_path / "updates.csv"
    write_back(scored_frame(), out, "freshdesk", load_config(), "id")
    with open(out, encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert tuple(rows[0]) == FRESHDESK_COLUMNS == ("Ticket ID", "Priority", "Priority value", "Group", "Group ID", "Tags", "Private note")
    assert [r[:6] for r in rows[1:]] == [
        ["35436", "Urgent", "4", "Tier 3 senior / engineering", "", "triage_tier_3, triage_outage, triage_escalated"],
        ["35437", "High", "3", "Tier 4 management", "", "triage_tier_4, triage_legal, triage_billing, triage_needs_review, triage_escalated"],
        ["35438", "Low", "1", "Tier 1 frontline", "", "triage_tier_1"],
    ]
    assert rows[1][6] == NOTE_0


@pytest.mark.parametrize(
    "fmt, name, system, priority_column, priorities",
    [("zendesk", "back.jsonl", "zendesk", "ticket_priority", ["urgent", "high", "low"]),
     ("freshdesk", "back.csv", "freshdesk", "Priority", ["Urgent", "High", "Low"])],
)
def test_writeback_round_trips_through_the_adapters(tmp_path, fmt, name, system, priority_column, priorities):
    frame = scored_frame()
    out = tmp_path / name
    write_back(frame, out, fmt, load_config(), "id")
    back = read_tickets(out)
    assert back.kind.system == system
    ids = back.frame[back.fields["ticket_id"]].tolist()
    tags = [split_tags(t) for t in back.frame[back.fields["tags"]]]
    assert ids == ["35436", "35437", "35438"]
    assert back.frame[priority_column].tolist() == priorities
    assert tags == [
        ["triage_tier_3", "triage_outage", "triage_escalated"],
        ["triage_tier_4", "triage_legal", "triage_billing", "triage_needs_review", "triage_escalated"],
        ["triage_tier_1"],
    ]


def test_a_scored_csv_gives_the_same_file_as_lists(tmp_path):
    scored_csv = tmp_path / "scored.csv"
    with TableWriter(scored_csv) as writer:  # CSV joins the lists, as triage score writes them
        writer.write(scored_frame())
    from_csv, from_lists = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_back(read_table(scored_csv), from_csv, "zendesk", load_config(), "id")
    write_back(scored_frame(), from_lists, "zendesk", load_config(), "id")
    assert from_csv.read_text(encoding="utf-8") == from_lists.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: f.assign(id=["35436", "TK-1", "35438"]), "Helpdesk ticket ids are whole numbers; row 2 has 'TK-1'."),
        (lambda f: f.assign(id=["35436", "", "35438"]), "Row 2 has no ticket id; every row of a write-back must name the helpdesk ticket it updates."),
        (lambda f: f.assign(priority=["Critical", "Urgent", "Low"]), "Row 2 (ticket 35437) has priority 'Urgent'; expected one of Low, Medium, High, Critical."),
        (lambda f: f.drop(columns=["tier"]), "A write-back needs triage's decision columns; tier missing among the columns found (id, text, priority,"),
        (lambda f: f.assign(tier=[3, 7, 1]), "Row 2 (ticket 35437) has tier 7; expected 1 to 4."),
    ],
)
def test_bad_rows_stop_with_one_clear_message_and_no_file(tmp_path, change, message):
    out = tmp_path / "updates.jsonl"
    with pytest.raises(InputError) as caught:
        write_back(change(scored_frame()), out, "zendesk", load_config(), "id")
    assert message in str(caught.value)
    assert list(tmp_path.iterdir()) == []  # neither the file nor a partial one


def test_no_id_column_and_wrong_extension(tmp_path):
    with pytest.raises(InputError, match="has no ticket id column"):
        write_back(scored_frame(), tmp_path / "u.jsonl", "zendesk", load_config(), None)
    with pytest.raises(InputError, match=r"A Zendesk write-back is a \.jsonl file; '.*u\.csv' ends in '\.csv'\. Name it e\.g\. 'u\.jsonl'\."):
        WritebackWriter(tmp_path / "u.csv", "zendesk", load_config())
    with pytest.raises(InputError, match="--format must be one of zendesk, freshdesk; got 'kayako'."):
        WritebackWriter(tmp_path / "u.csv", "kayako", load_config())


def test_failure_in_a_later_chunk_leaves_the_old_file_untouched(tmp_path):
    out = tmp_path / "updates.csv"
    out.write_text("previous run\n", encoding="utf-8")
    with pytest.raises(InputError), WritebackWriter(out, "freshdesk", load_config()) as writer:
        writer.write(scored_frame().iloc[:2], "id")
        writer.write(scored_frame().iloc[2:].assign(id=["abc"]), "id")
    assert out.read_text(encoding="utf-8") == "previous run\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["updates.csv"]


def test_empty_input_gives_an_empty_but_valid_file(tmp_path):
    empty = scored_frame().iloc[:0]
    assert write_back(empty, tmp_path / "u.jsonl", "zendesk", load_config(), "id").requests == 0
    assert (tmp_path / "u.jsonl").read_text(encoding="utf-8") == ""  # no request to send
    write_back(empty, tmp_path / "u.csv", "freshdesk", load_config(), "id")
    assert (tmp_path / "u.csv").read_text(encoding="utf-8").strip() == ",".join(FRESHDESK_COLUMNS)


def test_helpers(tmp_path):
    assert tag("Account access", "triage_") == "triage_account_access"
    assert default_writeback_path(tmp_path / "export.csv", "zendesk") == tmp_path / "export.zendesk.jsonl"
    assert default_writeback_path(tmp_path / "export.json", "freshdesk") == tmp_path / "export.freshdesk.csv"


def many(count: int) -> pd.DataFrame:
    frame = scored_frame()
    return frame.iloc[[i % 3 for i in range(count)]].reset_index(drop=True).assign(id=[str(1000 + i) for i in range(count)])


def test_zendesk_requests_hold_at_most_100_tickets(tmp_path):
    out = tmp_path / "updates.jsonl"
    with WritebackWriter(out, "zendesk", load_config()) as writer:  # chunks need not line up with requests
        writer.write(many(250).iloc[:130], "id")
        writer.write(many(250).iloc[130:], "id")
    bodies = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [len(b["tickets"]) for b in bodies] == [100, 100, 50]
    assert [t["id"] for b in bodies for t in b["tickets"]] == list(range(1000, 1250))
    assert writer.result().line() == "zendesk bulk update of 250 ticket(s) in 3 request(s) of at most 100"


@pytest.mark.parametrize("raw", ["12²", "١٢", "12a"])
def test_write_back_ids_must_be_ascii_digits(raw):
    with pytest.raises(InputError, match="whole numbers"):
        helpdesk_id(raw, 3)


def test_closed_tickets_are_left_out_of_a_zendesk_file(tmp_path):
    frame = scored_frame().assign(status=["open", "Closed", "solved"])
    result = write_back(frame, tmp_path / "u.jsonl", "zendesk", load_config(), "id", status_column="status")
    (line,) = (tmp_path / "u.jsonl").read_text(encoding="utf-8").splitlines()
    assert [t["id"] for t in json.loads(line)["tickets"]] == [35436, 35438]
    assert (result.tickets, result.skipped_closed) == (2, 1)
    assert result.line().endswith("; 1 closed ticket(s) skipped (Zendesk does not update closed tickets)")
    fresh = write_back(frame, tmp_path / "u.csv", "freshdesk", load_config(), "id", status_column="status")
    assert (fresh.tickets, fresh.skipped_closed) == (3, 0)  # Freshdesk updates closed tickets


def test_stale_triage_tags_are_removed_and_freshdesk_keeps_the_tickets_own(tmp_path):
    # Re-scored: the export shows the tags of an earlier write-back (tier 4, legal, escalated) and the ticket's own.
    frame = scored_frame().assign(tags=["triage_tier_4 triage_legal triage_escalated vip", "", "Billing, Triage_Tier_3"])
    write_back(frame, tmp_path / "u.jsonl", "zendesk", load_config(), "id", tags_column="tags")
    first, _, third = json.loads((tmp_path / "u.jsonl").read_text(encoding="utf-8"))["tickets"]
    assert first["additional_tags"] == ["triage_tier_3", "triage_outage", "triage_escalated"]
    assert first["remove_tags"] == ["triage_tier_1", "triage_tier_2", "triage_tier_4", "triage_needs_review", "triage_legal"]
    assert "triage_tier_3" in third["remove_tags"] and "triage_tier_1" not in third["remove_tags"]
    result = write_back(frame, tmp_path / "u.csv", "freshdesk", load_config(), "id", tags_column="tags")
    # Freshdesk's API replaces the tag list: the ticket's own tags first, its old triage tags dropped, then triage's.
    assert read_table(tmp_path / "u.csv")["Tags"].tolist() == [
        "vip, triage_tier_3, triage_outage, triage_escalated",
        "triage_tier_4, triage_legal, triage_billing, triage_needs_review, triage_escalated",
        "Billing, triage_tier_1",
    ]
    assert result.line() == "freshdesk bulk update of 3 ticket(s)"
    bare = write_back(scored_frame(), tmp_path / "v.csv", "freshdesk", load_config(), "id")
    assert bare.line().endswith("the export has no tags column, so the tags sent are triage's only and replace each ticket's own")


def test_zendesk_tags_field_keeps_the_tickets_own_tags(tmp_path):
    # Zendesk's "tags" field replaces the whole list, so the ticket's own tags must be sent along with triage's.
    policy = tmp_path / "policy.toml"
    policy.write_text('[writeback]\nzendesk_tags_field = "tags"\n', encoding="utf-8")
    frame = scored_frame().assign(tags=["triage_tier_4 triage_legal vip", "", "Billing"])
    result = write_back(frame, tmp_path / "u.jsonl", "zendesk", load_config(policy), "id", tags_column="tags")
    first, second, third = json.loads((tmp_path / "u.jsonl").read_text(encoding="utf-8"))["tickets"]
    assert first["tags"] == ["vip", "triage_tier_3", "triage_outage", "triage_escalated"]
    assert third["tags"] == ["Billing", "triage_tier_1"]
    assert "remove_tags" not in first and "additional_tags" not in first
    assert result.line() == "zendesk bulk update of 3 ticket(s) in 1 request(s) of at most 100"
    bare = write_back(scored_frame(), tmp_path / "v.jsonl", "zendesk", load_config(policy), "id")
    assert bare.line().endswith("so the tags sent are triage's only and replace each ticket's own")
    default = write_back(scored_frame(), tmp_path / "w.jsonl", "zendesk", load_config(), "id")
    assert "tags sent" not in default.line()  # additional_tags leaves the ticket's own tags alone


def test_metrics_read_the_tags_of_a_write_back(tmp_path):
    frame = scored_frame().assign(tags=["tri-tier_3 TRI-escalated", "tri-tier_2 tri-tier_4", "tri-tier_1"], escalated_at="")
    policy = tmp_path / "policy.toml"
    policy.write_text('[writeback]\ntag_prefix = "TRI-"\n', encoding="utf-8")
    m = compute_metrics(frame.drop(columns=["tier", "escalate"]), {"ticket_id": "id", "tags": "tags"}, load_config(policy))
    assert m.escalations_from == "the 'tags' column (tags escalate, escalated, escalation or tri-escalated)"
    # Several tier tags (from write-backs that did not remove them): the highest counts.
    assert m.tiers_from == "the tier each ticket ended at: the 'tags' column (tri-tier_N tags)"
    assert [(t.tier, t.tickets, t.escalated) for t in m.tiers] == [("1", 1, 0), ("3", 1, 1), ("4", 1, 0)]
    assert "1 ticket(s) carry several tier tags; the highest counts" in m.notes


def test_ids_are_checked_before_scoring(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("ticket_id,text\n12,hello\n13,hi\nTK-1,hey\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"Helpdesk ticket ids are whole numbers; row 3 has 'TK-1'\."):
        check_helpdesk_ids(export, chunk_rows=2)
    with pytest.raises(InputError, match=r"the export has no ticket id column \(columns found: text\)"):
        export.write_text("text\nhello\n", encoding="utf-8")
        check_helpdesk_ids(export)
    export.write_text("Case,text\n12,hello\n", encoding="utf-8")
    check_helpdesk_ids(export, columns={"ticket_id": "Case"})


def test_a_column_name_the_frame_lacks_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="The ticket id column 'ticket_id' is not among the columns found \\(id, text"):
        write_back(scored_frame(), tmp_path / "u.jsonl", "zendesk", load_config(), "ticket_id")
    with pytest.raises(InputError, match="The status column 'state' is not among"):
        write_back(scored_frame(), tmp_path / "u.jsonl", "zendesk", load_config(), "id", status_column="state")
