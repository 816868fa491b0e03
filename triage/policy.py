"""The escalation policy: named rules applied over the classifier's proposal.

Each rule is a pure function of one ticket's signals that either abstains (returns None) or returns
a Decision: a floor or a bump on priority and tier, whether the ticket escalates, flags, and the
reason it contributes. Rules only ever raise urgency, except the two that replace the model's guess
for texts too short to judge. Defaults follow ../shared/spec/escalation-policy.md; every threshold
comes from the Config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from .config import PRIORITIES, Config
from .keywords import KeywordHit


@dataclass(frozen=True)
class TicketSignals:
    """What the rules may look at for one ticket."""

    text: str
    word_count: int
    sentiment: float
    sentiment_label: str
    hits: tuple[KeywordHit, ...]
    contact_count: float
    customer_tier: str
    vip: bool
    ltv: float
    revenue_impact: float
    model_confidence: float = 1.0
    sla: Any = None  # a triage.clocks.SlaStatus when the export gives a creation time
    language: str = "en"
    language_supported: bool = True

    @property
    def categories(self) -> set[str]:
        return {hit.category for hit in self.hits}

    def evidence(self, category: str) -> str:
        """The words that matched ``category`` and where: each phrase once, with the sentences it
        stands in, so a long ticket repeating a word gives a short reason."""
        sentences: dict[str, list[int]] = {}
        for hit in self.hits:
            if hit.category == category:
                sentences.setdefault(hit.text, []).append(hit.sentence)
        named = [f"'{text}' ({_sentence_list(numbers)})" for text, numbers in list(sentences.items())[:EVIDENCE_PHRASES]]
        if len(sentences) > EVIDENCE_PHRASES:
            named.append(f"and {len(sentences) - EVIDENCE_PHRASES} more")
        return ", ".join(named)


EVIDENCE_PHRASES = 5  # phrases named in a reason
EVIDENCE_SENTENCES = 3  # sentence numbers named for each


def _sentence_list(numbers: list[int]) -> str:
    numbers = sorted(set(numbers))
    if len(numbers) == 1:
        return f"sentence {numbers[0]}"
    more = len(numbers) - EVIDENCE_SENTENCES
    return f"sentences {', '.join(map(str, numbers[:EVIDENCE_SENTENCES]))}" + (f" and {more:,} more" if more > 0 else "")


@dataclass(frozen=True)
class Decision:
    rule: str
    reason: str
    priority_floor: str | None = None
    priority_cap: str | None = None  # replaces the model's priority (only for texts too short to judge)
    priority_bump: int = 0
    tier_floor: int | None = None
    tier_cap: int | None = None  # replaces the model's tier (only for empty text)
    tier_bump: int = 0
    escalate: bool = False
    flags: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()


# What a decision asks people to do, in the words of the escalation policy.
NOTIFY_MANAGER = "notify manager"
ALERT_TEAM_LEAD = "alert team lead"
ASSIGN_SENIOR_AGENT = "assign senior agent"
NOTIFY_ACCOUNT_MANAGER = "notify account manager"
ADD_INTERNAL_NOTE = "add internal note"
ACTIONS = (NOTIFY_MANAGER, ALERT_TEAM_LEAD, ASSIGN_SENIOR_AGENT, NOTIFY_ACCOUNT_MANAGER, ADD_INTERNAL_NOTE)

Rule = Callable[[TicketSignals, Config], "Decision | None"]
RULES: list[Rule] = []


def rule(function: Rule) -> Rule:
    """Register a policy rule; rules run in the order they are defined."""
    RULES.append(function)
    return function


@rule
def empty_text(t: TicketSignals, config: Config) -> Decision | None:
    if t.text.strip():
        return None
    return Decision("empty_text", "No ticket text to read: kept at Low for a person to look at.", priority_cap="Low", tier_cap=1, flags=("empty_text", "needs_review"))


@rule
def too_short_to_judge(t: TicketSignals, config: Config) -> Decision | None:
    if not t.text.strip() or t.word_count >= config.thresholds.min_words or t.hits:
        return None
    return Decision(
        "too_short_to_judge",
        f"Only {t.word_count} word(s) of text and no alarm words: the classifier's guess is set aside (Low unless another rule raises it).",
        priority_cap="Low",
        flags=("short_text",),
    )


@rule
def unsupported_language(t: TicketSignals, config: Config) -> Decision | None:
    if t.language_supported or not t.text.strip():
        return None
    return Decision(
        "unsupported_language",
        f"Written in '{t.language}', which the sentiment model and the keyword lists do not read: "
        "sentiment is left neutral and a person should judge the ticket.",
        flags=("language_unsupported", "needs_review"),
    )


def _threat(category: str, label: str) -> Rule:
    def check(t: TicketSignals, config: Config) -> Decision | None:
        if category not in t.categories:
            return None
        return Decision(
            f"{category}_threat",
            f"{label}: {t.evidence(category)} -> tier 4 (management), priority at least High.",
            priority_floor="High",
            tier_floor=4,
            escalate=True,
            flags=(category,),
            actions=(NOTIFY_MANAGER, ADD_INTERNAL_NOTE),
        )

    check.__name__ = f"{category}_threat"
    return check


legal_threat = rule(_threat("legal", "Legal threat"))
media_threat = rule(_threat("media", "Media / public exposure threat"))
regulatory_threat = rule(_threat("regulatory", "Regulator named"))


def _incident(category: str, name: str, label: str) -> Rule:
    def check(t: TicketSignals, config: Config) -> Decision | None:
        if category not in t.categories:
            return None
        return Decision(
            name,
            f"{label}: {t.evidence(category)} -> Critical, tier 3 (senior / engineering).",
            priority_floor="Critical",
            tier_floor=3,
            escalate=True,
            flags=(category,),
            actions=(NOTIFY_MANAGER, ASSIGN_SENIOR_AGENT, ADD_INTERNAL_NOTE),
        )

    check.__name__ = name
    return check


security_incident = rule(_incident("security", "security_incident", "Security incident"))
system_down = rule(_incident("outage", "system_down", "Service down"))


@rule
def angry_customer(t: TicketSignals, config: Config) -> Decision | None:
    angry = t.sentiment < config.thresholds.angry_sentiment
    words = "frustration" in t.categories
    if not (angry or words):
        return None
    why = []
    if angry:
        why.append(f"sentiment {t.sentiment:+.2f} is below {config.thresholds.angry_sentiment:+.2f}")
    if words:
        why.append(f"frustration words {t.evidence('frustration')}")
    return Decision(
        "angry_customer",
        f"Angry customer ({'; '.join(why)}) -> priority up one level, flagged for review, team lead alerted.",
        priority_bump=1,
        escalate=True,
        flags=("needs_review",) + (("frustration",) if words else ()),
        actions=(ALERT_TEAM_LEAD,),
    )


@rule
def sla_at_risk(t: TicketSignals, config: Config) -> Decision | None:
    if t.sla is None or t.sla.resolved or not t.sla.reading.escalate:
        return None
    breached = t.sla.reading.state == "breached"
    return Decision(
        "sla_at_risk",
        f"{'Breached' if breached else 'At risk'}: {t.sla.describe()} -> escalated to tier 2 at least, manager notified, internal note added.",
        tier_floor=2,
        escalate=True,
        flags=("sla_breached" if breached else "sla_at_risk",),
        actions=(NOTIFY_MANAGER, ADD_INTERNAL_NOTE),
    )


@rule
def repeat_contact(t: TicketSignals, config: Config) -> Decision | None:
    threshold = config.thresholds.repeat_contact
    if not t.contact_count >= threshold:  # also false for unknown (nan)
        return None
    return Decision(
        "repeat_contact",
        f"Contact number {int(t.contact_count)} about this issue (threshold {threshold}) -> one tier up.",
        tier_bump=1,
        escalate=True,
        flags=("repeat_contact",),
        actions=(ALERT_TEAM_LEAD, ADD_INTERNAL_NOTE),
    )


@rule
def vip_fast_track(t: TicketSignals, config: Config) -> Decision | None:
    over_ltv = t.ltv > config.thresholds.vip_ltv
    if not (t.vip or over_ltv):
        return None
    if t.vip:
        why = f"customer tier {t.customer_tier}" if t.customer_tier else "marked VIP in the export"
    else:
        why = f"lifetime value ${t.ltv:,.0f} above ${config.thresholds.vip_ltv:,.0f}"
    return Decision(
        "vip_fast_track",
        f"VIP fast-track ({why}) -> priority at least High, senior agent, account manager notified.",
        priority_floor="High",
        tier_floor=2,
        escalate=True,
        flags=("vip",),
        actions=(ASSIGN_SENIOR_AGENT, NOTIFY_ACCOUNT_MANAGER),
    )


@rule
def revenue_at_risk(t: TicketSignals, config: Config) -> Decision | None:
    if not t.revenue_impact > config.thresholds.revenue_impact:
        return None
    return Decision(
        "revenue_at_risk",
        f"Revenue impact ${t.revenue_impact:,.0f} above ${config.thresholds.revenue_impact:,.0f} -> escalated to a specialist (tier 2 at least), priority at least High.",
        priority_floor="High",
        tier_floor=2,
        escalate=True,
        flags=("revenue_impact",),
        actions=(NOTIFY_MANAGER, NOTIFY_ACCOUNT_MANAGER),
    )


@rule
def billing_dispute(t: TicketSignals, config: Config) -> Decision | None:
    if "billing" not in t.categories or t.sentiment_label != "negative":
        return None
    return Decision(
        "billing_dispute",
        f"Billing complaint ({t.evidence('billing')}) -> tier 2 (specialist).",
        tier_floor=2,
        flags=("billing",),
    )


@rule
def bug_report(t: TicketSignals, config: Config) -> Decision | None:
    if "bug" not in t.categories:
        return None
    return Decision(
        "bug_report",
        f"Reads as a bug report ({t.evidence('bug')}) -> tier 3 (senior / engineering).",
        tier_floor=3,
        flags=("bug",),
    )


# The spec's manual criteria: the text can show them, but only a person can confirm them.
MANUAL_CRITERIA = {
    "manager_request": "customer asks for a manager",
    "policy_exception": "a policy exception is asked for",
    "cross_department": "several departments are involved",
    "pr_risk": "possible PR or reputation risk",
}


@rule
def manual_criteria(t: TicketSignals, config: Config) -> Decision | None:
    shown = [category for category in MANUAL_CRITERIA if category in t.categories]
    if not shown:
        return None
    described = "; ".join(f"{MANUAL_CRITERIA[c]} ({t.evidence(c)})" for c in shown)
    return Decision(
        "manual_criteria",
        f"For a person to confirm: {described}.",
        flags=(*shown, "needs_review"),
        actions=(ADD_INTERNAL_NOTE,),
    )


@rule
def model_unsure(t: TicketSignals, config: Config) -> Decision | None:
    if not t.text.strip() or t.model_confidence >= config.min_confidence:
        return None
    return Decision(
        "model_unsure",
        f"The classifier is unsure (confidence {t.model_confidence:.0%}, review band below {config.min_confidence:.0%}): "
        "a person should check priority and tier.",
        flags=("needs_review",),
    )


@dataclass(frozen=True)
class PolicyOutcome:
    priority: str
    tier: int
    escalate: bool
    flags: tuple[str, ...]
    reasons: tuple[str, ...]
    rules_fired: tuple[str, ...] = field(default=())
    actions: tuple[str, ...] = field(default=())
    rules_overriding: tuple[str, ...] = field(default=())

    @property
    def needs_review(self) -> bool:
        return "needs_review" in self.flags


def _combine(decisions: list[Decision], model_priority: str, model_tier: int) -> tuple[str, int]:
    """Priority and tier after the decisions: caps first, then bumps, then floors."""
    level = PRIORITIES.index(model_priority)
    caps = [PRIORITIES.index(d.priority_cap) for d in decisions if d.priority_cap]
    if caps:
        level = min(caps)
    level = min(level + sum(d.priority_bump for d in decisions), len(PRIORITIES) - 1)
    level = max([level, *(PRIORITIES.index(d.priority_floor) for d in decisions if d.priority_floor)])
    tier = min([model_tier, *(d.tier_cap for d in decisions if d.tier_cap)])
    tier = min(tier + sum(d.tier_bump for d in decisions), 4)
    tier = max([tier, *(d.tier_floor for d in decisions if d.tier_floor)])
    return PRIORITIES[level], tier


def apply_policy(t: TicketSignals, model_priority: str, model_tier: int, config: Config, rules: list[Rule] | None = None) -> PolicyOutcome:
    """Combine the classifier's proposal with every rule that fires."""
    decisions = [d for d in (r(t, config) for r in (rules or RULES)) if d is not None]
    priority, tier = _combine(decisions, model_priority, model_tier)
    flags: list[str] = []
    actions: list[str] = []
    for d in decisions:
        flags.extend(f for f in d.flags if f not in flags)
        actions.extend(a for a in d.actions if a not in actions)
    # A rule overrides the classifier when its decision alone would change the proposal.
    overriding = tuple(d.rule for d in decisions if _combine([d], model_priority, model_tier) != (model_priority, model_tier))
    return PolicyOutcome(
        priority=priority,
        tier=tier,
        escalate=any(d.escalate for d in decisions),
        flags=tuple(flags),
        reasons=tuple(d.reason for d in decisions),
        rules_fired=tuple(d.rule for d in decisions),
        actions=tuple(a for a in ACTIONS if a in actions),
        rules_overriding=overriding,
    )
