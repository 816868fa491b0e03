"""Retrain the priority and tier classifiers on a team's own labelled export.

A team model keeps the shipped encoder and sentiment head (the sentiment head is copied into the
new folder) and stores a new classifier trained on the team's history, so its manifest has the
same structure as ``models/default/manifest.json`` and loads with ``triage.load(path)``.

Labels are read from the export:
- priority from a column named like ``priority`` / ``ticket_priority`` / ``urgency`` / ``severity``,
  values mapped case-insensitively to Critical / High / Medium / Low (``P1``..``P4`` and ``urgent``
  accepted);
- tier from a ``tier`` column (1-4), or from a queue / group / department column through the
  config's ``[queue_tiers]`` table.
The validation split is the latest 20 % by creation time when the export has readable timestamps
(never training on the future), otherwise a stable hash of the text.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd

from .columns import normalise_name, prepare, resolve_columns
from .config import Config, load_config
from .errors import InputError, MissingColumnError, TriageError
from .history import parse_times

PRIORITIES = ("Critical", "High", "Medium", "Low")
PRIORITY_VALUES = {
    "critical": "Critical", "urgent": "Critical", "p1": "Critical", "p0": "Critical", "blocker": "Critical", "highest": "Critical",
    "high": "High", "p2": "High",
    "medium": "Medium", "normal": "Medium", "moderate": "Medium", "p3": "Medium",
    "low": "Low", "p4": "Low", "lowest": "Low", "minor": "Low",
}
PRIORITY_COLUMNS = ("priority", "ticket_priority", "priority_level", "urgency", "severity")
TIER_COLUMNS = ("tier", "support_tier", "escalation_tier", "ticket_tier")
QUEUE_COLUMNS = ("queue", "group", "group_name", "assigned_group", "department", "team", "support_team")
VALIDATION_PERCENT = 20
MIN_TRAIN_PER_CLASS = 5


class TrainingError(TriageError, ValueError):
    """The export cannot be trained on as given (labels missing, unreadable or too few)."""


@dataclass(frozen=True)
class LabelOptions:
    """Where the labels come from. ``None`` means detect by column name.

    ``tier_from`` is ``"tier"`` (a tier column), ``"queue"`` (a queue column through ``[queue_tiers]``)
    or ``None`` (a tier column if there is one, else a queue column).
    """

    priority_column: str | None = None
    tier_column: str | None = None
    queue_column: str | None = None
    tier_from: str | None = None
    time_column: str | None = None

    def __post_init__(self) -> None:
        if self.tier_from not in (None, "tier", "queue"):
            raise TrainingError(f"tier_from must be 'tier', 'queue' or None; got {self.tier_from!r}.")


@dataclass
class LabelledExport:
    """An export with its labels read: ``priority`` / ``tier`` hold one label per row ('' / 0 when unknown)."""

    frame: pd.DataFrame
    columns: dict[str, str]
    priority: np.ndarray | None
    tier: np.ndarray | None
    sources: dict[str, str]
    validation: np.ndarray
    split: str
    dropped_rows: int = 0
    notes: list[str] = field(default_factory=list)

    def labels(self, target: str) -> np.ndarray | None:
        return self.priority if target == "priority" else self.tier

    def targets(self) -> list[str]:
        return [t for t in ("priority", "tier") if self.labels(t) is not None]


def _find(columns: list[str], names: tuple[str, ...], given: str | None, what: str) -> str | None:
    if given is not None:
        if given not in columns:
            raise MissingColumnError(f"The {what} column '{given}' is not in the export; columns found: {', '.join(map(str, columns))}.")
        return given
    by_normal = {normalise_name(c): c for c in reversed(columns)}
    for name in names:
        if name in by_normal:
            return by_normal[name]
    return None


def normalise_priority(values: pd.Series, column: str) -> np.ndarray:
    """Map priority labels to Critical / High / Medium / Low; blank stays ''. Unknown values raise."""
    text = values.fillna("").astype(str).str.strip().str.casefold()
    unknown = sorted(set(text) - set(PRIORITY_VALUES) - {""})
    if unknown:
        raise TrainingError(
            f"Priority column '{column}' holds value(s) {unknown[:8]} that triage cannot map; expected one of "
            f"{sorted(set(PRIORITY_VALUES))} (any case). Rename them in the export or name another column with --priority-column."
        )
    return text.map(lambda v: PRIORITY_VALUES.get(v, "")).to_numpy(dtype=object)


def _tier_number(value: str) -> int:
    match = re.fullmatch(r"(?:tier|t|level|l)?\s*([1-4])(?:\.0)?", value.strip().casefold())
    if not match:
        raise ValueError(value)
    return int(match.group(1))


def read_tiers(values: pd.Series, column: str) -> np.ndarray:
    out, bad = [], set()
    for value in values.fillna("").astype(str):
        if not value.strip():
            out.append(0)
            continue
        try:
            out.append(_tier_number(value))
        except ValueError:
            bad.add(value)
    if bad:
        raise TrainingError(
            f"Tier column '{column}' holds value(s) {sorted(bad)[:8]}; expected 1-4 (or 'tier 2'). "
            "Use --tier-from queue to map a queue column through [queue_tiers] instead."
        )
    return np.array(out, dtype=int)


def tiers_from_queue(values: pd.Series, column: str, config: Config) -> np.ndarray:
    table = {str(k).strip().casefold(): int(v) for k, v in config.queue_tiers.items()}
    text = values.fillna("").astype(str).str.strip()
    unknown = sorted({v for v in text if v and v.casefold() not in table})
    if unknown:
        raise TrainingError(
            f"Queue column '{column}' holds queue(s) {unknown[:8]} that the config's [queue_tiers] table does not map "
            f"(it maps {sorted(config.queue_tiers)[:8]}...). Add them to [queue_tiers] in your config, e.g. \"{unknown[0]}\" = 2."
        )
    return np.array([table.get(v.casefold(), 0) for v in text], dtype=int)


def time_split(times: pd.Series, percent: int = VALIDATION_PERCENT) -> np.ndarray:
    """True for the latest ``percent`` % of rows by time; rows without a readable time go to validation."""
    order = times.rank(method="first", na_option="bottom").to_numpy()
    return order > len(times) * (100 - percent) / 100


def read_labelled_export(
    frame: pd.DataFrame,
    config: Config | None = None,
    options: LabelOptions | None = None,
    columns: Mapping[str, str] | None = None,
) -> LabelledExport:
    """Find the label columns, read them, drop rows without any label and choose the validation split."""
    from .training import held_out

    config = config or load_config()
    options = options or LabelOptions()
    names = list(frame.columns)
    found = resolve_columns(names, {**config.columns, **(columns or {})})
    priority_col = _find(names, PRIORITY_COLUMNS, options.priority_column, "priority")
    tier_col = queue_col = None
    if options.tier_from != "queue":
        tier_col = _find(names, TIER_COLUMNS, options.tier_column, "tier")
    if tier_col is None and options.tier_from != "tier":
        queue_col = _find(names, QUEUE_COLUMNS, options.queue_column, "queue")
    if priority_col is None and tier_col is None and queue_col is None:
        raise MissingColumnError(
            "No label column found: expected a priority column (" + ", ".join(PRIORITY_COLUMNS) + "), a tier column ("
            + ", ".join(TIER_COLUMNS) + ") or a queue column (" + ", ".join(QUEUE_COLUMNS) + "); columns found: "
            + ", ".join(map(str, names)) + ". Name them with --priority-column / --tier-column / --queue-column."
        )
    priority = normalise_priority(frame[priority_col], priority_col) if priority_col else None
    if tier_col:
        tier = read_tiers(frame[tier_col], tier_col)
    elif queue_col:
        tier = tiers_from_queue(frame[queue_col], queue_col, config)
    else:
        tier = None
    sources = {}
    if priority_col:
        sources["priority"] = f"column '{priority_col}'"
    if tier_col:
        sources["tier"] = f"column '{tier_col}'"
    elif queue_col:
        sources["tier"] = f"column '{queue_col}' through [queue_tiers]"
    keep = np.zeros(len(frame), dtype=bool)
    if priority is not None:
        keep |= priority != ""
    if tier is not None:
        keep |= tier != 0
    dropped = int((~keep).sum())
    frame = frame[keep].reset_index(drop=True)
    priority = priority[keep] if priority is not None else None
    tier = tier[keep] if tier is not None else None
    time_col = options.time_column or found.get("created_at")
    split, validation = "", None
    if time_col is not None:
        if time_col not in frame.columns:
            raise MissingColumnError(f"The time column '{time_col}' is not in the export; columns found: {', '.join(map(str, names))}.")
        times = parse_times(frame[time_col])
        if len(frame) and times.notna().mean() >= 0.9:
            validation = time_split(times)
            cut = times[~validation].max()
            split = f"by time: the latest {VALIDATION_PERCENT} % of '{time_col}' held out (training ends {cut.isoformat()})"
    if validation is None:
        tickets = prepare(frame, found)
        keys = pd.Series([f"{s}\n{b}" for s, b in zip(tickets.subjects, tickets.bodies)])
        validation = held_out(keys, VALIDATION_PERCENT)
        split = f"sha256(subject + newline + text) % 100 < {VALIDATION_PERCENT} held out (no readable creation time)"
    return LabelledExport(frame, found, priority, tier, sources, validation, split, dropped)


@dataclass(frozen=True)
class TrainSettings:
    """What ``triage train`` was asked to do; stored in the manifest as the config used."""

    base_model: str | Path | None = None
    config: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)
    labels: LabelOptions = field(default_factory=LabelOptions)
    filter_language: str | None = None
    search: bool = True  # grid search over C and the signals' weight; False for a quick run

    def to_dict(self) -> dict[str, Any]:
        return {
            "base_model": str(self.base_model or "models/default"),
            "config": self.config,
            "columns": dict(self.columns),
            "labels": asdict(self.labels),
            "filter_language": self.filter_language,
            "search": self.search,
        }


def read_export(path: str | Path, filter_language: str | None = None) -> pd.DataFrame:
    """The whole export as text columns; ``filter_language`` keeps rows whose ``language`` column matches."""
    from .tables import read_table

    frame = read_table(path)
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    if filter_language:
        lang = _find(list(frame.columns), ("language", "lang", "locale"), None, "language")
        if lang is None:
            raise InputError(f"--language {filter_language} needs a language column; columns found: {', '.join(frame.columns)}.")
        frame = frame[frame[lang].str.strip().str.casefold() == filter_language.casefold()].reset_index(drop=True)
    if frame.empty:
        raise InputError(f"'{path}' has no rows to train on" + (f" in language {filter_language!r}." if filter_language else "."))
    return frame


def _check_counts(target: str, y: np.ndarray, train: np.ndarray) -> None:
    labels, counts = np.unique(y[train], return_counts=True)
    if len(labels) < 2:
        raise TrainingError(f"The {target} labels of the training split hold one class only ({labels.tolist()}); a classifier needs two or more.")
    rare = {str(label): int(c) for label, c in zip(labels, counts) if c < MIN_TRAIN_PER_CLASS}
    if rare:
        raise TrainingError(
            f"{target} class(es) {rare} have fewer than {MIN_TRAIN_PER_CLASS} training rows; calibration needs 5 per class. "
            "Merge them into a neighbouring class in the export or add labelled tickets."
        )


def train_model(
    export: str | Path,
    out_dir: str | Path,
    settings: TrainSettings | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Train a team model on a labelled export and write it to ``out_dir``; returns its manifest.

    A target the export has no labels for (e.g. no tier or queue column) keeps the base model's
    classifier for it, and the manifest says so.
    """
    from .engine import load
    from .model import FORMAT, FORMAT_VERSION, SENTIMENT_FILE, check_model_target, library_versions, staged_model_folder
    from .signals import ticket_texts
    from .training import classifier_manifest, file_sha256, fit_target, save_classifier_and_manifest

    settings = settings or TrainSettings()
    export, out_dir = Path(export), check_model_target(out_dir)  # refused now, not after training
    config = load_config(settings.config)
    frame = read_export(export, settings.filter_language)
    data = read_labelled_export(frame, config, settings.labels, settings.columns)
    log(f"labels: {', '.join(f'{t} from {s}' for t, s in data.sources.items())}; split {data.split}")
    engine = load(settings.base_model, config)
    tickets = prepare(data.frame, data.columns)
    texts, _ = ticket_texts(tickets)
    started = time.perf_counter()
    features = engine.signals.extract(texts, tickets).features
    log(f"extracted signals for {len(texts)} tickets in {time.perf_counter() - started:.0f} s")
    texts_array = np.array(texts, dtype=object)
    classifier = dict(engine.model.classifier)
    metrics: dict[str, Any] = {}
    trained_rows: dict[str, dict[str, int]] = {}
    for target in ("priority", "tier"):
        y = data.labels(target)
        if y is None:
            log(f"{target}: no labels in the export; the base model's {target} classifier is kept")
            continue
        labelled = (y != "") if target == "priority" else (y != 0)
        train = labelled & ~data.validation
        test = labelled & data.validation
        _check_counts(target, y, train)
        rows = labelled
        model, report = fit_target(
            target, features[rows].reset_index(drop=True), texts_array[rows], y[rows], test[rows], log, search=settings.search
        )
        classifier[target] = model
        metrics[target] = report
        trained_rows[target] = {"train_rows": int(train.sum()), "held_out_rows": int(test.sum())}
    base = engine.model.manifest
    adapter = engine.model.encoder_adapter
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": out_dir.name,
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "libraries": library_versions(),
        "encoder": base["encoder"],
        "sentiment": {**base["sentiment"], "file": SENTIMENT_FILE, "copied_from": str(engine.model.path)},
        "classifier": {
            **classifier_manifest(classifier),
            "queue_tiers": dict(config.queue_tiers),
            "encoder_adapter_sha256": file_sha256(adapter) if adapter is not None else None,
            "metrics": metrics,
            "training_data": {
                "file": export.name,
                "sha256": file_sha256(export),
                "rows": int(len(data.frame)),
                "unlabelled_rows_dropped": data.dropped_rows,
                **{f"{t}_{k}": v for t, counts in trained_rows.items() for k, v in counts.items()},
                "train_rows": max((c["train_rows"] for c in trained_rows.values()), default=0),
                "held_out_rows": max((c["held_out_rows"] for c in trained_rows.values()), default=0),
                "split": data.split,
                "label_sources": data.sources,
                "targets_trained": sorted(trained_rows),
                "targets_kept_from_base": sorted({"priority", "tier"} - set(trained_rows)),
                "filter": f"language == {settings.filter_language!r}" if settings.filter_language else "none",
                "priority_labels_seen": sorted(set(data.priority) - {""}) if data.priority is not None else [],
            },
            "trained_on": "team export",
            "config_used": settings.to_dict(),
        },
    }
    with staged_model_folder(out_dir) as staging:
        shutil.copyfile(engine.model.path / base["sentiment"]["file"], staging / SENTIMENT_FILE)
        if adapter is not None:
            shutil.copyfile(adapter, staging / adapter.name)
        save_classifier_and_manifest(staging, classifier, manifest)
    return manifest
