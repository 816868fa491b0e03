"""Hand-off documents and messages for escalated tickets.

For each escalated ticket a Markdown document gives the next tier what it needs without opening the
ticket: who, how urgent, why escalated, a short summary, a timeline, what was tried, the customer's
mood and expectations, next steps, and three messages (acknowledgement to the customer, internal
note, follow-up after resolution) rendered from Jinja2 templates a team can replace. Personal data
is masked by default.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

from .columns import text_value, ticket_id_text
from .config import Config
from .errors import ConfigError
from .privacy import mask_personal_data
from .text import clean_text

TEMPLATES = ("handoff.md.j2", "acknowledgement.txt.j2", "internal_note.txt.j2", "follow_up.txt.j2")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_GREETING = re.compile(r"^(dear|hello|hi|hey|good (morning|afternoon|evening)|greetings|to whom)\b[^.!?\n]*[,!.]?\s*$", re.IGNORECASE)
_ASK = re.compile(
    r"\b(please|kindly|i (want|need|expect|would like|'d like)|we (want|need|expect|would like)|could you|can you|"
    r"call me|get back to me|asap|as soon as possible|by (today|tomorrow|monday|tuesday|"
    r"wednesday|thursday|friday))\b",
    re.IGNORECASE,
)
_TRIED = re.compile(
    r"\b(tried|attempted|attempts?|restarted|rebooted|reset|reinstalled|cleared|updated|followed|checked|contacted)\b", re.IGNORECASE
)
_THREAT_CATEGORIES = ("legal", "media", "regulatory")
_REASON_LABELS = {
    "legal": "legal threat",
    "media": "media / public exposure",
    "regulatory": "regulatory matter",
    "security": "security incident",
    "outage": "service down",
    "frustration": "frustrated customer",
    "repeat_contact": "repeat contact",
    "vip": "VIP customer",
    "revenue_impact": "revenue at risk",
    "manager_request": "asks for a manager",
    "policy_exception": "policy exception",
    "cross_department": "several departments",
    "pr_risk": "PR risk",
    "needs_review": "needs review",
}
_NEXT_STEPS = {
    "legal": "Pass the case to legal counsel before anyone replies; do not admit fault or promise compensation in writing.",
    "media": "Bring in communications / PR; answer publicly only with agreed wording.",
    "pr_risk": "Bring in communications / PR; answer publicly only with agreed wording.",
    "regulatory": "Check the compliance obligations and deadlines with the compliance owner.",
    "security": "Open a security incident, preserve the logs, and check which accounts are affected.",
    "outage": "Link the ticket to the open incident and give the customer the status-page link.",
    "bug": "Reproduce with the steps given, attach logs, and file an engineering issue.",
    "billing": "Review the charges and invoices on the account and confirm whether a refund is due.",
    "account_access": "Verify the customer's identity, then restore access.",
    "repeat_contact": "Read the earlier contacts before replying, and keep one owner until the case is closed.",
    "vip": "Brief the account manager before the first reply.",
    "frustration": "Acknowledge the frustration first and give a concrete time for the next update.",
    "manager_request": "Have a manager reply personally, or explain who will and when.",
    "policy_exception": "Get a decision on the exception from someone with the authority to grant it.",
    "cross_department": "Name one owner across the departments involved.",
}


@dataclass(frozen=True)
class Handoff:
    ticket_id: str
    customer: str
    first_name: str
    priority: str
    tier: int
    tier_name: str
    tier_scope: str
    specialism: str
    first_response: str
    reason_categories: tuple[str, ...]
    reasons: tuple[str, ...]
    summary: str
    one_line: str
    timeline: tuple[tuple[str, str], ...]
    tried: tuple[str, ...]
    mood: str
    sentiment: float
    expects: tuple[str, ...]
    next_steps: tuple[str, ...]
    actions: tuple[str, ...]
    resolution: str = ""
    sla: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def mood(categories: list[str], sentiment: float, angry_below: float) -> str:
    """The spec's four-step scale: calm, frustrated, angry, threatening."""
    if any(c in categories for c in _THREAT_CATEGORIES):
        return "threatening"
    if sentiment < angry_below:
        return "angry"
    if "frustration" in categories or sentiment < -0.2:
        return "frustrated"
    return "calm"


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def summarise(text: str, limit: int = 3, width: int = 220) -> str:
    """The first sentences of the customer's own words, greetings skipped (an extractive summary)."""
    kept = [s for s in _sentences(text) if not _GREETING.match(s)][:limit]
    shortened = [s if len(s) <= width else s[: width - 3].rstrip() + "..." for s in kept]
    return " ".join(shortened) or "(no text)"


def expectations(text: str, categories: list[str]) -> list[str]:
    asks = [s for s in _sentences(text) if _ASK.search(s) and not _TRIED.search(s)][:2]
    if asks:
        return asks
    if "billing" in categories:
        return ["Correct charges (the text names no explicit request)."]
    return ["A clear answer and a time for the next update (the text names no explicit request)."]


def _minutes(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} minutes"
    hours = minutes / 60
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


def build_handoff(row: Mapping[str, Any], fields: Mapping[str, str], config: Config, as_of: str, mask: bool = True) -> Handoff:
    """Gather a hand-off from one scored row; ``fields`` maps triage fields to the row's column names."""

    def value(name: str) -> str:
        column = fields.get(name)
        return text_value(row.get(column) if column else None).strip()

    private = mask_personal_data if mask else (lambda text: text)
    categories = list(row["categories"])
    body = clean_text(value("text")).text
    subject = value("subject")
    text = f"{subject}. {body}" if subject and body else subject or body
    tier = int(row["tier"])
    spec = config.tiers.get(tier)
    sla = config.sla.get(row["priority"])
    customer = private(value("customer_name")) or "unknown"
    if value("customer_tier"):
        customer += f" ({value('customer_tier')})"
    created = value("created_at")
    timeline = []
    if created:
        timeline.append((created, "ticket created (first contact)"))
    contact = row.get("contact_count") if "contact_count" in fields else None
    if "repeat_contact" in categories:
        timeline.append(("before escalation", f"contact number {contact or '3 or later'} about this issue"))
    fired = ", ".join(row["rules_fired"]) or "classifier"
    timeline.append((as_of, f"escalated by triage to tier {tier} ({fired})"))
    if value("tried"):
        tried = [private(t) for t in _sentences(value("tried"))]
    else:
        tried = [f"{private(s)} (from the customer's message)" for s in _sentences(body) if _TRIED.search(s)][:3]
    summary = private(summarise(text))
    # Billing words alone (a pricing question) are no dispute; the billing step needs the dispute rule.
    step_topics = [c for c in categories if c != "billing" or "billing_dispute" in row["rules_fired"]]
    steps = list(dict.fromkeys(_NEXT_STEPS[c] for c in step_topics if c in _NEXT_STEPS))
    if sla:
        steps.append(f"Send the first reply within {_minutes(sla.first_response)} and resolve within {_minutes(sla.resolution)} ({row['priority']} targets).")
    name = value("customer_name")
    return Handoff(
        ticket_id=ticket_id_text(row.get(fields["ticket_id"])) if "ticket_id" in fields else "",
        customer=customer,
        first_name=private(name.split()[0]) if name and "@" not in name.split()[0] else "",
        priority=str(row["priority"]),
        tier=tier,
        tier_name=spec.name if spec else f"tier {tier}",
        tier_scope=spec.scope if spec else "",
        specialism=(spec.specialism or spec.scope) if spec else "",
        first_response=_minutes(sla.first_response) if sla else "",
        reason_categories=tuple(_REASON_LABELS[c] for c in categories if c in _REASON_LABELS and c != "needs_review"),
        reasons=tuple(private(r) for r in row["reasons"]),
        summary=summary,
        one_line=private(summarise(text, limit=1)),
        timeline=tuple(timeline),
        tried=tuple(tried),
        mood=mood(categories, float(row["sentiment"]), config.thresholds.angry_sentiment),
        sentiment=float(row["sentiment"]),
        expects=tuple(private(e) for e in expectations(text, categories)),
        next_steps=tuple(steps),
        actions=tuple(row["actions"]),
        resolution=private(value("resolution")),
        sla=_sla_line(row),
    )


def _sla_line(row: Mapping[str, Any]) -> str:
    state = row.get("sla_state")
    if not isinstance(state, str):
        return ""
    return f"{row['sla_clock']} clock {row['sla_elapsed_pct']:g}% elapsed ({state.replace('_', ' ')}), due {row['sla_due_at']}"


class HandoffWriter:
    """Renders hand-offs with the built-in templates, or a team's own from ``templates_dir``
    (any of the four file names found there replaces the built-in one)."""

    def __init__(self, templates_dir: str | Path | None = None):
        builtin = Path(str(resources.files("triage") / "templates"))
        search = [str(Path(templates_dir)), str(builtin)] if templates_dir else [str(builtin)]
        if templates_dir and not Path(templates_dir).is_dir():
            raise ConfigError(f"Templates folder '{templates_dir}' does not exist.")
        self.env = Environment(loader=FileSystemLoader(search), undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
        try:
            self.templates = {name: self.env.get_template(name) for name in TEMPLATES}
        except TemplateNotFound as exc:  # pragma: no cover - the built-in set is complete
            raise ConfigError(f"Template '{exc.name}' is missing.") from None

    def messages(self, handoff: Handoff) -> dict[str, str]:
        return {
            "acknowledgement": self.templates["acknowledgement.txt.j2"].render(h=handoff).strip(),
            "internal_note": self.templates["internal_note.txt.j2"].render(h=handoff).strip(),
            "follow_up": self.templates["follow_up.txt.j2"].render(h=handoff).strip(),
        }

    def document(self, handoff: Handoff) -> str:
        return self.templates["handoff.md.j2"].render(h=handoff, **self.messages(handoff))


def safe_filename(ticket_id: str, taken: set[str]) -> str:
    stem = re.sub(r"[^\w.-]+", "_", ticket_id).strip("._") or "ticket"
    name, n = stem, 2
    while name in taken:
        name, n = f"{stem}_{n}", n + 1
    taken.add(name)
    return f"{name}.md"


def write_handoffs(rows: list[tuple[Handoff, str]], folder: Path) -> Path:
    """Write the index of hand-offs already rendered into ``folder``; ``rows`` pairs each with its file name."""
    lines = [
        "# Escalated tickets",
        "",
        f"{len(rows)} hand-off document(s).",
        "",
        "| ticket | priority | tier | mood | why | document |",
        "|---|---|---|---|---|---|",
    ]
    order = {"Critical": 0, "High": 1, "Medium": 2, "Low": 3}
    for handoff, name in sorted(rows, key=lambda pair: (order.get(pair[0].priority, 9), -pair[0].tier)):
        why = ", ".join(handoff.reason_categories) or "policy rules"
        lines.append(f"| {handoff.ticket_id} | {handoff.priority} | {handoff.tier} {handoff.tier_name} | {handoff.mood} | {why} | [{name}]({name}) |")
    index = folder / "index.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return index
