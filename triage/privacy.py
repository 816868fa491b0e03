"""Mask personal data (e-mail addresses, phone numbers, payment card numbers) in text meant for people.

Hand-off documents travel further than the ticket: into chat, e-mail and other teams' tools. Card
numbers are masked only when their digits pass the Luhn check, so order numbers and dates survive.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"\b[\w.%+-]+@[\w-]+(\.[\w-]+)+\b")
_CARD = re.compile(r"(?<![\d-])(?:\d[ -]?){12,18}\d(?![\d-])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")  # dates and clock times are not phone numbers
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{2,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){1,4}(?![\w])")


def _luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_card(match: re.Match) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card number]" if 13 <= len(digits) <= 19 and _luhn_valid(digits) else match.group(0)


def _mask_phone(match: re.Match) -> str:
    text = match.group(0)
    digits = re.sub(r"\D", "", text)
    # Phone numbers have 7 to 15 digits and some separator or a leading +; "2024-06-07" is a date.
    if not 7 <= len(digits) <= 15 or _DATE.search(text):
        return text
    return "[phone number]"


def mask_personal_data(text: str) -> str:
    """Replace e-mail addresses, card numbers and phone numbers with placeholders."""
    text = _EMAIL.sub("[email address]", text)
    text = _CARD.sub(_mask_card, text)
    return _PHONE.sub(_mask_phone, text)
