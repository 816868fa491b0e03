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


# Plain reports of a fault: problem words ("fails", "error", "timeout", "crash") are not anger.
CALM_FAULT_REPORTS = [
    "The invoice PDF download returns a blank page in Safari.",
    "The mobile app crashes on launch after the latest update on Android 14.",
    "Importing a CSV with semicolons as separators puts everything in one column.",
    "The API returns 401 unauthorized even with a freshly generated token.",
    "I cannot attach images larger than 5 MB to a message; the upload times out.",
    "The printer driver fails to install: error 0x80070005 access denied.",
    "Nightly backup job failed with exit code 137 (out of memory) on the reporting server.",
    "The app logs me out every few minutes on the tablet.",
]
ANGRY_WITHOUT_KEYWORDS = [
    "I have written to you five times and nobody has bothered to answer.",
    "You charged me twice and now you ignore me. I want my money back today.",
    "Nobody at your company seems to care that I lost a week of work because of your bug.",
]


@pytest.fixture(scope="module", params=["default", "fast"])
def shipped(request, engine):
    """Each shipped model: the default, and the fast one distilled from it, must read customers alike."""
    import triage

    return engine if request.param == "default" else triage.load(request.param)


@pytest.mark.parametrize("text", CALM_FAULT_REPORTS)
def test_a_calm_fault_report_is_not_an_angry_customer(shipped, text):
    result = shipped.score_ticket({"ticket_id": "F", "text": text})
    assert result.sentiment >= shipped.config.thresholds.angry_sentiment, result.sentiment
    assert "angry_customer" not in result.rules_fired


@pytest.mark.parametrize("text", ANGRY_WITHOUT_KEYWORDS)
def test_anger_without_frustration_words_still_reads_angry(shipped, text):
    result = shipped.score_ticket({"ticket_id": "A", "text": text})
    assert result.sentiment < shipped.config.thresholds.angry_sentiment and "angry_customer" in result.rules_fired


# What the fast model is known to get wrong, and why (strict: it fails the run once it reads right,
# so this list is kept honest).
FAST_MODEL_MISSES = {
    "Still broken😡😡": "the distilled encoder puts this at 0.49 negative, 0.50 neutral; the default at 0.81 negative",
}


@pytest.mark.parametrize("text", NEGATIVE)
def test_complaints_read_negative_however_they_are_phrased(shipped, text, request):
    if request.node.callspec.params["shipped"] == "fast" and text in FAST_MODEL_MISSES:
        request.applymarker(pytest.mark.xfail(reason=FAST_MODEL_MISSES[text], strict=True))
    assert shipped.score_ticket({"text": text}).sentiment_label == "negative"


@pytest.mark.parametrize("text", NOT_NEGATIVE)
def test_negated_complaints_and_thanks_do_not_read_negative(shipped, text):
    assert shipped.score_ticket({"text": text}).sentiment_label != "negative"


def test_an_angry_last_paragraph_of_a_very_long_ticket_counts(shipped):
    log = "\n".join(f"INFO sync ok item={i:05d} duration=12ms" for i in range(2700))
    ending = "\n\nI have now waited three weeks for a fix. This is unacceptable and I am furious with your support."
    text = f"Nightly sync log attached below.\n{log}{ending}"
    assert len(text) > 100_000
    result = shipped.score_ticket({"ticket_id": "LONG-1", "text": text})
    assert result.sentiment_label == "negative" and result.sentiment < -0.5
    calm = shipped.score_ticket({"ticket_id": "LONG-2", "text": f"Nightly sync log attached below.\n{log}"})
    assert calm.sentiment_label != "negative"


def test_empty_text_is_neutral_with_a_flag(engine):
    result = engine.score_ticket({"ticket_id": "E", "text": "   "})
    assert (result.sentiment, result.sentiment_label) == (0.0, "neutral") and "empty_text" in result.categories


def test_emoji_are_spelled_out_for_the_encoder():
    assert readable_symbols("Still broken😡") == "Still broken pouting face"
    assert readable_symbols("Thanks 👍🏽") == "Thanks thumbs up sign"  # the skin tone only changes the drawing
    assert readable_symbols("café, naïve") == "café, naïve"
