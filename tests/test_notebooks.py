"""The notebooks run end to end on a 300-ticket sample, and the model they train is a real triage model."""

import json

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

import triage
from triage.cli import main
from triage.errors import ModelLoadError
from triage.model import default_model_path, read_manifest

from conftest import ROOT

NOTEBOOKS = ROOT / "notebooks"


def run_notebook(name: str, parameters: dict, workdir) -> nbformat.NotebookNode:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells = [c for c in notebook.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"{name} must have exactly one cell tagged 'parameters'"
    cells[0].source = "\n".join(f"{key} = {value!r}" for key, value in parameters.items())
    NotebookClient(notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}).execute()
    return notebook


@pytest.fixture(scope="module")
def sample_export(shared_data, tmp_path_factory):
    data = pd.read_csv(shared_data / "support_tickets" / "tickets_multilang.csv", dtype=str, keep_default_na=False)
    path = tmp_path_factory.mktemp("export") / "sample.csv"
    data[data["language"] == "en"].head(300).to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def trained(sample_export, tmp_path_factory):
    work = tmp_path_factory.mktemp("retrain")
    model = work / "team_model"
    run_notebook(
        "retrain.ipynb",
        {"EXPORT": str(sample_export), "OUT": str(model), "LANGUAGE": None, "PRIORITY_COLUMN": None, "TIER_FROM": None, "FORCE": True, "SEARCH": False},
        work,
    )
    return model


@pytest.mark.slow
def test_retrain_notebook_writes_a_model_with_the_shipped_manifest_structure(trained):
    manifest, default = read_manifest(trained), read_manifest(default_model_path())
    assert set(default) <= set(manifest)
    assert set(default["classifier"]) - {"calm_message_examples"} <= set(manifest["classifier"])
    data = manifest["classifier"]["training_data"]
    assert data["rows"] == 300 and len(data["sha256"]) == 64 and data["targets_trained"] == ["priority", "tier"]
    assert manifest["classifier"]["priority_labels"] == ["High", "Low", "Medium"]
    assert manifest["classifier"]["config_used"]["labels"]["tier_from"] is None
    assert (trained / "sentiment_head.safetensors").read_bytes() == (default_model_path() / "sentiment_head.safetensors").read_bytes()
    assert (trained / "MODEL_CARD.md").read_text().startswith("# triage model `team_model` (retrained on a team export)")


@pytest.mark.slow
def test_trained_model_loads_and_scores_from_the_command_line(trained, sample_export, tmp_path, capsys):
    engine = triage.load(trained)
    assert engine.score_ticket({"text": "Our site is down and nobody can log in."}).priority in {"Critical", "High", "Medium", "Low"}
    small = tmp_path / "five.csv"
    pd.read_csv(sample_export, dtype=str, keep_default_na=False).head(5).to_csv(small, index=False)
    assert main(["score", str(small), "-o", str(tmp_path / "scored.csv"), "--model", str(trained), "-q"]) == 0
    assert len(pd.read_csv(tmp_path / "scored.csv")) == 5


@pytest.mark.slow
def test_tampered_team_model_is_refused(trained, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(trained, copy)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["format"] = "pickle"
    (copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="declares format 'pickle' version 1"):
        triage.load(copy)


@pytest.mark.slow
def test_evaluate_notebook_writes_the_report(trained, sample_export, tmp_path):
    report = tmp_path / "report"
    notebook = run_notebook(
        "evaluate.ipynb",
        {"MODEL": str(trained), "EXPORT": str(sample_export), "LANGUAGE": None, "TIER_FROM": None, "REPORT": str(report)},
        tmp_path,
    )
    assert sorted(p.name for p in report.iterdir()) == ["confusion_priority.png", "confusion_tier.png", "metrics.json", "report.md"]
    metrics = json.loads((report / "metrics.json").read_text())
    assert metrics["trained_on_this_export"] is True
    assert metrics["targets"]["tier"]["escalation"]["text"].startswith("no tier 4 tickets in the labels")
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "TF-IDF + logistic regression (text only)" in printed


@pytest.mark.slow
def test_evaluate_command_prints_tables_and_writes_plots(trained, sample_export, tmp_path, capsys):
    assert main(["evaluate", str(trained), str(sample_export), "--report", str(tmp_path / "eval")]) == 0
    out = capsys.readouterr().out
    assert "priority (" in out and "tier (" in out and "majority class" in out
    assert "escalation: no Critical tickets in the labels; escalation recall for Critical cannot be measured" in out
    assert (tmp_path / "eval" / "confusion_tier.png").is_file()


@pytest.mark.slow
def test_sentiment_notebook_fine_tunes_and_evaluates_a_small_labelled_csv(shared_data, tmp_path):
    tweets = pd.read_csv(shared_data / "airline_sentiment" / "tweets.csv", dtype=str, keep_default_na=False)
    labelled = tmp_path / "labelled.csv"
    tweets.sample(n=300, random_state=0)[["tweet_id", "text", "airline_sentiment"]].to_csv(labelled, index=False)
    out = tmp_path / "sentiment_model"
    parameters = {
        "DATA": str(labelled), "TEXT_COLUMN": "text", "LABEL_COLUMN": "airline_sentiment", "ID_COLUMN": "tweet_id",
        "OUT": str(out), "BASE_MODEL": None, "EPOCHS": 1, "MAX_ROWS": 60,
    }
    notebook = run_notebook("sentiment.ipynb", parameters, tmp_path)
    printed = "".join(o.get("text", "") for c in notebook.cells if c.cell_type == "code" for o in c.outputs)
    assert "Sentiment on" in printed and "required" in printed
    manifest = read_manifest(out)
    assert manifest["sentiment"]["training_data"]["rows"] == 300 and manifest["encoder"]["adapter"]
    assert [h["epoch"] for h in manifest["sentiment"]["fine_tuning"]["history"]] == [1]
    with pytest.warns(triage.TriageWarning, match="differently tuned encoder"):  # the carried-over classifier
        engine = triage.load(out)
    assert engine.score_ticket({"text": "Thanks, all sorted now!"}).sentiment_label in {"positive", "neutral", "negative"}
