import math
from dataclasses import replace

import pytest

from triage.config import Config, Thresholds
from triage.keywords import KeywordHit
from triage.policy import RULES, TicketSignals, apply_policy

CONFIG = Config()


def signals(**changes) -> TicketSignals:
    base = TicketSignals(
        text="Where can I download my invoice for May?",
        word_count=8,
        sentiment=0.0,
        sentiment_label="neutral",
        hits=(),
        contact_count=1.0,
        customer_tier="Standard",
        vip=False,
        ltv=500.0,
        revenue_impact=0.0,
    )
    return replace(base, **changes)


def hit(category: str, text: str = "word") -> KeywordHit:
    return KeywordHit(category, text, 0, len(text), 1)


def decide(t: TicketSignals, priority: str = "Low", tier: int = 1, config: Config = CONFIG):
    return apply_policy(t, priority, tier, config)


def test_rules_are_named_functions():
    assert [r.__name__ for r in RULES] == [
        "empty_text",
        "too_short_to_judge",
        "unsupported_language",
        "legal_threat",
        "media_threat",
        "regulatory_threat",
        "security_incident",
        "system_down",
        "angry_customer",
        "sla_at_risk",
        "repeat_contact",
        "vip_fast_track",
        "revenue_at_risk",
        "billing_dispute",
        "bug_report",
        "manual_criteria",
        "model_unsure",
    ]


def test_no_rule_fires_on_a_plain_question():
    outcome = decide(signals(), "Medium", 2)
    assert (outcome.priority, outcome.tier, outcome.escalate, outcome.flags, outcome.reasons) == ("Medium", 2, False, (), ())


@pytest.mark.parametrize("category", ["legal", "media", "regulatory"])
def test_threats_go_to_management_at_least_high(category):
    outcome = decide(signals(hits=(hit(category, "my lawyer"),)), "Low", 1)
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("High", 4, True)
    assert category in outcome.flags
    assert "'my lawyer' (sentence 1)" in outcome.reasons[0]


def test_threat_floor_does_not_lower_a_critical_proposal():
    assert decide(signals(hits=(hit("legal"),)), "Critical", 2).priority == "Critical"


def test_two_legal_phrases_raise_no_more_than_one():
    one = decide(signals(hits=(hit("legal"),)), "Medium", 2)
    two = decide(signals(hits=(hit("legal"), hit("legal", "attorney"))), "Medium", 2)
    assert (one.priority, one.tier) == (two.priority, two.tier) == ("High", 4)


@pytest.mark.parametrize("category, flag", [("security", "security"), ("outage", "outage")])
def test_security_breach_and_system_down_are_critical(category, flag):
    outcome = decide(signals(hits=(hit(category),)), "Low", 1)
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("Critical", 3, True)
    assert flag in outcome.flags


@pytest.mark.parametrize(
    "sentiment, fires", [(-0.71, True), (-0.7, False), (-0.69, False), (-1.0, True), (0.5, False)]
)
def test_angry_sentiment_threshold_is_strictly_below(sentiment, fires):
    outcome = decide(signals(sentiment=sentiment), "Medium", 2)
    assert (outcome.priority == "High") is fires
    assert outcome.escalate is fires
    assert ("needs_review" in outcome.flags) is fires


def test_frustration_words_bump_one_level_even_with_calm_sentiment():
    outcome = decide(signals(hits=(hit("frustration", "unacceptable"),)), "High", 2)
    assert outcome.priority == "Critical"
    assert "frustration" in outcome.flags


def test_bump_stops_at_critical():
    assert decide(signals(sentiment=-0.9), "Critical", 2).priority == "Critical"


@pytest.mark.parametrize("count, tier, escalate", [(1, 2, False), (2, 2, False), (3, 3, True), (4, 3, True), (math.nan, 2, False)])
def test_third_or_later_contact_goes_one_tier_up(count, tier, escalate):
    outcome = decide(signals(contact_count=count), "Medium", 2)
    assert (outcome.tier, outcome.escalate) == (tier, escalate)


def test_repeat_contact_tier_stops_at_four():
    assert decide(signals(contact_count=5), "Medium", 4).tier == 4


@pytest.mark.parametrize("ltv, fires", [(10_000.0, False), (10_000.01, True), (9_999.0, False), (math.nan, False)])
def test_vip_by_lifetime_value_is_strictly_above_threshold(ltv, fires):
    outcome = decide(signals(ltv=ltv), "Low", 1)
    assert (outcome.priority, outcome.tier, outcome.escalate) == (("High", 2, True) if fires else ("Low", 1, False))


def test_vip_by_customer_tier():
    outcome = decide(signals(vip=True, customer_tier="Enterprise"), "Medium", 1)
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("High", 2, True)
    assert "customer tier Enterprise" in outcome.reasons[0]


@pytest.mark.parametrize("impact, fires", [(1_000.0, False), (1_000.5, True), (250_000.0, True), (math.nan, False)])
def test_revenue_impact_strictly_above_threshold(impact, fires):
    outcome = decide(signals(revenue_impact=impact), "Low", 1)
    assert (outcome.priority, outcome.tier, outcome.escalate) == (("High", 2, True) if fires else ("Low", 1, False))


def test_thresholds_come_from_config():
    config = Config(thresholds=Thresholds(vip_ltv=100.0, repeat_contact=2))
    outcome = decide(signals(ltv=500.0, contact_count=2), "Low", 1, config)
    assert (outcome.priority, outcome.tier) == ("High", 2)
    assert "above $100" in outcome.reasons[1] or "above $100" in outcome.reasons[0]


def test_empty_text_is_low_frontline_with_a_flag():
    outcome = decide(signals(text="  ", word_count=0), "High", 3)
    assert (outcome.priority, outcome.tier, outcome.flags) == ("Low", 1, ("empty_text", "needs_review"))
    assert outcome.needs_review  # "kept at Low for a person to look at": it goes to the review queue


def test_empty_text_of_a_vip_still_gets_the_fast_track():
    outcome = decide(signals(text="", word_count=0, vip=True), "High", 3)
    assert (outcome.priority, outcome.tier) == ("High", 2)


@pytest.mark.parametrize("words, capped", [(1, True), (2, True), (3, False)])
def test_too_short_texts_stay_low(words, capped):
    outcome = decide(signals(text="word " * words, word_count=words), "High", 2)
    assert (outcome.priority == "Low") is capped


def test_short_text_with_an_alarm_word_is_not_capped():
    outcome = decide(signals(text="LAWSUIT", word_count=1, hits=(hit("legal", "LAWSUIT"),)), "Medium", 2)
    assert outcome.priority == "High"


def test_negative_billing_complaint_goes_to_specialists():
    calm = decide(signals(hits=(hit("billing", "invoice"),)), "Low", 1)
    upset = decide(signals(hits=(hit("billing", "charging"),), sentiment=-0.5, sentiment_label="negative"), "Low", 1)
    assert calm.tier == 1 and upset.tier == 2 and not upset.escalate


def test_bug_report_goes_to_engineering_without_escalating():
    outcome = decide(signals(hits=(hit("bug", "error 500"),)), "Medium", 2)
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("Medium", 3, False)


@pytest.mark.parametrize("category", ["manager_request", "policy_exception", "cross_department", "pr_risk"])
def test_manual_criteria_are_flagged_for_a_person_without_changing_the_decision(category):
    outcome = decide(signals(hits=(hit(category, "speak to a manager"),)), "Medium", 2)
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("Medium", 2, False)
    assert outcome.flags == (category, "needs_review")
    assert outcome.actions == ("add internal note",)
    assert outcome.reasons[0].startswith("For a person to confirm: ")


@pytest.mark.parametrize("confidence, unsure", [(0.39, True), (0.40, False), (0.9, False)])
def test_review_band_flags_unsure_model_proposals(confidence, unsure):
    outcome = decide(signals(model_confidence=confidence), "Medium", 2)
    assert outcome.needs_review is unsure
    assert (outcome.priority, outcome.tier, outcome.escalate) == ("Medium", 2, False)
    if unsure:
        assert outcome.reasons == (
            "The classifier is unsure (confidence 39%, review band below 40%): a person should check priority and tier.",
        )


def test_review_band_comes_from_config():
    assert decide(signals(model_confidence=0.6), config=Config(min_confidence=0.7)).needs_review
    assert not decide(signals(model_confidence=0.01), config=Config(min_confidence=0.0)).needs_review


@pytest.mark.parametrize(
    "changes, actions",
    [
        ({"hits": (hit("legal"),)}, ("notify manager", "add internal note")),
        ({"hits": (hit("security"),)}, ("notify manager", "assign senior agent", "add internal note")),
        ({"sentiment": -0.9}, ("alert team lead",)),
        ({"contact_count": 3.0}, ("alert team lead", "add internal note")),
        ({"vip": True}, ("assign senior agent", "notify account manager")),
        ({"revenue_impact": 5000.0}, ("notify manager", "notify account manager")),
        ({"hits": (hit("bug"),)}, ()),
        ({}, ()),
    ],
)
def test_each_decision_names_its_actions(changes, actions):
    assert decide(signals(**changes), "Medium", 2).actions == actions


def test_actions_of_several_rules_are_merged_in_a_fixed_order():
    outcome = decide(signals(vip=True, sentiment=-0.9, hits=(hit("legal"),)), "Medium", 2)
    assert outcome.actions == ("notify manager", "alert team lead", "assign senior agent", "notify account manager", "add internal note")
    assert outcome.rules_fired == ("legal_threat", "angry_customer", "vip_fast_track")


def test_rules_that_change_the_proposal_on_their_own_are_named():
    outcome = decide(signals(vip=True, hits=(hit("legal"), hit("bug"))), "High", 3)
    # VIP (at least High, tier 2) and bug (tier 3) ask for nothing the classifier did not propose.
    assert outcome.rules_fired == ("legal_threat", "vip_fast_track", "bug_report")
    assert outcome.rules_overriding == ("legal_threat",)


def test_evidence_names_each_phrase_once_however_often_it_repeats():
    # A 100,000-character ticket repeating a word must not give a reason of the same length.
    hits = [KeywordHit("billing", "invoices", 0, 8, n) for n in range(1, 1448)]
    hits += [KeywordHit("billing", "refund", 0, 6, 4)] + [KeywordHit("billing", f"charge{i}", 0, 7, 9) for i in range(6)]
    t = signals(hits=tuple(hits))
    assert t.evidence("billing") == (
        "'invoices' (sentences 1, 2, 3 and 1,444 more), 'refund' (sentence 4), 'charge0' (sentence 9), "
        "'charge1' (sentence 9), 'charge2' (sentence 9), and 3 more"
    )
    assert signals(hits=(hit("legal", "lawyer"),)).evidence("legal") == "'lawyer' (sentence 1)"
