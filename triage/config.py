"""The policy configuration: one frozen, validated object read from a TOML file.

The defaults (``triage/default_config.toml``) reproduce ../shared/spec/escalation-policy.md. A
team's file only lists what it changes; every key is checked, and an error names the key and the
bad value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .errors import ConfigError

PRIORITIES = ("Low", "Medium", "High", "Critical")  # ascending urgency
TIERS = (1, 2, 3, 4)


@dataclass(frozen=True)
class Thresholds:
    angry_sentiment: float = -0.7
    vip_ltv: float = 10_000.0
    revenue_impact: float = 1_000.0
    repeat_contact: int = 3
    min_words: int = 3

    def __post_init__(self) -> None:
        if not -1.0 <= self.angry_sentiment <= 1.0:
            raise ConfigError(
                f"thresholds.angry_sentiment must be between -1 and 1; got {self.angry_sentiment!r}."
            )
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
class Config:
    thresholds: Thresholds = field(default_factory=Thresholds)
    vip_tiers: tuple[str, ...] = ("Enterprise", "VIP")
    tier_names: Mapping[int, str] = field(default_factory=dict)
    sla: Mapping[str, SlaTarget] = field(default_factory=dict)
    extra_pattern_files: tuple[Path, ...] = ()
    columns: Mapping[str, str] = field(default_factory=dict)
    queue_tiers: Mapping[str, int] = field(default_factory=dict)
    source: str = "built-in defaults"

    def is_vip_tier(self, tier: str) -> bool:
        return tier.strip().casefold() in {name.casefold() for name in self.vip_tiers}

    def canonical_tier(self, tier: str) -> str:
        """A VIP tier as the config spells it ("enterprise " -> "Enterprise"); other tiers stripped."""
        stripped = tier.strip()
        return next((name for name in self.vip_tiers if name.casefold() == stripped.casefold()), stripped)


def default_config_path() -> Path:
    return Path(str(resources.files("triage") / "default_config.toml"))


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
        if key not in base and where not in ("columns.", "sla.", "tiers.", "queue_tiers."):
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


def _build(raw: dict[str, Any], source: str, base_dir: Path) -> Config:
    th = raw["thresholds"]
    thresholds = Thresholds(
        angry_sentiment=_number(th, "thresholds", "angry_sentiment", float),
        vip_ltv=_number(th, "thresholds", "vip_ltv", float),
        revenue_impact=_number(th, "thresholds", "revenue_impact", float),
        repeat_contact=_number(th, "thresholds", "repeat_contact", int),
        min_words=_number(th, "thresholds", "min_words", int),
    )
    vip = raw["customers"]["vip_tiers"]
    if not isinstance(vip, list) or not all(isinstance(v, str) and v.strip() for v in vip):
        raise ConfigError(f"customers.vip_tiers must be a list of tier names; got {vip!r}.")
    tier_names = {}
    for key, name in raw["tiers"].items():
        if not key.isdigit() or int(key) not in TIERS or not isinstance(name, str):
            raise ConfigError(f"tiers.{key} must be one of tiers 1-4 named by a string; got {key!r} = {name!r}.")
        tier_names[int(key)] = name
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
    files = raw["keywords"]["extra_pattern_files"]
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ConfigError(f"keywords.extra_pattern_files must be a list of paths; got {files!r}.")
    pattern_files = tuple((base_dir / f).resolve() for f in files)
    for path in pattern_files:
        if not path.is_file():
            raise ConfigError(f"keywords.extra_pattern_files names '{path}', which does not exist.")
    columns = raw["columns"]
    if not all(isinstance(v, str) for v in columns.values()):
        raise ConfigError(f"columns must map triage names to column names (strings); got {columns!r}.")
    queue_tiers = raw["queue_tiers"]
    for queue, tier in queue_tiers.items():
        if isinstance(tier, bool) or tier not in TIERS:
            raise ConfigError(f"queue_tiers.{queue!r} must be a tier 1-4; got {tier!r}.")
    return Config(
        thresholds=thresholds,
        vip_tiers=tuple(v.strip() for v in vip),
        tier_names=MappingProxyType(tier_names),
        sla=MappingProxyType(sla),
        extra_pattern_files=pattern_files,
        columns=MappingProxyType(dict(columns)),
        queue_tiers=MappingProxyType(dict(queue_tiers)),
        source=source,
    )


def load_config(path: str | Path | None = None) -> Config:
    """Read a config file over the built-in defaults; ``None`` gives the defaults."""
    defaults = _read_toml(default_config_path())
    if path is None:
        return _build(defaults, "built-in defaults", default_config_path().parent)
    path = Path(path)
    merged = _merge(defaults, _read_toml(path))
    return _build(merged, str(path), path.parent)
