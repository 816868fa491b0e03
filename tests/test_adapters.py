import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from triage.adapters import (
    detect_source,
    open_source,
    read_tickets,
    split_tags,
)
from triage.cli import main
from triage.columns import prepare
from triage.config import load_config
from triage.errors import InputError, MissingColumnError, TriageWarning
from triage.history import history_applies
from triage.policy import TicketSignals, repeat_contact
from triage.tables import read_table

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.parametrize(
    "name, system, shape, label",
    [
        ("zendesk_tickets.json", "zendesk", "json", "Zendesk JSON export"),
        ("zendesk_export.jsonl", "zendesk", "jsonl", "Zendesk JSON Lines export"),
        ("zendesk_export.csv", "zendesk", "csv", "Zendesk CSV export"),
        ("freshdesk_export.csv", "freshdesk", "csv", "Freshdesk CSV export"),
        ("generic_mapped.csv", "generic", "csv", "generic CSV (columns found by name and the config's [columns] table)"),
        ("history_metrics.csv", "generic", "csv", "generic CSV (columns found by name and the config's [columns] table)"),
    ],
)
def test_each_fixture_is_recognised(name, system, shape, label):
    kind = detect_source(FIXTURES / name)
    assert (kind.system, kind.shape, kind.label) == (system, shape, label)


def test_zendesk_api_response_maps_fields_and_side_loaded_names():
    tickets = read_tickets(FIXTURES / "zendesk_tickets.json")
    assert tickets.message == f"read '{FIXTURES / 'zendesk_tickets.json'}' as Zendesk JSON export, 4 ticket(s)"
    f = tickets.fields
    assert {k: f[k] for k in ("ticket_id", "subject", "text", "requester", "customer_name", "status", "team", "tags",
                             "created_at", "updated_at", "resolved_at", "satisfaction")} == {
        "ticket_id": "id", "subject": "subject", "text": "text", "requester": "requester_id", "customer_name": "requester_name",
        "status": "status", "team": "group", "tags": "tags", "created_at": "created_at",
        "updated_at": "updated_at", "resolved_at": "solved_at", "satisfaction": "satisfaction",
    }
    # No reopen count in an API response: no contact_count column, so contacts are counted from history.
    assert "contact_count" not in tickets.frame.columns and history_applies(f)
    first = tickets.frame.iloc[0]
    assert first["id"] == "35436" and first["ticket_priority"] == "high" and first["status"] == "open"
    assert (first["requester_name"], first["requester_email"]) == ("Dana Reyes", "dana.reyes@northwind.example")
    assert (first["organization"], first["group"], first["channel"]) == ("Northwind Traders", "Frontline", "email")
    assert first["tags"] == "checkout enterprise" and first["satisfaction"] == "unoffered"
    second = tickets.frame.iloc[1]
    assert (second["satisfaction"], second["satisfaction_comment"], second["group"]) == ("bad", "Took far too long.", "Billing specialists")
    last = tickets.frame.iloc[3]  # priority and group null, satisfaction_rating null: empty cells, the row kept
    assert (last["ticket_priority"], last["group"], last["satisfaction"], last["tags"]) == ("", "", "", "export question")


def test_zendesk_full_export_reads_comments_and_metric_set():
    frame = read_tickets(FIXTURES / "zendesk_export.jsonl").frame
    crash = frame.iloc[0]
    # The description, then the requester's own later public comment; agents' replies and the private note left out.
    assert crash["text"] == (
        "The invoices page crashes every time I open it. Error 500.\n\n"
        "Chrome. This is unacceptable, it has been broken for two days and my manager is asking."
    )
    assert crash["first_response_at"] == "2026-11-04T09:20:00Z"  # first public comment by someone else
    assert (crash["solved_at"], crash["agent_replies"], crash["times_reopened"], crash["group_stations"]) == ("2026-11-05T15:10:00Z", "2", "0", "2")
    assert crash["comment_count"] == "5" and crash["requester_email"] == "mia@fabrikam.example"
    # Reopens 0, none (no metric_set), 1 -> contacts 1, unknown, 2.
    assert frame["contact_count"].tolist() == ["1", "", "2"] and frame["times_reopened"].tolist() == ["0", "", "1"]
    assert frame.iloc[1][["text", "comment_count", "first_response_at"]].tolist() == [
        "Please change our billing address to 12 Harbour Street, Leith.", "", ""]
    assert frame.iloc[2]["first_response_at"] == "2026-11-05T12:50:00Z"


def test_zendesk_csv_without_description_scores_the_subject_with_a_warning():
    with pytest.warns(TriageWarning, match=r"has no description or comment column, so its subject \('Subject'\) is scored as the text"):
        tickets = read_tickets(FIXTURES / "zendesk_export.csv", require_text=True)
    assert tickets.fields["text"] == "Subject" and "subject" not in tickets.fields
    assert tickets.fields["resolved_at"] == "Solved at" and tickets.fields["satisfaction"] == "Satisfaction Score"
    assert tickets.frame["Id"].tolist() == ["2201", "2202", "2203"]
    assert tickets.message.endswith("as Zendesk CSV export; contact_count added as Reopens + 1")
    # Readers that do not score (metrics, report) keep the subject as the subject, and say nothing.
    assert read_tickets(FIXTURES / "zendesk_export.csv").fields["subject"] == "Subject"


def test_the_subject_warning_is_said_even_to_a_quiet_run():
    with open_source(FIXTURES / "zendesk_export.csv") as opened:
        quiet, loud = io.StringIO(), io.StringIO()
        opened.announce(quiet, quiet=True)
        opened.announce(loud)
    assert quiet.getvalue() == (
        f"triage: warning: '{FIXTURES / 'zendesk_export.csv'}' has no description or comment column, so its subject ('Subject') "
        "is scored as the text; export the tickets as JSON to score their descriptions and comments\n"
    )
    assert loud.getvalue().startswith(f"triage: read '{FIXTURES / 'zendesk_export.csv'}' as Zendesk CSV export; contact_count added")
    assert loud.getvalue().endswith(quiet.getvalue())


@pytest.mark.parametrize(
    "header, row",
    [("Id,Subject,Organization,Assignee,Notes", "7,Printer on fire,Initech,Sam,Tried turning it off"),
     ("ID,Title,Satisfaction,Organization,Body", "8,Refund,good,Globex,Where is my refund?"),
     ("Id,Subject,Requester,Ticket type,Satisfaction,Assignee", "9,Hello,kim@example.com,Question,5,Sam")],
)
def test_generic_column_names_do_not_make_a_zendesk_export(tmp_path, header, row):
    export = tmp_path / "export.csv"
    export.write_text(f"{header}\n{row}\n", encoding="utf-8")
    assert detect_source(export).system == "generic"
    if "Body" in header:
        assert read_tickets(export, require_text=True).fields["text"] == "Body"
    else:  # no text column: the usual error, not the subject scored in its place
        with pytest.raises(MissingColumnError, match="Missing text/description column"):
            read_tickets(export, require_text=True)
    # Forced, the source is certain: the subject is scored, with the warning.
    if "Subject" in header:
        with pytest.warns(TriageWarning, match="its subject \\('Subject'\\) is scored as the text"):
            assert read_tickets(export, source="zendesk", require_text=True).fields["text"] == "Subject"


def test_zendesk_only_columns_make_a_zendesk_export(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text("Id,Subject,Requester domain,Assignee stations,Description\n1,Hi,example.com,1,Hello there\n", encoding="utf-8")
    assert detect_source(export).system == "zendesk"
    scored = tmp_path / "scored.csv"  # triage's output of a Zendesk export is a flat table
    scored.write_text("Id,Solved at,Via,text,priority,tier,escalate,reasons\n1,,Mail,Hi,Low,1,False,x\n", encoding="utf-8")
    assert detect_source(scored).system == "generic"


def test_reopens_become_contact_counts_and_the_third_contact_escalates(tmp_path):
    export = tmp_path / "export.csv"
    export.write_text(
        "Id,Subject,Description,Via,Solved at,Reopens\n"
        "1,Again,Third time I write about this,Mail,,2\n2,New,First time,Mail,,0\n3,Odd,Odd,Mail,,\n",
        encoding="utf-8",
    )
    with open_source(export) as opened:
        assert opened.path != export and opened.notes == ["contact_count added as Reopens + 1"]
        frame = read_table(opened.path)
    assert list(frame.columns) == ["Id", "Subject", "Description", "Via", "Solved at", "Reopens", "contact_count"]
    assert frame["contact_count"].tolist() == ["3", "1", ""]
    tickets = read_tickets(export, require_text=True)
    assert tickets.fields["contact_count"] == "contact_count" and tickets.fields["reopens"] == "Reopens"
    contacts = prepare(tickets.frame, tickets.fields).contact_count
    assert contacts[0] == 3 and contacts[1] == 1
    config = load_config()
    signals = TicketSignals(
        text="Third time I write about this", word_count=6, sentiment=0.0, sentiment_label="neutral", hits=(),
        contact_count=float(contacts[0]), customer_tier="", vip=False, ltv=float("nan"), revenue_impact=float("nan"),
    )
    assert repeat_contact(signals, config).rule == "repeat_contact"  # reopened twice: the third contact
    # Zendesk JSON: metric_set.reopens, else a ticket's own times_reopened.
    lines = tmp_path / "full.jsonl"
    lines.write_text(
        json.dumps({"id": 1, "requester_id": 5, "via": {}, "description": "x", "metric_set": {"reopens": 2}}) + "\n"
        + json.dumps({"id": 2, "requester_id": 6, "via": {}, "description": "y", "times_reopened": 1}) + "\n",
        encoding="utf-8",
    )
    assert read_tickets(lines).frame["contact_count"].tolist() == ["3", "2"]


def test_a_first_line_longer_than_64_kib_is_still_json_lines(tmp_path):
    export = tmp_path / "full.jsonl"
    long_ticket = {"id": 1, "requester_id": 5, "submitter_id": 5, "group_id": 7, "via": {"channel": "email"}, "description": "word " * 20_000}
    export.write_text(json.dumps(long_ticket) + "\n" + json.dumps({"id": 2, "requester_id": 6, "group_id": 7, "description": "short"}) + "\n",
                      encoding="utf-8")
    assert len(export.read_text(encoding="utf-8").splitlines()[0]) > 1 << 16
    assert detect_source(export).label == "Zendesk JSON Lines export"
    frame = read_tickets(export).frame
    assert frame["id"].tolist() == ["1", "2"] and len(frame.loc[0, "text"]) == 100_000


@pytest.mark.parametrize(
    "page, why",
    [({"next_page": "https://example.zendesk.com/api/v2/tickets.json?page=2", "count": 250}, "next_page is https://example.zendesk.com/api/v2/tickets.json?page=2"),
     ({"meta": {"has_more": True, "after_cursor": "xyz"}}, "meta.has_more is true"),
     ({"end_of_stream": False, "count": 1}, "end_of_stream is false"),
     ({"next_page": None, "count": 3}, "count is 3")],
)
def test_one_page_of_a_paginated_response_is_warned_about(tmp_path, page, why):
    response = tmp_path / "page.json"
    response.write_text(json.dumps({"tickets": [{"id": 1, "requester_id": 2, "description": "x"}], **page}), encoding="utf-8")
    expected = f"'{response}' is one page of a paginated Zendesk API response: 1 ticket(s) read, but more pages exist ({why})."
    with pytest.warns(TriageWarning) as caught:
        assert len(read_tickets(response).frame) == 1  # what the page holds is still read
    assert [str(w.message) for w in caught][0].startswith(expected)
    with open_source(response) as opened:  # the command line says it as a warning, even with -q
        assert opened.warnings[0].startswith(expected)


def test_json_lines_of_responses_are_read_and_only_the_last_page_counts(tmp_path):
    pages = tmp_path / "pages.jsonl"
    first = {"tickets": [{"id": 1, "requester_id": 2, "description": "a"}, {"id": 2, "requester_id": 2, "description": "b"}],
             "next_page": "https://example.zendesk.com/api/v2/tickets.json?page=2"}
    last = {"tickets": [{"id": 3, "requester_id": 2, "description": "c", "group_id": 9}], "groups": [{"id": 9, "name": "Billing"}], "next_page": None}
    pages.write_text(json.dumps(first) + "\n" + json.dumps(last) + "\n", encoding="utf-8")
    assert detect_source(pages).label == "Zendesk JSON Lines export"
    frame = read_tickets(pages).frame  # complete: no warning
    assert frame["id"].tolist() == ["1", "2", "3"] and frame["group"].tolist() == ["", "", "Billing"]
    with pytest.raises(InputError, match="holds JSON Lines of API responses"):
        detect_source(pages, "generic")
    pages.write_text(json.dumps(last) + "\n" + json.dumps(first) + "\n", encoding="utf-8")
    with pytest.warns(TriageWarning, match=r"3 ticket\(s\) read, but more pages exist \(next_page is"):
        read_tickets(pages)


def test_freshdesk_headers_map_to_triage_fields():
    tickets = read_tickets(FIXTURES / "freshdesk_export.csv")
    assert tickets.fields == {
        "ticket_id": "Ticket ID", "text": "Description", "subject": "Subject", "created_at": "Created time", "requester": "Email",
        "status": "Status", "first_response_at": "Initial response time", "resolved_at": "Resolved time", "updated_at": "Last update time",
        "team": "Group", "customer_name": "Full name", "tags": "Tags", "satisfaction": "Satisfaction survey",
    }
    assert split_tags(tickets.frame["Tags"][0]) == ["login", "locked account"]
    assert tickets.frame["Priority"].tolist() == ["High", "Medium", "Urgent", "Low"]


def test_generic_file_uses_the_config_column_mapping(tmp_path):
    from triage.config import load_config

    config = load_config(FIXTURES / "generic_mapped.toml")
    tickets = read_tickets(FIXTURES / "generic_mapped.csv", columns=config.columns, require_text=True)
    assert {k: tickets.fields[k] for k in ("ticket_id", "created_at", "text", "customer_tier", "requester")} == dict(config.columns)
    parquet = tmp_path / "generic.parquet"
    tickets.frame.to_parquet(parquet)
    assert detect_source(parquet).label.startswith("generic Parquet")
    assert read_tickets(parquet, columns=config.columns).frame["Case"].tolist() == ["C-0001", "C-0002"]


def test_flat_json_lines_are_generic_and_zendesk_ones_are_not(tmp_path):
    flat = tmp_path / "flat.jsonl"
    flat.write_text('{"ticket_id": "A1", "text": "hello"}\n', encoding="utf-8")
    assert detect_source(flat).system == "generic"
    assert detect_source(flat, "zendesk").system == "zendesk"  # forced: read as Zendesk tickets
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps({"ticket": {"id": 9, "subject": "One", "description": "Single ticket"}}, indent=2), encoding="utf-8")
    assert detect_source(pretty).label == "Zendesk JSON export"
    assert read_tickets(pretty).frame[["id", "text"]].values.tolist() == [["9", "Single ticket"]]


def test_records_with_generic_helpdesk_keys_are_not_read_as_zendesk(tmp_path):
    # Freshdesk's API and in-house tools also have requester_id, group_id, assignee_id, custom_fields;
    # read as Zendesk, their text column (here "message") and extra fields would be dropped.
    lines = tmp_path / "other_tool.jsonl"
    lines.write_text(
        '{"id": 11, "requester_id": 5, "group_id": 7, "assignee_id": 3, "custom_fields": [], "message": "Our site is down", '
        '"customer_tier": "enterprise"}\n',
        encoding="utf-8",
    )
    assert detect_source(lines).system == "generic"
    opened = read_tickets(lines)
    assert opened.frame["message"].tolist() == ["Our site is down"] and "customer_tier" in opened.frame.columns
    freshdesk_api = tmp_path / "freshdesk_api.json"
    freshdesk_api.write_text(json.dumps([{
        "id": 20, "requester_id": 5, "responder_id": 3, "group_id": 7, "custom_fields": {}, "subject": "Refund",
        "description": "<div>Refund me</div>", "description_text": "Refund me", "fr_escalated": False, "source": 1,
    }]), encoding="utf-8")
    assert detect_source(freshdesk_api).system == "generic"
    zendesk_like = tmp_path / "zendesk_api.jsonl"  # Zendesk's own keys still tell a Zendesk ticket
    zendesk_like.write_text('{"id": 1, "via": {"channel": "email"}, "raw_subject": "Hi", "description": "Hello"}\n', encoding="utf-8")
    assert detect_source(zendesk_like).system == "zendesk"


@pytest.mark.parametrize(
    "name, source, message",
    [
        ("zendesk_tickets.json", "freshdesk", "is JSON, but Freshdesk exports are read from the CSV ticket export"),
        ("zendesk_tickets.json", "generic", "holds one JSON object (an API response such as {\"tickets\": [...]}), not one ticket per line"),
        ("generic_mapped.csv", "zendesk", "is read as a Zendesk export but has no 'Id' column; columns found: Case, Opened, Customer words, Account, Contact."),
        ("generic_mapped.csv", "freshdesk", "is read as a Freshdesk export but has no 'Ticket ID' column; columns found: Case, Opened"),
        ("generic_mapped.csv", "kayako", "--source must be one of auto, zendesk, freshdesk, generic; got 'kayako'."),
    ],
)
def test_forced_source_that_does_not_fit_says_why(name, source, message):
    with pytest.raises(InputError) as caught:
        detect_source(FIXTURES / name, source)
    assert message in str(caught.value)


def test_a_scored_zendesk_file_reads_as_a_flat_table(tmp_path):
    scored = tmp_path / "tickets.scored.json"  # what triage score writes for a Zendesk .json input: JSON Lines
    record = {"id": "35436", "requester_id": "20978392", "group_id": "98738", "text": "down", "priority": "Critical", "tier": 3,
              "escalate": True, "reasons": ["System down"]}
    scored.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert detect_source(scored).system == "generic"
    assert read_tickets(scored).frame.loc[0, "priority"] == "Critical"


def test_a_ticket_that_is_not_an_object_stops_with_its_position(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tickets": [{"id": 1, "description": "ok", "requester_id": 2, "group_id": 3}, "oops"]}), encoding="utf-8")
    with pytest.raises(InputError, match=r"ticket 2 of the list is a JSON str; expected a ticket object"):
        read_tickets(bad)
    lines = tmp_path / "bad.jsonl"
    lines.write_text('{"id": 1, "requester_id": 2, "via": {}}\n{"id": 2,\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"line 2 is not valid JSON"):
        read_tickets(lines)


def test_flattened_copy_lives_only_inside_the_with_block():
    with open_source(FIXTURES / "zendesk_tickets.json") as opened:
        assert opened.path.suffix == ".parquet" and opened.path.exists() and opened.rows == 4
        assert len(read_table(opened.path)) == 4
    assert not opened.path.exists()
    with open_source(FIXTURES / "freshdesk_export.csv") as opened:
        assert opened.path == FIXTURES / "freshdesk_export.csv"  # tables are read in place


@pytest.mark.parametrize(
    "value, tags",
    [("a b  c", ["a", "b", "c"]), ("billing issue, vip", ["billing issue", "vip"]), (["x", " y "], ["x", "y"]), ("", []), (None, [])],
)
def test_split_tags(value, tags):
    assert split_tags(value) == tags


def test_real_exports_are_read_whole(shared_data):
    synthetic = read_tickets(shared_data / "helpdesk_export_synthetic" / "customer_support_tickets.csv", require_text=True)
    assert synthetic.kind.system == "generic" and len(synthetic.frame) == 8469
    assert {k: synthetic.fields[k] for k in ("ticket_id", "subject", "text", "status", "satisfaction", "requester")} == {
        "ticket_id": "Ticket ID", "subject": "Ticket Subject", "text": "Ticket Description", "status": "Ticket Status",
        "satisfaction": "Customer Satisfaction Rating", "requester": "Customer Email",
    }
    sample = read_tickets(Path(__file__).parents[1] / "data" / "sample_tickets.csv", require_text=True)
    assert sample.kind.system == "generic" and len(sample.frame) == 300 and sample.fields["text"] == "body"


@pytest.mark.slow
def test_cli_scores_helpdesk_exports_and_writes_back(engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("triage.engine.load", lambda path=None, config=None: engine)
    source = FIXTURES / "zendesk_tickets.json"
    out = tmp_path / "updates.jsonl"
    assert main(["score", str(source), "-o", str(out), "--format", "zendesk", "--no-progress", "--as-of", "2026-11-03T12:00:00Z"]) == 0
    captured = capsys.readouterr()
    assert f"triage: read '{source}' as Zendesk JSON export, 4 ticket(s)" in captured.err
    assert "rows read     4" in captured.out and "rows written  3 -> " in captured.out
    escalated, share = re.search(r"escalate +(\d+) \((\d+)%\)", captured.out).groups()
    assert int(share) == round(100 * int(escalated) / 4)  # a share of the rows scored, not of the updates written
    # Ticket 35438 is closed: Zendesk cannot update it.
    assert ("write-back    zendesk bulk update of 3 ticket(s) in 1 request(s) of at most 100; "
            "1 closed ticket(s) skipped (Zendesk does not update closed tickets)") in captured.out
    (line,) = out.read_text(encoding="utf-8").splitlines()
    updates = json.loads(line)["tickets"]
    assert [u["id"] for u in updates] == [35436, 35437, 35439]
    assert updates[1]["priority"] in ("high", "urgent") and "triage_legal" in updates[1]["additional_tags"]
    assert updates[1]["comment"]["public"] is False and "Legal threat" in updates[1]["comment"]["body"]
    assert all(f"triage_tier_{u['additional_tags'][0][-1]}" not in u["remove_tags"] for u in updates)
    back = read_tickets(out)  # the write-back reads back through the Zendesk adapter
    assert back.frame["id"].tolist() == ["35436", "35437", "35439"]
    assert [split_tags(t) for t in back.frame["tags"]] == [u["additional_tags"] for u in updates]

    scored = tmp_path / "fresh.scored.csv"
    assert main(["score", str(FIXTURES / "freshdesk_export.csv"), "-o", str(scored), "--source", "freshdesk", "-q"]) == 0
    table = read_table(scored)
    assert table["Ticket ID"].tolist() == ["501", "502", "503", "504"] and "Satisfaction survey" in table.columns
    assert table.loc[2, "priority"] == "Critical"  # the data breach

    assert main(["explain", "35437", str(source)]) == 0
    assert "legal" in capsys.readouterr().out

    def no_model(*args, **kwargs):
        raise AssertionError("the ids are checked before the model loads")

    monkeypatch.setattr("triage.engine.load", no_model)
    assert main(["score", str(Path(__file__).parents[1] / "data" / "sample_tickets.csv"), "-o", str(tmp_path / "x.jsonl"), "--format", "zendesk"]) == 2
    err = capsys.readouterr().err
    assert "Helpdesk ticket ids are whole numbers; row 1 has 'TK-19271'" in err
    assert not (tmp_path / "x.jsonl").exists() and not list(tmp_path.glob(".x.jsonl.*"))
    assert pd.read_csv(scored, dtype=str).shape[0] == 4


@pytest.mark.slow
def test_a_ticket_reopened_twice_is_scored_as_a_third_contact(engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("triage.engine.load", lambda path=None, config=None: engine)
    export = tmp_path / "zendesk.csv"
    export.write_text(
        "Id,Subject,Requester,Via,Solved at,Reopens\n"
        "1,How do I change the invoice address on my account?,a@example.com,Mail,,2\n"
        "2,How do I change the invoice address on my account?,b@example.com,Mail,,0\n",
        encoding="utf-8",
    )
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(export), "-o", str(out), "-q"]) == 0
    assert capsys.readouterr().err.startswith(f"triage: warning: '{export}' has no description or comment column")  # even with -q
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["contact_count"] for r in rows] == ["3", "1"]
    assert "repeat_contact" in rows[0]["rules_fired"] and "repeat_contact" not in rows[1]["rules_fired"]


def test_an_empty_file_is_said_to_hold_no_tickets(tmp_path):
    empty = tmp_path / "scored.jsonl"  # what scoring an empty JSON input writes
    empty.write_text("", encoding="utf-8")
    with pytest.raises(InputError, match="holds no tickets: the file is empty"):
        read_tickets(empty)


@pytest.mark.slow
def test_messages_name_the_users_file_not_the_converted_copy(engine, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("triage.engine.load", lambda path=None, config=None: engine)
    source = tmp_path / "no_tickets.json"
    source.write_text('{"tickets": [], "next_page": null, "count": 0}', encoding="utf-8")
    assert main(["score", str(source), "-o", str(tmp_path / "out.csv"), "--no-progress"]) == 0
    captured = capsys.readouterr()
    assert f"'{source}' holds no tickets; the output has none either." in captured.err
    assert "triage-source-" not in captured.err + captured.out
