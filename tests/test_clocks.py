"""The SLA clock inside scoring: targets follow the final priority, the trigger escalates at 80 %."""

import warnings

import pandas as pd
import pytest

import triage
from triage.config import load_config
from triage.errors import TriageWarning

pytestmark = pytest.mark.slow

# An empty text is always Low, tier 1 (Low: first response within 480 minutes).
EMPTY = {"ticket_id": "E1", "text": "", "created_at": "2026-11-30T08:00:00Z"}


@pytest.mark.parametrize("minutes, escalates", [(383, False), (384, True), (500, True)])
def test_first_response_clock_escalates_at_80_percent(engine, minutes, escalates):
    hours, rest = divmod(minutes, 60)
    result = engine.score_ticket(EMPTY, as_of=f"2026-11-30T{8 + hours:02d}:{rest:02d}:00Z")
    assert result.priority == "Low"
    assert result.escalate is escalates
    assert result.tier == (2 if escalates else 1)
    assert ("sla_at_risk" in result.rules_fired) is escalates
    if minutes == 384:
        assert result.sla_state == "at_risk" and result.sla.reading.percent == 80.0
        assert result.actions == ("notify manager", "add internal note")
        assert any(
            r.startswith("At risk: first response SLA 80% elapsed (6h24m of 8h00m on the 'always' calendar, due 2026-11-30 16:00 UTC)")
            for r in result.reasons
        )
    if minutes == 500:
        assert result.sla_state == "breached" and "sla_breached" in result.categories


def test_resolved_tickets_do_not_escalate(engine):
    solved = {**EMPTY, "status": "Solved", "resolved_at": "2026-11-30T09:00:00Z"}
    result = engine.score_ticket(solved, as_of="2026-12-02T08:00:00Z")
    assert not result.escalate and result.sla.clock == "resolution" and result.sla_state == "met"
    late = engine.score_ticket({**solved, "resolved_at": "2026-12-03T09:00:00Z"}, as_of="2026-12-04T08:00:00Z")
    assert not late.escalate and late.sla_state == "missed"


def test_first_reply_stops_the_first_response_clock(engine):
    answered = {**EMPTY, "first_response_at": "2026-11-30T08:30:00Z"}
    result = engine.score_ticket(answered, as_of="2026-11-30T16:00:00Z")
    # Only the resolution clock runs: 8 of 48 hours.
    assert result.sla.clock == "resolution" and result.sla.reading.percent == pytest.approx(16.67)
    assert not result.escalate


def test_waiting_on_customer_pauses_the_clock(engine):
    waiting = {**EMPTY, "status": "Pending", "updated_at": "2026-11-30T09:00:00Z"}
    result = engine.score_ticket(waiting, as_of="2026-11-30T20:00:00Z")
    assert result.sla_state == "paused" or result.sla.reading.elapsed_seconds == 3600
    assert result.sla.reading.elapsed_seconds == 3600 and not result.escalate


def test_business_calendar_skips_the_weekend(engine, tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[sla_clock]\ncalendar = "business"\n', encoding="utf-8")
    business = triage.Engine(engine.model, load_config(policy), encoder=engine.encoder)
    friday = {**EMPTY, "created_at": "2026-11-27T16:00:00Z"}  # Friday, one open hour left
    result = business.score_ticket(friday, as_of="2026-11-28T12:00:00Z")
    assert result.sla.calendar == "business" and result.sla.reading.elapsed_seconds == 3600
    critical = business.score_ticket({**friday, "text": "Our whole site is down for every customer."}, as_of="2026-11-28T12:00:00Z")
    assert critical.priority == "Critical" and critical.sla.calendar == "always" and critical.sla_state == "breached"


def test_unreadable_creation_time_is_reported_and_the_row_kept(engine):
    frame = pd.DataFrame([{**EMPTY, "created_at": "sometime last week"}, {**EMPTY, "ticket_id": "E2"}])
    with pytest.warns(TriageWarning, match="Ticket E1: created_at 'sometime last week' is not a time the SLA clock can read"):
        scored = engine.score_frame(frame, as_of="2026-11-30T09:00:00Z")
    assert len(scored) == 2
    assert pd.isna(scored.loc[0, "sla_state"]) and scored.loc[1, "sla_state"] == "ok"
    assert any(r.startswith("Input problem: created_at 'sometime last week'") for r in scored.loc[0, "reasons"])


def test_mixed_offsets_and_epoch_seconds(engine):
    frame = pd.DataFrame(
        [
            {**EMPTY, "created_at": "2026-11-30T09:00:00+01:00"},
            {**EMPTY, "ticket_id": "E2", "created_at": 1796025600},  # 2026-11-30T08:00:00Z
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        scored = engine.score_frame(frame, as_of="2026-11-30T10:00:00Z")
    assert scored["sla_elapsed_pct"].tolist() == [25.0, 25.0]


def test_as_of_must_be_a_time(engine):
    with pytest.raises(triage.InputError, match="is not a time"):
        engine.score_ticket(EMPTY, as_of="whenever")


def test_calendar_choice_by_customer_tier_then_critical_then_team(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(
        '[sla_clock]\ncalendar = "business"\n[sla_clock.team_calendars]\n"Night Desk" = "always"\n'
        '[sla_clock.customer_tier_calendars]\nGold = "business"\n',
        encoding="utf-8",
    )
    settings = load_config(policy).sla_clock
    assert settings.calendar_for("High", "Standard") == "business"
    assert settings.calendar_for("High", "Standard", "night desk ") == "always"
    assert settings.calendar_for("Critical", "Standard") == "always"
    assert settings.calendar_for("Critical", "gold", "Night Desk") == "business"


def test_unknown_calendar_name_is_a_config_error(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[sla_clock.team_calendars]\nEMEA = "berlin"\n', encoding="utf-8")
    with pytest.raises(triage.ConfigError, match="sla_clock.team_calendars.EMEA names calendar 'berlin', which is not defined; defined calendars: always, business."):
        load_config(policy)
