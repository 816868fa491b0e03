import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is in the test extra: pip install -e '.[test]'")

from triage.engine import OUTPUT_COLUMNS
from triage.errors import TriageWarning
from triage.spark import output_schema, score_spark, worker_engine

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (17 or later) on PATH"),
]

AS_OF = "2026-11-30T12:00:00Z"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_tickets.csv"


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("PYSPARK_PYTHON", sys.executable)  # the workers run this environment's Python, with triage
    session = (
        SparkSession.builder.master("local[2]")
        .appName("triage-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "8")  # several batches through one worker's engine
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()
    monkeypatch.undo()


def _plain(value):
    return list(value) if hasattr(value, "__len__") and not isinstance(value, str) else value


def test_score_spark_equals_score_frame(spark, engine):
    rows = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False).head(30)
    rows["priority"] = "urgent"  # a column named like a decision column is kept as input_priority
    frame = spark.createDataFrame(rows).coalesce(1)
    scored = score_spark(frame, as_of=AS_OF)
    names = [f.name for f in scored.schema.fields]
    assert names == [*(c if c != "priority" else "input_priority" for c in rows.columns), *OUTPUT_COLUMNS]
    types = {f.name: f.dataType.simpleString() for f in scored.schema.fields}
    assert (types["tier"], types["escalate"], types["sentiment"], types["reasons"]) == ("bigint", "boolean", "double", "array<string>")

    got = scored.toPandas()
    with pytest.warns(TriageWarning, match="kept as \\['input_priority'\\]"):
        expected = engine.score_frame(rows, as_of=AS_OF)
    assert got["ticket_id"].tolist() == expected["ticket_id"].tolist()
    for column in expected.columns:
        assert [_plain(v) for v in got[column]] == [_plain(v) for v in expected[column]], column


def test_output_schema_and_worker_engine_cache(engine, monkeypatch):
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    schema = output_schema(StructType([StructField("id", LongType()), StructField("tier", StringType())]))
    assert [f.name for f in schema.fields][:3] == ["id", "input_tier", "priority"]
    loads = []
    monkeypatch.setattr("triage.spark.load", lambda *args, **kwargs: loads.append(args) or engine)
    monkeypatch.setattr("triage.spark._ENGINES", {})
    assert worker_engine("models/x", None) is worker_engine("models/x", None) is engine
    worker_engine("models/y", None)
    assert loads == [("models/x", None), ("models/y", None)]
