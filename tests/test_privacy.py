import pytest

from triage.privacy import mask_personal_data


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mail me at jane.doe+x@example.co.uk today", "Mail me at [email address] today"),
        ("call +1 (555) 123-4567 after six", "call [phone number] after six"),
        ("my number is 020 7946 0958", "my number is [phone number]"),
        ("card 4111 1111 1111 1111 was charged", "card [card number] was charged"),
        ("card 4111-1111-1111-1111", "card [card number]"),
    ],
)
def test_personal_data_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123 is late",  # 13 digits that fail the Luhn check: not a card
        "since 2024-06-07 nothing works",
        "error 500 in version 2.3.1, ticket 1001",
        "export fails above 10,000 rows",
    ],
)
def test_ordinary_numbers_are_kept(text):
    assert mask_personal_data(text) == text


def test_timestamps_are_not_phone_numbers():
    text = "due 2026-11-30 16:00 UTC, created 2026-11-30T08:00:00Z"
    assert mask_personal_data(text) == text
