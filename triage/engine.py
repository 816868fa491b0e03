"""The scoring engine: load the models once, then score tickets one at a time or a frame at a time."""

from __future__ import annotations

import re
import threading
import warnings
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from .classifier import feature_matrix, propose
from .clocks import CLOCK_FIELDS, ClockInputs, ClockProblem, SlaStatus, sla_status
from .columns import prepare, resolve_columns, text_value, warn_duplicate_ids
from .config import Config, load_config
from .dedupe import (
    DEFAULT_CACHE_SIZE,
    DedupingSignalExtractor,
    WorkerStart,
    available_cores,
)
from .encoder import EncoderSettings, TextEncoder
from .errors import InputError, TriageError, TriageWarning
from .explain import describe_signals, top_signals
from .history import count_contacts, history_applies, history_columns
from .keywords import KeywordPattern, build_keyword_pipeline, hits_in_removed_text
from .model import ModelBundle
from .policy import TicketSignals, apply_policy
from .sentiment import SENTIMENT_LABELS, SentimentHead
from .signals import ticket_texts
from .sla import parse_timestamp

OUTPUT_COLUMNS = (
    "priority",
    "tier",
    "escalate",
    "sentiment",
    "sentiment_label",
    "language",
    "categories",
    "reasons",
    "confidence",
    "needs_review",
    "actions",
    "rules_fired",
    "rules_overriding",
    "model_priority",
    "model_tier",
    "sla_clock",
    "sla_state",
    "sla_elapsed_pct",
    "sla_due_at",
)
_WORD = re.compile(r"[^\W\d_]{2,}|[^\W\d_]", re.UNICODE)


@dataclass(frozen=True)
class TicketResult:
    """The decision for one ticket; attributes mirror the output columns of ``score_frame``."""

    ticket_id: str
    priority: str
    tier: int
    escalate: bool
    sentiment: float
    sentiment_label: str
    categories: tuple[str, ...]
    reasons: tuple[str, ...]
    confidence: float
    needs_review: bool
    actions: tuple[str, ...]
    rules_fired: tuple[str, ...]
    rules_overriding: tuple[str, ...]  # rules whose decision alone changes the classifier's proposal
    model_priority: str  # what the classifier proposed before the rules
    model_tier: int
    sla: SlaStatus | None  # the ticket's SLA clock at the run's "as of" time, when it has a creation time
    text: str  # the cleaned text the models read
    language: str = ""  # ISO 639-1 code, declared by the export or detected; "" for empty text


    def to_dict(self) -> dict[str, Any]:
        """The result as plain values, with the SLA clock spelled out like the output columns."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__ if name != "sla"}
        out.update(
            sla_clock=self.sla.clock if self.sla else None,
            sla_state=self.sla_state,
            sla_elapsed_pct=self.sla.reading.percent if self.sla else None,
            sla_due_at=self.sla.reading.due_at.strftime("%Y-%m-%dT%H:%M:%SZ") if self.sla else None,
        )
        return out

    @property
    def sla_state(self) -> str | None:
        """ok / at_risk / breached / paused for open tickets; met / missed once resolved."""
        if self.sla is None:
            return None
        if self.sla.resolved:
            return "missed" if self.sla.reading.fraction >= 1 else "met"
        return self.sla.reading.state


class Engine:
    """Scores tickets with one loaded model and one policy configuration.

    Build it with :func:`triage.load`. Loading is the slow part (the transformer, the keyword
    pipeline); scoring many tickets reuses them. Scoring holds a lock around the models, so one
    engine may be shared by the threads of a service.
    """

    def __init__(
        self,
        model: ModelBundle,
        config: Config,
        encoder: TextEncoder | None = None,
        *,
        workers: int | None = None,
        cache_size: int = DEFAULT_CACHE_SIZE,
    ):
        self.model = model
        self.config = config
        encoder_settings = model.manifest.get("encoder", {}).get("settings", {})
        self.encoder = encoder or TextEncoder(settings=EncoderSettings(**encoder_settings), adapter=model.encoder_adapter)
        # The transformer's worker threads start, and make their first pass through the model (a
        # good part of a cold start), in the background while the keyword pipeline and the rest load.
        starting = WorkerStart(self.encoder, workers or available_cores())
        extra_words = [KeywordPattern(category, word) for category, words in config.extra_words.items() for word in words]
        keyword_nlp = build_keyword_pipeline(config.extra_pattern_files, extra_words)
        languages = tuple(model.manifest.get("sentiment", {}).get("languages", ["en"]))
        # Each distinct text is embedded once, on `workers` threads (default: one per core); the
        # last `cache_size` texts' signals are kept (see triage.dedupe).
        self.signals = DedupingSignalExtractor(
            self.encoder, model.sentiment_head, keyword_nlp, config, languages, cache_size=cache_size, workers=workers, starting=starting
        )
        self._lock = threading.Lock()

    def resolve_columns(self, names: list[str], columns: Mapping[str, str] | None = None) -> dict[str, str]:
        """Which input column feeds each triage field: explicit ``columns`` first, then the config's
        ``[columns]`` table, then the accepted aliases."""
        return resolve_columns(names, {**self.config.columns, **(columns or {})})

    def score_frame(
        self,
        frame: pd.DataFrame,
        columns: Mapping[str, str] | None = None,
        *,
        check_duplicate_ids: bool = True,
        contact_counts: Sequence[float] | None = None,
        as_of: datetime | str | None = None,
    ) -> pd.DataFrame:
        """Score every row of ``frame``; returns its columns, in order, plus the decision columns.

        ``columns`` maps triage names (text, subject, ticket_id, contact_count, customer_tier, is_vip,
        ltv, revenue_impact, created_at, requester, thread_id, reply_to) to column names when
        detection is not enough. Without a contact count column, contacts are counted from the
        frame's history when it names a requester and a time (see :mod:`triage.history`);
        ``contact_counts`` overrides both (used by file scoring, which counts over the whole file).
        Duplicate ticket ids are scored and kept, with a TriageWarning naming them (unless
        ``check_duplicate_ids`` is False, for callers that check across chunks themselves).
        SLA clocks are read at ``as_of`` (default: now) when the frame has a creation time.
        """
        if not isinstance(frame, pd.DataFrame):
            raise InputError(f"score_frame expects a pandas DataFrame; got {type(frame).__name__}.")
        found = self.resolve_columns(list(frame.columns), columns)
        tickets = prepare(frame, found)
        if check_duplicate_ids:
            warn_duplicate_ids(tickets.ticket_ids)
        inferred = False
        if contact_counts is not None:
            tickets.contact_count = np.asarray(contact_counts, dtype=float)
            inferred = "contact_count" not in found
        elif history_applies(found):
            tickets.contact_count = count_contacts(history_columns(frame, found), self.config.history)
            inferred = True
        clocks = clock_inputs(frame, found)
        return _attach(frame, self._score(tickets, contacts_from_history=inferred, clocks=clocks, as_of=resolve_as_of(as_of)), found)

    def score_ticket(
        self, ticket: Mapping[str, Any], columns: Mapping[str, str] | None = None, *, as_of: datetime | str | None = None
    ) -> TicketResult:
        """Score one ticket given as a mapping of field name to value (same names as a file's columns)."""
        if not isinstance(ticket, Mapping):
            raise InputError(f"score_ticket expects a dict of field -> value; got {type(ticket).__name__}.")
        frame = pd.DataFrame([dict(ticket)])
        found = self.resolve_columns(list(frame.columns), columns)
        return self._score(prepare(frame, found), clocks=clock_inputs(frame, found), as_of=resolve_as_of(as_of))[0]

    def prefetch(self, frame: pd.DataFrame, columns: Mapping[str, str] | None = None) -> None:
        """Start embedding the texts of ``frame`` on the worker threads and return at once.

        The ``score_frame`` call for the same rows then finds them done or under way. File scoring
        prefetches the next chunk while it scores the current one, so the transformer keeps the
        cores busy while the keyword matcher, the classifier and the rules run."""
        try:
            found = self.resolve_columns(list(frame.columns), columns)
        except TriageError:
            return  # scoring these rows reports the problem
        text_fields = {name: found[name] for name in ("text", "subject") if name in found}
        texts, _ = ticket_texts(prepare(frame, text_fields))
        self.signals.prefetch(texts)

    def cancel_prefetch(self) -> None:
        """Forget prefetched texts that will not be scored (a run stopped early)."""
        cancel = getattr(self.signals, "cancel_prefetch", None)
        if cancel is not None:
            cancel()

    def _score(
        self, tickets, contacts_from_history: bool = False, clocks: list[ClockInputs] | None = None, as_of: datetime | None = None
    ) -> list[TicketResult]:
        if not tickets.ticket_ids:
            return []
        texts, cleaned = ticket_texts(tickets)
        with self._lock:
            # The transformer starts on the worker threads; meanwhile the keyword matcher runs here
            # (its hits are cached, so extract finds them), then extract waits for the embeddings.
            self.signals.prefetch(texts)
            if self.signals.cache_size:
                self.signals.keywords(texts)
            signals = self.signals.extract(texts, tickets)
            # Each classifier's features are computed once and read three times.
            priority_model, tier_model = self.model.classifier["priority"], self.model.classifier["tier"]
            priority_matrix = feature_matrix(priority_model, signals.features)
            tier_matrix = feature_matrix(tier_model, signals.features)
            model_priorities, priority_confidence = propose(priority_model, signals.features, priority_matrix)
            model_tiers, tier_confidence = propose(tier_model, signals.features, tier_matrix)
            priority_signals = top_signals(priority_model, signals.features, model_priorities, matrix=priority_matrix)
            tier_signals = top_signals(tier_model, signals.features, model_tiers, matrix=tier_matrix)
        proba, hits, vip, languages = signals.sentiment_proba, signals.hits, signals.vip, signals.languages
        scores = SentimentHead.score_from_proba(proba)
        results = []
        for i, text in enumerate(texts):
            label = SENTIMENT_LABELS[int(proba[i].argmax())]
            model_priority, model_tier = str(model_priorities[i]), int(model_tiers[i])
            confidence = float(min(priority_confidence[i], tier_confidence[i]))
            ticket = TicketSignals(
                text=text,
                word_count=len(_WORD.findall(text)),
                sentiment=float(scores[i]),
                sentiment_label=label,
                hits=tuple(hits[i]),
                contact_count=float(tickets.contact_count[i]),
                customer_tier=self.config.canonical_tier(tickets.customer_tier[i]),
                vip=bool(vip[i]),
                ltv=float(tickets.ltv[i]),
                revenue_impact=float(tickets.revenue_impact[i]),
                model_confidence=confidence,
                language=languages[i].code,
                language_supported=self.signals.supports(languages[i]),
            )
            outcome = apply_policy(ticket, model_priority, model_tier, self.config)
            sla = None
            if clocks is not None:
                # The SLA targets follow the priority the other rules settle on; the SLA rule itself
                # never changes priority, so a second pass with the clock is final.
                try:
                    sla = sla_status(clocks[i], outcome.priority, ticket.customer_tier, as_of, self.config)
                except ClockProblem as problem:
                    tickets.problems[i].append(f"{problem}; no SLA clock for this ticket")
                    label_id = tickets.ticket_ids[i] or f"row {i + 1}"
                    warnings.warn(f"Ticket {label_id}: {problem}; no SLA clock for this ticket.", TriageWarning, stacklevel=3)
                if sla is not None:
                    outcome = apply_policy(replace(ticket, sla=sla), model_priority, model_tier, self.config)
            reasons = [
                f"Classifier proposed {model_priority} priority ({priority_confidence[i]:.0%}) "
                f"and tier {model_tier} ({tier_confidence[i]:.0%}); main signals: "
                f"{describe_signals(priority_signals[i])} for the priority, {describe_signals(tier_signals[i])} for the tier.",
                *outcome.reasons,
            ]
            if contacts_from_history and tickets.contact_count[i] > 1:
                reasons.append(
                    f"Contact number {int(tickets.contact_count[i])} counted from the export's history "
                    f"(same requester, same thread, subject or wording within {self.config.history.window_days:g} days)."
                )
            if cleaned[i].removed and text:
                # Only say what cleaning left out when it would have mattered: alarm words in the
                # removed parts (a threat in a quoted old message) that the kept text lacks.
                counted = {h.category for h in hits[i]}
                left_out = [(kind, h) for kind, h in hits_in_removed_text(self.signals.keyword_nlp, cleaned[i]) if h.category not in counted]
                if left_out:
                    listed = "; ".join(f"{h.category} '{h.text}' in a {kind}" for kind, h in left_out)
                    reasons.append(f"Not counted, because cleaning left it out: {listed} (the input column keeps the full text).")
            reasons.extend(f"Input problem: {note}." for note in tickets.problems[i])
            categories = [h.category for h in hits[i]]
            categories = list(dict.fromkeys([*categories, *outcome.flags]))
            results.append(
                TicketResult(
                    ticket_id=tickets.ticket_ids[i],
                    priority=outcome.priority,
                    tier=outcome.tier,
                    escalate=outcome.escalate,
                    sentiment=round(float(scores[i]), 4),
                    sentiment_label=label,
                    categories=tuple(categories),
                    reasons=tuple(reasons),
                    confidence=round(confidence, 4),
                    needs_review=outcome.needs_review,
                    actions=outcome.actions,
                    rules_fired=outcome.rules_fired,
                    rules_overriding=outcome.rules_overriding,
                    model_priority=model_priority,
                    model_tier=model_tier,
                    sla=sla,
                    text=text,
                    language=languages[i].code,
                )
            )
        return results


def _attach(frame: pd.DataFrame, results: list[TicketResult], found: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The input columns, untouched and in order, then the decision columns."""
    out = frame.copy()
    clashes = [name for name in OUTPUT_COLUMNS if name in out.columns]
    # A column triage reads as that very field (an export's `language`) is expected to come back
    # as input_<name> beside triage's value; only other clashes are worth a warning.
    surprising = [name for name in clashes if (found or {}).get(name) != name]
    if surprising:
        read = [name for name in clashes if name not in surprising]
        also = f" The column(s) {read} it read are kept the same way, as {[f'input_{c}' for c in read]}." if read else ""
        warnings.warn(
            f"Input already has column(s) {surprising}; kept as {[f'input_{c}' for c in surprising]} "
            f"so triage's decisions can use those names.{also}",
            TriageWarning,
            stacklevel=3,
        )
    out = out.rename(columns={c: f"input_{c}" for c in clashes})
    out["priority"] = [r.priority for r in results]
    out["tier"] = np.array([r.tier for r in results], dtype=np.int64)
    out["escalate"] = np.array([r.escalate for r in results], dtype=bool)
    out["sentiment"] = np.array([r.sentiment for r in results], dtype=float)
    out["sentiment_label"] = [r.sentiment_label for r in results]
    out["language"] = [r.language for r in results]
    out["categories"] = [list(r.categories) for r in results]
    out["reasons"] = [list(r.reasons) for r in results]
    out["confidence"] = np.array([r.confidence for r in results], dtype=float)
    out["needs_review"] = np.array([r.needs_review for r in results], dtype=bool)
    out["actions"] = [list(r.actions) for r in results]
    out["rules_fired"] = [list(r.rules_fired) for r in results]
    out["rules_overriding"] = [list(r.rules_overriding) for r in results]
    out["model_priority"] = [r.model_priority for r in results]
    out["model_tier"] = np.array([r.model_tier for r in results], dtype=np.int64)
    out["sla_clock"] = [r.sla.clock if r.sla else None for r in results]
    out["sla_state"] = [r.sla_state for r in results]
    out["sla_elapsed_pct"] = np.array([r.sla.reading.percent if r.sla else np.nan for r in results], dtype=float)
    out["sla_due_at"] = [r.sla.reading.due_at.strftime("%Y-%m-%dT%H:%M:%SZ") if r.sla else None for r in results]
    return out


def resolve_as_of(as_of: datetime | str | None) -> datetime:
    """The moment SLA clocks are read at: now (UTC) by default, or a given time (naive = UTC)."""
    if as_of is None:
        return datetime.now(timezone.utc)
    parsed = parse_timestamp(as_of, "UTC")
    if parsed is None:
        raise InputError(f"--as-of {as_of!r} is not a time; give one like 2026-11-30T12:00:00Z.")
    return parsed


def clock_inputs(frame: pd.DataFrame, found: Mapping[str, str]) -> list[ClockInputs] | None:
    """Per-row SLA inputs, or None when the frame has no creation time."""
    if "created_at" not in found:
        return None
    columns = {name: frame[found[name]].tolist() for name in CLOCK_FIELDS if name in found}
    rows = len(frame)
    def text(name: str) -> list[str]:
        return [text_value(v) for v in columns.get(name, [""] * rows)]

    status, team = text("status"), text("team")
    return [
        ClockInputs(
            created_at=columns["created_at"][i],
            status=status[i],
            first_response_at=columns.get("first_response_at", [None] * rows)[i],
            resolved_at=columns.get("resolved_at", [None] * rows)[i],
            updated_at=columns.get("updated_at", [None] * rows)[i],
            team=team[i],
        )
        for i in range(rows)
    ]


def load(
    path: str | Path | None = None,
    config: str | Path | Config | None = None,
    *,
    workers: int | None = None,
    cache_size: int = DEFAULT_CACHE_SIZE,
) -> Engine:
    """Load a triage engine.

    ``path`` is a model folder (default: the shipped ``models/default``); ``config`` a TOML policy
    file or a :class:`Config` (default: the escalation policy's defaults). ``workers`` threads run
    the transformer (default: one per available core); the signals of the last ``cache_size``
    distinct texts are kept, so repeated texts are embedded once (see :mod:`triage.dedupe`).
    """
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    settings = config if isinstance(config, Config) else load_config(config)
    return Engine(ModelBundle.load(path), settings, workers=workers, cache_size=cache_size)
