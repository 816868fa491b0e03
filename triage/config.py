"""The policy configuration: one frozen, validated object read from a TOML file.

The defaults (``triage/default_config.toml``) reproduce ../shared/spec/escalation-policy.md. A
team's file only lists what it changes; every key is checked, and an error names the key and the
bad value. This module imports nothing heavy, so validating a file is instant.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .errors import ConfigError

PRIORITIES = ("Low", "Medium", "High", "Critical")  # ascending urgency
TIERS = (1, 2, 3, 4)
# Sections whose keys are the user's own names (columns, queues, categories ...), not fixed ones.
_OPEN_SECTIONS = (
    "columns.",
    "sla.",
    "tiers.",
    "queue_tiers.",
    "keywords.words.",
    "calendars.",
    "sla_clock.customer_tier_calendars.",
    "sla_clock.team_calendars.",
    "writeback.groups.",
    "writeback.zendesk_group_ids.",
    "writeback.freshdesk_group_ids.",
)


@dataclass(frozen=True)
class Thresholds:
    angry_sentiment: float = -0.7
    vip_ltv: float = 10_000.0
    revenue_impact: float = 1_000.0
    repeat_contact: int = 3
    min_words: int = 3

    def __post_init__(self) -> None:
        if not -1.0 <= self.angry_sentiment <= 1.0:
            raise ConfigError(f"thresholds.angry_sentiment must be between -1 and 1; got {self.angry_sentiment!r}.")
        for name in ("vip_ltv", "revenue_impact"):
            if getattr(self, name) < 0:
                raise ConfigError(f"thresholds.{name} must be 0 or more; got {getattr(self, name)!r}.")
        if self.repeat_contact < 2:
            raise ConfigError(f"thresholds.repeat_contact must be 2 or more; got {self.repeat_contact!r}.")
        if self.min_words < 0:
            raise ConfigError(f"thresholds.min_words must be 0 or more; got {self.min_words!r}.")


@dataclass(frozen=True)
class SlaTarget:
    first_response: int  # minutes
    resolution: int  # minutes


@dataclass(frozen=True)
class TierSpec:
    name: str
    scope: str = ""
    specialism: str = ""  # customer-facing description, for acknowledgements


@dataclass(frozen=True)
class HistorySettings:
    window_days: float = 14.0
    same_issue_similarity: float = 0.5

    def __post_init__(self) -> None:
        if self.window_days <= 0:
            raise ConfigError(f"history.window_days must be more than 0; got {self.window_days!r}.")
        if not 0.0 < self.same_issue_similarity <= 1.0:
            raise ConfigError(f"history.same_issue_similarity must be above 0 and at most 1; got {self.same_issue_similarity!r}.")


@dataclass(frozen=True)
class SlaClockSettings:
    """Which calendar a ticket's SLA runs on and when the clock escalates."""

    at_risk: float = 0.8
    calendar: str = "always"
    critical_calendar: str = "always"
    customer_tier_calendars: Mapping[str, str] = field(default_factory=dict)
    team_calendars: Mapping[str, str] = field(default_factory=dict)
    pause_statuses: tuple[str, ...] = ("pending", "waiting on customer", "on hold", "awaiting customer")
    resolved_statuses: tuple[str, ...] = ("solved", "resolved", "closed")
    calendars: Mapping[str, Any] = field(default_factory=dict)  # name -> triage.sla.BusinessCalendar

    def calendar_for(self, priority: str, customer_tier: str, team: str = "") -> str:
        """Customer tier first, then Critical's own calendar, then the team's, then the default."""
        by_tier = {k.casefold(): v for k, v in self.customer_tier_calendars.items()}
        if customer_tier.strip().casefold() in by_tier:
            return by_tier[customer_tier.strip().casefold()]
        if priority == "Critical" and self.critical_calendar:
            return self.critical_calendar
        by_team = {k.casefold(): v for k, v in self.team_calendars.items()}
        return by_team.get(team.strip().casefold(), self.calendar)


@dataclass(frozen=True)
class WritebackSettings:
    """How scored tickets are written back to a helpdesk (``triage score --format``)."""

    groups: Mapping[int, str] = field(default_factory=dict)  # tier -> group name; unset tiers use "Tier N <tier name>"
    zendesk_group_ids: Mapping[int, int] = field(default_factory=dict)  # tier -> Zendesk group_id
    freshdesk_group_ids: Mapping[int, int] = field(default_factory=dict)  # tier -> Freshdesk group_id
    tag_prefix: str = "triage_"
    zendesk_tags_field: str = "additional_tags"  # "additional_tags" keeps a ticket's tags, "tags" replaces them
    note: bool = True  # add the reasons as a private note

    def __post_init__(self) -> None:
        if self.zendesk_tags_field not in ("additional_tags", "tags"):
            raise ConfigError(f"writeback.zendesk_tags_field must be 'additional_tags' or 'tags'; got {self.zendesk_tags_field!r}.")
        if not self.tag_prefix or not all(c.isalnum() or c in "_-" for c in self.tag_prefix):
            raise ConfigError(f"writeback.tag_prefix must be letters, digits, '_' or '-' (a helpdesk tag has no spaces); got {self.tag_prefix!r}.")


@dataclass(frozen=True)
class OrganisationProfile:
    company: str = ""
    product: str = ""
    monthly_ticket_volume: int = 0
    top_categories: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    thresholds: Thresholds = field(default_factory=Thresholds)
    min_confidence: float = 0.40
    vip_tiers: tuple[str, ...] = ("Enterprise", "VIP")
    tiers: Mapping[int, TierSpec] = field(default_factory=dict)
    sla: Mapping[str, SlaTarget] = field(default_factory=dict)
    history: HistorySettings = field(default_factory=HistorySettings)
    sla_clock: SlaClockSettings = field(default_factory=SlaClockSettings)
    extra_pattern_files: tuple[Path, ...] = ()
    extra_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    queue_tiers: Mapping[str, int] = field(default_factory=dict)
    organisation: OrganisationProfile = field(default_factory=OrganisationProfile)
    writeback: WritebackSettings = field(default_factory=WritebackSettings)
    templates_dir: Path | None = None
    mask_personal_data: bool = True
    source: str = "built-in defaults"

    @property
    def tier_names(self) -> dict[int, str]:
        return {tier: spec.name for tier, spec in self.tiers.items()}

    def is_vip_tier(self, tier: str) -> bool:
        return tier.strip().casefold() in {name.casefold() for name in self.vip_tiers}

    def group_for_tier(self, tier: int) -> str:
        """The helpdesk group a tier's tickets go to: ``[writeback.groups]``, else "Tier N <tier name>"."""
        if tier in self.writeback.groups:
            return self.writeback.groups[tier]
        name = self.tier_names.get(tier, "")
        return f"Tier {tier} {name}".strip()

    def canonical_tier(self, tier: str) -> str:
        """A VIP tier as the config spells it ("enterprise " -> "Enterprise"); other tiers stripped."""
        stripped = tier.strip()
        return next((name for name in self.vip_tiers if name.casefold() == stripped.casefold()), stripped)


def default_config_path() -> Path:
    return Path(str(resources.files("triage") / "default_config.toml"))


def write_default_config(path: str | Path, overwrite: bool = False) -> Path:
    """Write the default configuration, with its comments, for a team to edit."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise ConfigError(f"'{path}' already exists; choose another path or pass --force to overwrite it.")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(default_config_path(), path)
    return path


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"Config file '{path}' does not exist.") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Config file '{path}' is not valid TOML: {exc}.") from None


def _merge(base: dict[str, Any], override: dict[str, Any], where: str = "") -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        name = f"{where}{key}"
        if key not in base and where not in _OPEN_SECTIONS:
            known = ", ".join(sorted(base)) or "none"
            raise ConfigError(f"Unknown config key '{name}'. Known keys here: {known}.")
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            merged[key] = _merge(base[key], value, f"{name}.")
        else:
            merged[key] = value
    return merged


def _number(raw: dict[str, Any], section: str, key: str, kind: type) -> Any:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and not float(value).is_integer()):
        expected = "a whole number" if kind is int else "a number"
        raise ConfigError(f"{section}.{key} must be {expected}; got {value!r}.")
    return kind(value)


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{name} must be a list of non-empty strings; got {value!r}.")
    return tuple(v.strip() for v in value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string; got {value!r}.")
    return value


def _build(raw: dict[str, Any], source: str, base_dir: Path) -> Config:
    th = raw["thresholds"]
    thresholds = Thresholds(
        angry_sentiment=_number(th, "thresholds", "angry_sentiment", float),
        vip_ltv=_number(th, "thresholds", "vip_ltv", float),
        revenue_impact=_number(th, "thresholds", "revenue_impact", float),
        repeat_contact=_number(th, "thresholds", "repeat_contact", int),
        min_words=_number(th, "thresholds", "min_words", int),
    )
    min_confidence = _number(raw["review"], "review", "min_confidence", float)
    if not 0.0 <= min_confidence <= 1.0:
        raise ConfigError(f"review.min_confidence must be between 0 and 1; got {min_confidence!r}.")
    tiers = {}
    for key, spec in raw["tiers"].items():
        if not key.isdigit() or int(key) not in TIERS:
            raise ConfigError(f"tiers.{key} is not a tier; expected tiers 1 to 4.")
        if not isinstance(spec, dict) or set(spec) - {"name", "scope", "specialism"} or "name" not in spec:
            raise ConfigError(f"tiers.{key} must set 'name' and optionally 'scope' and 'specialism'; got {spec!r}.")
        tiers[int(key)] = TierSpec(
            _text(spec["name"], f"tiers.{key}.name"),
            _text(spec.get("scope", ""), f"tiers.{key}.scope"),
            _text(spec.get("specialism", ""), f"tiers.{key}.specialism"),
        )
    sla = {}
    for priority, target in raw["sla"].items():
        if priority not in PRIORITIES:
            raise ConfigError(f"sla.{priority} is not a priority; expected one of {list(PRIORITIES)}.")
        if not isinstance(target, dict) or set(target) != {"first_response", "resolution"}:
            raise ConfigError(f"sla.{priority} must set first_response and resolution (minutes); got {target!r}.")
        sla[priority] = SlaTarget(
            first_response=_number(target, f"sla.{priority}", "first_response", int),
            resolution=_number(target, f"sla.{priority}", "resolution", int),
        )
    history = HistorySettings(
        window_days=_number(raw["history"], "history", "window_days", float),
        same_issue_similarity=_number(raw["history"], "history", "same_issue_similarity", float),
    )
    sla_clock = _sla_clock(raw["sla_clock"], raw["calendars"])
    keywords = raw["keywords"]
    pattern_files = tuple((base_dir / f).resolve() for f in _strings(keywords["extra_pattern_files"], "keywords.extra_pattern_files"))
    for path in pattern_files:
        if not path.is_file():
            raise ConfigError(f"keywords.extra_pattern_files names '{path}', which does not exist.")
    extra_words = {category: _strings(words, f"keywords.words.{category}") for category, words in keywords["words"].items()}
    columns = raw["columns"]
    if not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(f"columns must map triage names to column names (strings); got {columns!r}.")
    queue_tiers = raw["queue_tiers"]
    for queue, tier in queue_tiers.items():
        if isinstance(tier, bool) or tier not in TIERS:
            raise ConfigError(f"queue_tiers.{queue!r} must be a tier 1-4; got {tier!r}.")
    handoff = raw["handoff"]
    templates = _text(handoff["templates_dir"], "handoff.templates_dir")
    templates_dir = (base_dir / templates).resolve() if templates else None
    if templates_dir is not None and not templates_dir.is_dir():
        raise ConfigError(f"handoff.templates_dir names '{templates_dir}', which is not a folder.")
    if not isinstance(handoff["mask_personal_data"], bool):
        raise ConfigError(f"handoff.mask_personal_data must be true or false; got {handoff['mask_personal_data']!r}.")
    org = raw["organisation"]
    organisation = OrganisationProfile(
        company=_text(org["company"], "organisation.company"),
        product=_text(org["product"], "organisation.product"),
        monthly_ticket_volume=_number(org, "organisation", "monthly_ticket_volume", int),
        top_categories=_strings(org["top_categories"], "organisation.top_categories"),
        pain_points=_strings(org["pain_points"], "organisation.pain_points"),
    )
    return Config(
        thresholds=thresholds,
        min_confidence=min_confidence,
        vip_tiers=_strings(raw["customers"]["vip_tiers"], "customers.vip_tiers"),
        tiers=MappingProxyType(tiers),
        sla=MappingProxyType(sla),
        history=history,
        sla_clock=sla_clock,
        extra_pattern_files=pattern_files,
        extra_words=MappingProxyType(extra_words),
        columns=MappingProxyType(dict(columns)),
        queue_tiers=MappingProxyType(dict(queue_tiers)),
        organisation=organisation,
        writeback=_writeback(raw["writeback"]),
        templates_dir=templates_dir,
        mask_personal_data=handoff["mask_personal_data"],
        source=source,
    )


def _tier_table(table: Any, name: str, kind: type) -> dict[int, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{name} must be a table of tier = value; got {table!r}.")
    out = {}
    for key, value in table.items():
        if not key.isdigit() or int(key) not in TIERS:
            raise ConfigError(f"{name}.{key} is not a tier; expected tiers 1 to 4, e.g. {name}.3.")
        if kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            helpdesk = "Freshdesk" if "freshdesk" in name else "Zendesk"
            raise ConfigError(f"{name}.{key} must be a {helpdesk} group id (a whole number); got {value!r}.")
        if kind is str and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{name}.{key} must be a group name; got {value!r}.")
        out[int(key)] = value.strip() if kind is str else value
    return out


def _writeback(raw: dict[str, Any]) -> WritebackSettings:
    if not isinstance(raw.get("note"), bool):
        raise ConfigError(f"writeback.note must be true or false; got {raw.get('note')!r}.")
    return WritebackSettings(
        groups=MappingProxyType(_tier_table(raw["groups"], "writeback.groups", str)),
        zendesk_group_ids=MappingProxyType(_tier_table(raw["zendesk_group_ids"], "writeback.zendesk_group_ids", int)),
        freshdesk_group_ids=MappingProxyType(_tier_table(raw["freshdesk_group_ids"], "writeback.freshdesk_group_ids", int)),
        tag_prefix=_text(raw["tag_prefix"], "writeback.tag_prefix"),
        zendesk_tags_field=_text(raw["zendesk_tags_field"], "writeback.zendesk_tags_field"),
        note=raw["note"],
    )


def _sla_clock(raw: dict[str, Any], calendars_raw: dict[str, Any]) -> SlaClockSettings:
    from .sla import BusinessCalendar  # zoneinfo and holidays load only when a config is read

    at_risk = _number(raw, "sla_clock", "at_risk", float)
    if not 0.0 < at_risk <= 1.0:
        raise ConfigError(f"sla_clock.at_risk must be above 0 and at most 1; got {at_risk!r}.")
    calendars = {name: BusinessCalendar.from_dict(table, f"calendars.{name}") for name, table in calendars_raw.items()}
    by_tier, by_team = raw["customer_tier_calendars"], raw["team_calendars"]
    named = [("sla_clock.calendar", raw["calendar"]), ("sla_clock.critical_calendar", raw["critical_calendar"])]
    named += [(f"sla_clock.customer_tier_calendars.{tier}", name) for tier, name in by_tier.items()]
    named += [(f"sla_clock.team_calendars.{team}", name) for team, name in by_team.items()]
    for key, name in named:
        if not isinstance(name, str) or (name and name not in calendars) or (not name and key == "sla_clock.calendar"):
            raise ConfigError(f"{key} names calendar {name!r}, which is not defined; defined calendars: {', '.join(sorted(calendars))}.")
    return SlaClockSettings(
        at_risk=at_risk,
        calendar=raw["calendar"],
        critical_calendar=raw["critical_calendar"],
        customer_tier_calendars=MappingProxyType(dict(by_tier)),
        team_calendars=MappingProxyType(dict(by_team)),
        pause_statuses=tuple(s.casefold() for s in _strings(raw["pause_statuses"], "sla_clock.pause_statuses")),
        resolved_statuses=tuple(s.casefold() for s in _strings(raw["resolved_statuses"], "sla_clock.resolved_statuses")),
        calendars=MappingProxyType(calendars),
    )


def load_config(path: str | Path | None = None) -> Config:
    """Read a config file over the built-in defaults; ``None`` gives the defaults."""
    defaults = _read_toml(default_config_path())
    if path is None:
        return _build(defaults, "built-in defaults", default_config_path().parent)
    path = Path(path)
    merged = _merge(defaults, _read_toml(path))
    return _build(merged, str(path), path.parent)
