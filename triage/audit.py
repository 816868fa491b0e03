"""How the policy rules behaved over a scored file: how often each fired, how often it disagreed
with the classifier (its decision alone would change the classifier's proposal), and which tickets
it moved."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .columns import ticket_id_text
from .policy import RULES


@dataclass
class RuleStats:
    rule: str
    fired: int = 0
    overrode: int = 0  # fired and, on its own, changed the classifier's priority or tier
    escalated: int = 0
    moved: list[str] = field(default_factory=list)  # examples: "id (classifier -> final)"


@dataclass
class RuleAudit:
    """Running totals, fed one scored chunk at a time."""

    tickets: int = 0
    changed: int = 0  # tickets whose final priority or tier differs from the classifier's
    examples: int = 5
    rules: dict[str, RuleStats] = field(default_factory=lambda: {r.__name__: RuleStats(r.__name__) for r in RULES})

    def add(self, scored: pd.DataFrame, id_column: str | None = None) -> None:
        """Count one scored chunk; ``id_column`` names the ticket ids (row numbers are used without one)."""
        if id_column is not None:
            ids = [ticket_id_text(v) for v in scored[id_column]]
        else:
            ids = [f"row {n}" for n in range(self.tickets + 1, self.tickets + len(scored) + 1)]
        columns = ("rules_fired", "rules_overriding", "priority", "tier", "model_priority", "model_tier", "escalate")
        for ticket_id, (fired, overriding, priority, tier, model_priority, model_tier, escalate) in zip(
            ids, zip(*(scored[c] for c in columns))
        ):
            self.changed += int(priority != model_priority or int(tier) != int(model_tier))
            for name in fired:
                stats = self.rules.setdefault(name, RuleStats(name))
                stats.fired += 1
                stats.escalated += int(bool(escalate))
                if name in overriding:
                    stats.overrode += 1
                    if len(stats.moved) < self.examples:
                        stats.moved.append(f"{ticket_id} ({model_priority}/tier {int(model_tier)} -> {priority}/tier {int(tier)})")
        self.tickets += len(scored)

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rule": s.rule,
                    "fired": s.fired,
                    "share": round(s.fired / self.tickets, 4) if self.tickets else 0.0,
                    "overrode_classifier": s.overrode,
                    "escalated": s.escalated,
                    "tickets_moved": "; ".join(s.moved),
                }
                for s in self.rules.values()
            ]
        )

    def lines(self) -> list[str]:
        if not self.tickets:
            return ["no tickets"]
        out = [
            f"{self.tickets} tickets; the rules changed the classifier's priority or tier on {self.changed} "
            f"({self.changed / self.tickets:.0%}).",
            "",
            f"{'rule':<20} {'fired':>6} {'share':>6} {'overrode classifier':>20} {'escalated':>10}",
        ]
        for s in self.rules.values():
            out.append(f"{s.rule:<20} {s.fired:>6} {s.fired / self.tickets:>6.0%} {s.overrode:>20} {s.escalated:>10}")
        out += ["", "tickets moved, by rule (classifier -> final decision):"]
        out += [f"  {s.rule}: {', '.join(s.moved)}" for s in self.rules.values() if s.moved]
        return out
