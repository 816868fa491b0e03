"""Score a Spark DataFrame on the cluster's workers.

    from triage.spark import score_spark
    scored = score_spark(spark.read.parquet("s3://bucket/tickets/"), path="model", as_of="2026-11-30T12:00:00Z")
    scored.write.parquet("s3://bucket/tickets_scored/")

Rows go to the workers in Arrow batches (``mapInPandas``); each worker process loads the engine
once, on its first batch, and keeps it for the batches and tasks that follow (Spark reuses its
Python workers), so the model is read once per worker, not once per task. The result holds the
input columns, then triage's decision columns, with a Spark schema: lists are ``array<string>``,
tiers ``bigint``, flags ``boolean``, scores ``double``.

Needs ``pip install "triage[spark]"`` on the driver and on the workers, and the model folder on
every worker (see the README's "Spark" section).
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .config import Config
from .engine import OUTPUT_COLUMNS, Engine, load, resolve_as_of
from .errors import TriageWarning
from .resume import canonical

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

_LIST_COLUMNS = frozenset({"categories", "reasons", "actions", "rules_fired", "rules_overriding"})
_INTEGER_COLUMNS = frozenset({"tier", "model_tier"})
_FLAG_COLUMNS = frozenset({"escalate", "needs_review"})
_NUMBER_COLUMNS = frozenset({"sentiment", "confidence", "sla_elapsed_pct"})

_ENGINES: dict[tuple, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def _config_key(config: str | Path | Config | None) -> str | None:
    if config is None or isinstance(config, (str, Path)):
        return None if config is None else str(config)
    text = json.dumps(canonical(config), sort_keys=True)
    return "config:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def worker_engine(path: str | None, config: str | Path | Config | None = None, workers: int = 1) -> Engine:
    """The engine of this process for a model folder and a configuration, loaded on first use.

    A Spark worker calls this for every batch; only the first call of a process loads."""
    key = (path, _config_key(config), workers)
    with _ENGINES_LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            engine = _ENGINES[key] = load(path, config, workers=workers)
        return engine


def triage_fields():
    """The Spark fields of triage's decision columns, in output order."""
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        LongType,
        StringType,
        StructField,
    )

    def spark_type(name: str):
        if name in _LIST_COLUMNS:
            return ArrayType(StringType())
        if name in _INTEGER_COLUMNS:
            return LongType()
        if name in _FLAG_COLUMNS:
            return BooleanType()
        if name in _NUMBER_COLUMNS:
            return DoubleType()
        return StringType()

    return [StructField(name, spark_type(name), nullable=True) for name in OUTPUT_COLUMNS]


def output_schema(input_schema: StructType) -> StructType:
    """The schema ``score_spark`` returns for an input of ``input_schema``: the input's fields (one
    named like a decision column is kept as ``input_<name>``, as ``score_frame`` does), then
    triage's fields."""
    from pyspark.sql.types import StructField, StructType

    clashes = set(OUTPUT_COLUMNS)
    kept = [
        StructField(f"input_{f.name}" if f.name in clashes else f.name, f.dataType, f.nullable, f.metadata)
        for f in input_schema.fields
    ]
    return StructType(kept + triage_fields())


def _score_batches(
    batches: Iterator[pd.DataFrame],
    path: str | None,
    config: str | Path | Config | None,
    columns: Mapping[str, str] | None,
    as_of: str,
    workers: int,
) -> Iterator[pd.DataFrame]:
    engine = worker_engine(path, config, workers)
    for batch in batches:
        if not len(batch):
            continue
        found = engine.resolve_columns(list(batch.columns), columns)
        # Contacts are counted only from a contact_count column: history inside one Arrow batch
        # would depend on how Spark split the rows.
        unknown = None if "contact_count" in found else np.full(len(batch), np.nan)
        with warnings.catch_warnings():
            # What a warning would say is in the row's reasons ("Input problem: ..."); a worker's
            # stderr is no place to read it.
            warnings.simplefilter("ignore", TriageWarning)
            yield engine.score_frame(batch, columns, check_duplicate_ids=False, contact_counts=unknown, as_of=as_of)


def score_spark(
    df: DataFrame,
    path: str | Path | None = None,
    config: str | Path | Config | None = None,
    columns: Mapping[str, str] | None = None,
    as_of: datetime | str | None = None,
    workers: int = 1,
) -> DataFrame:
    """Score every row of the Spark DataFrame ``df``; returns its columns plus the decision columns.

    ``path`` is the model folder as the workers see it (default: the shipped model), ``config`` a
    policy file on the workers or a :class:`~triage.Config`, ``columns`` maps triage fields to
    column names as in :meth:`Engine.score_frame`. SLA clocks are read at ``as_of`` (default: now,
    taken once on the driver so every partition reads the same moment). ``workers`` is the number
    of transformer threads per Spark task (Spark already runs one task per core). Contact counts
    come from a ``contact_count`` column when there is one; history-based counting, which needs
    all of a requester's tickets together, is not done here.
    """
    moment = resolve_as_of(as_of).isoformat()
    model = None if path is None else str(path)
    fixed = dict(columns) if columns else None

    def score(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        return _score_batches(batches, model, config, fixed, moment, workers)

    return df.mapInPandas(score, output_schema(df.schema))
