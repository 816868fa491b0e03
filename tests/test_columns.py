import math
import warnings

import pandas as pd
import pytest

from triage.columns import parse_count, parse_flag, parse_money, prepare, resolve_columns, ticket_id_text, warn_duplicate_ids
from triage.errors import InputError, MissingColumnError, TriageWarning


def test_common_export_names_are_recognised():
    found = resolve_columns(["Ticket ID", "Ticket Subject", "Ticket Description", "Customer Tier", "LTV", "Created"])
    assert found == {
        "ticket_id": "Ticket ID",
        "subject": "Ticket Subject",
        "text": "Ticket Description",
        "customer_tier": "Customer Tier",
        "ltv": "LTV",
        "created_at": "Created",
    }


def test_byte_order_mark_in_header_is_ignored():
    assert resolve_columns(["\ufeffticket_id", "description"])["ticket_id"] == "\ufeffticket_id"


def test_user_mapping_wins_over_detection():
    found = resolve_columns(["text", "Case Body", "Case"], {"text": "Case Body", "ticket_id": "Case"})
    assert found["text"] == "Case Body" and found["ticket_id"] == "Case"


def test_missing_text_column_names_accepted_names_and_columns_found():
    with pytest.raises(MissingColumnError) as caught:
        resolve_columns(["id", "subject", "body_html"])
    message = str(caught.value)
    assert message.startswith("Missing text/description column: none of the accepted names (text, description_text, description")
    assert "columns found (id, subject, body_html)" in message
    assert "--column text=YOUR_COLUMN" in message


def test_mapping_to_an_absent_column_is_an_error():
    with pytest.raises(MissingColumnError, match="Missing column 'Body', mapped to 'text'; columns found: a, b."):
        resolve_columns(["a", "b"], {"text": "Body"})


def test_mapping_an_unknown_field_is_an_error():
    with pytest.raises(InputError, match="unknown field"):
        resolve_columns(["text"], {"colour": "text"})


@pytest.mark.parametrize(
    "raw, expected",
    [("$250,000.00", 250000.0), ("1,200.00", 1200.0), (" 99 ", 99.0), ("1.5k", 1500.0), ("USD 20", 20.0), (3, 3.0), ("(500)", -500.0)],
)
def test_money_as_exports_write_it(raw, expected):
    assert parse_money(raw) == expected


@pytest.mark.parametrize("raw", ["", None, float("nan")])
def test_blank_money_is_unknown(raw):
    assert math.isnan(parse_money(raw))


@pytest.mark.parametrize("raw", ["lots", "12abc"])
def test_unreadable_money_raises(raw):
    with pytest.raises(ValueError):
        parse_money(raw)


def test_counts_accept_floats_written_by_exports():
    assert parse_count("3.0") == 3.0 and parse_count(2) == 2.0 and math.isnan(parse_count(""))
    with pytest.raises(ValueError):
        parse_count("2.5")
    with pytest.raises(ValueError):
        parse_count("-1")


@pytest.mark.parametrize("raw, expected", [("Yes", True), ("TRUE", True), ("1", True), ("no", False), ("0", False), (None, None), (True, True)])
def test_flags(raw, expected):
    assert parse_flag(raw) is expected


def test_ids_stay_strings_as_written():
    assert ticket_id_text("00123") == "00123"
    assert ticket_id_text(1001) == "1001"
    assert ticket_id_text(1001.0) == "1001"
    assert ticket_id_text("1e3") == "1e3"


def test_unreadable_values_are_reported_with_the_ticket_id_and_kept():
    frame = pd.DataFrame({"ticket_id": ["A-1", "A-2"], "text": ["x", "y"], "ltv": ["lots", "$5"]})
    with pytest.warns(TriageWarning, match=r"Ticket A-1: ltv value 'lots' is not an amount; treated as unknown\."):
        tickets = prepare(frame, resolve_columns(list(frame.columns)))
    assert math.isnan(tickets.ltv[0]) and tickets.ltv[1] == 5.0
    assert tickets.problems == [["ltv 'lots' is not an amount; treated as unknown"], []]


def test_duplicate_ids_are_named():
    with pytest.warns(TriageWarning, match=r"1 duplicate ticket id\(s\): 1001\."):
        warn_duplicate_ids(["1001", "1001", "7"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_duplicate_ids(["1", "2", ""])


def test_reopens_is_a_record_not_a_contact_count():
    # Reopened twice is the third contact: the adapters write contact_count = reopens + 1, so the
    # reopen count itself never stands in for a contact count.
    assert "contact_count" not in resolve_columns(["text", "Reopens"])
    found = resolve_columns(["text", "Reopens", "initial_group", "Start tier"], require_text=False, records=True)
    assert (found["reopens"], found["initial_team"], found["initial_tier"]) == ("Reopens", "initial_group", "Start tier")
