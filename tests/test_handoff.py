import pytest

from triage.config import load_config
from triage.handoff import HandoffWriter, build_handoff, expectations, mood, safe_filename, summarise

CONFIG = load_config()
FIELDS = {"ticket_id": "id", "text": "body", "subject": "subject", "customer_name": "name", "customer_tier": "plan", "created_at": "created"}


def scored_row(**changes):
    row = {
        "id": "T-9",
        "subject": "Charged twice",
        "body": "Hello team,\nI was charged twice for May. I tried the refund form but it failed. "
        "Please refund the second charge by Friday. Reach me at jo@example.com or +44 20 7946 0958.",
        "name": "Jo Bloggs",
        "plan": "Enterprise",
        "created": "2026-11-02T09:00Z",
        "priority": "High",
        "tier": 2,
        "escalate": True,
        "sentiment": -0.5,
        "categories": ["billing", "vip"],
        "reasons": ["Classifier proposed Medium priority (55%) and tier 2 (80%); main signals: 'charged'.", "VIP fast-track (customer tier Enterprise) -> priority at least High."],
        "actions": ["assign senior agent", "notify account manager"],
        "rules_fired": ["vip_fast_track", "billing_dispute"],
    }
    row.update(changes)
    return row


def test_handoff_holds_the_fields_the_spec_lists():
    handoff = build_handoff(scored_row(), FIELDS, CONFIG, "2026-11-03 10:00 UTC")
    assert handoff.ticket_id == "T-9"
    assert handoff.customer == "Jo Bloggs (Enterprise)" and handoff.first_name == "Jo"
    assert (handoff.priority, handoff.tier, handoff.tier_name) == ("High", 2, "specialist")
    assert handoff.reason_categories == ("VIP customer",)
    assert handoff.summary == "Charged twice. I was charged twice for May. I tried the refund form but it failed."
    assert handoff.timeline == (
        ("2026-11-02T09:00Z", "ticket created (first contact)"),
        ("2026-11-03 10:00 UTC", "escalated by triage to tier 2 (vip_fast_track, billing_dispute)"),
    )
    assert handoff.tried == ("I tried the refund form but it failed. (from the customer's message)",)
    assert handoff.expects == ("Please refund the second charge by Friday.",)
    assert handoff.mood == "frustrated"
    assert handoff.next_steps[0] == "Review the charges and invoices on the account and confirm whether a refund is due."
    assert handoff.next_steps[-1] == "Send the first reply within 1 hour and resolve within 8 hours (High targets)."


def test_document_masks_personal_data_by_default_and_can_keep_it():
    writer = HandoffWriter()
    masked = writer.document(build_handoff(scored_row(), FIELDS, CONFIG, "now"))
    assert "jo@example.com" not in masked and "[email address]" not in masked  # that sentence is not quoted
    row = scored_row(body="My email is jo@example.com, please call 020 7946 0958 about the double charge.")
    masked = writer.document(build_handoff(row, FIELDS, CONFIG, "now"))
    assert "jo@example.com" not in masked and "[email address]" in masked and "[phone number]" in masked
    kept = writer.document(build_handoff(row, FIELDS, CONFIG, "now", mask=False))
    assert "jo@example.com" in kept


def test_document_sections_and_messages():
    text = HandoffWriter().document(build_handoff(scored_row(), FIELDS, CONFIG, "now"))
    for heading in ("# Hand-off: ticket T-9", "## Issue", "## Why it was escalated", "## Timeline", "## What has been tried",
                    "## What the customer expects", "## Recommended next steps", "### Acknowledgement to the customer",
                    "### Internal hand-off note", "### Follow-up after resolution"):
        assert heading in text
    assert "Your case T-9 is now with our specialist team, who specialise in complex technical, account and billing questions." in text
    assert "You will hear from them within 1 hour." in text
    assert "Ticket T-9 -> tier 2 (specialist), High priority, first response due within 1 hour." in text


def test_team_templates_replace_the_built_in_ones(tmp_path):
    (tmp_path / "acknowledgement.txt.j2").write_text("Hi {{ h.first_name }}, case {{ h.ticket_id }} is with {{ h.tier_name }}.", encoding="utf-8")
    messages = HandoffWriter(tmp_path).messages(build_handoff(scored_row(), FIELDS, CONFIG, "now"))
    assert messages["acknowledgement"] == "Hi Jo, case T-9 is with specialist."
    assert messages["internal_note"].startswith("Ticket T-9 -> tier 2")


@pytest.mark.parametrize(
    "categories, sentiment, expected",
    [(["legal"], 0.2, "threatening"), ([], -0.9, "angry"), (["frustration"], 0.0, "frustrated"), ([], -0.3, "frustrated"), ([], 0.1, "calm")],
)
def test_mood_scale(categories, sentiment, expected):
    assert mood(categories, sentiment, -0.7) == expected


def test_summary_skips_greetings_and_shortens():
    assert summarise("Dear Customer Support,\nThe app crashes. It started Monday. It loses data. Fourth one.") == "The app crashes. It started Monday. It loses data."
    assert summarise("") == "(no text)"
    assert summarise("x" * 300, width=20) == "x" * 17 + "..."


def test_expectations_fall_back_when_nothing_is_asked():
    assert expectations("The site is slow.", []) == ["A clear answer and a time for the next update (the text names no explicit request)."]


def test_safe_filenames_are_unique():
    taken: set[str] = set()
    assert [safe_filename(t, taken) for t in ("A/1", "A/1", "..", "ok-2")] == ["A_1.md", "A_1_2.md", "ticket.md", "ok-2.md"]
