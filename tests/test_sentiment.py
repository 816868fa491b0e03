"""Sentiment as customers write it, on the shipped model, through the scoring path."""

import pytest

from triage.encoder import readable_symbols

pytestmark = pytest.mark.slow

NEGATIVE = [
    "I'm not angry, just disappointed that nobody called me back.",
    "Great, another outage. Just what I needed.",
    "Kindly stop charging my card, I cancelled two months ago.",
    "Still broken😡😡",
    "THIS IS THE THIRD TIME I ASK. FIX MY ACCOUNT NOW.",
]
NOT_NEGATIVE = [
    "Not bad at all, the new version works.",
    "No problems or complaints since the update, thanks.",
    "Thank you, I'm a happy client💓💓 ❤️",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_complaints_read_negative_however_they_are_phrased(engine, text):
    assert engine.score_ticket({"text": text}).sentiment_label == "negative"


@pytest.mark.parametrize("text", NOT_NEGATIVE)
def test_negated_complaints_and_thanks_do_not_read_negative(engine, text):
    assert engine.score_ticket({"text": text}).sentiment_label != "negative"


def test_an_angry_last_paragraph_of_a_very_long_ticket_counts(engine):
    log = "\n".join(f"INFO sync ok item={i:05d} duration=12ms" for i in range(2700))
    ending = "\n\nI have now waited three weeks for a fix. This is unacceptable and I am furious with your support."
    text = f"Nightly sync log attached below.\n{log}{ending}"
    assert len(text) > 100_000
    result = engine.score_ticket({"ticket_id": "LONG-1", "text": text})
    assert result.sentiment_label == "negative" and result.sentiment < -0.5
    calm = engine.score_ticket({"ticket_id": "LONG-2", "text": f"Nightly sync log attached below.\n{log}"})
    assert calm.sentiment_label != "negative"


def test_empty_text_is_neutral_with_a_flag(engine):
    result = engine.score_ticket({"ticket_id": "E", "text": "   "})
    assert (result.sentiment, result.sentiment_label) == (0.0, "neutral") and "empty_text" in result.categories


def test_emoji_are_spelled_out_for_the_encoder():
    assert readable_symbols("Still broken😡") == "Still broken pouting face"
    assert readable_symbols("Thanks 👍🏽") == "Thanks thumbs up sign"  # the skin tone only changes the drawing
    assert readable_symbols("café, naïve") == "café, naïve"
