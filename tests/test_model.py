import json
import shutil

import numpy as np
import pytest
import skops.io as sio

from triage.errors import ModelLoadError
from triage.model import ModelBundle, default_model_path, load_classifier, read_manifest
from triage.sentiment import SentimentHead


@pytest.fixture()
def model_copy(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(default_model_path(), target)
    return target


def test_shipped_model_has_a_complete_manifest():
    manifest = read_manifest(default_model_path())
    assert manifest["format"] == "triage-model" and manifest["format_version"] == 1
    assert manifest["classifier"]["priority_labels"] == ["High", "Low", "Medium"]
    assert manifest["classifier"]["tier_labels"] == [1, 2, 3]
    assert manifest["sentiment"]["labels"] == ["negative", "neutral", "positive"]
    assert len(manifest["encoder"]["weights_sha256"]) == 64
    for part in ("sentiment", "classifier"):
        assert len(manifest[part]["training_data"]["sha256"]) == 64
        assert manifest[part]["training_data"]["held_out_rows"] > 0


def test_folder_without_manifest_is_refused(model_copy):
    (model_copy / "manifest.json").unlink()
    with pytest.raises(ModelLoadError, match="has no manifest.json. Refusing to load it."):
        ModelBundle.load(model_copy)


def test_unknown_format_version_is_refused(model_copy):
    manifest = json.loads((model_copy / "manifest.json").read_text())
    manifest["format_version"] = 99
    (model_copy / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelLoadError, match="version 99; this triage reads 'triage-model' versions \\[1\\]"):
        ModelBundle.load(model_copy)


class Sneaky:
    """Stands for any type outside scikit-learn's trusted set."""


def test_classifier_file_with_untrusted_types_is_refused(tmp_path):
    path = tmp_path / "classifier.skops"
    sio.dump({"priority": Sneaky(), "tier": Sneaky()}, path)
    with pytest.raises(ModelLoadError, match="holds types outside scikit-learn's trusted set"):
        load_classifier(path)


def test_missing_model_folder():
    with pytest.raises(ModelLoadError, match=r"does not exist; pass a model folder or the name of a shipped model \(default, fast\)"):
        ModelBundle.load("/nonexistent/model")


def test_sentiment_head_round_trips_through_safetensors(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 8)).astype(np.float32)
    y = np.array(["negative", "neutral", "positive"] * 20)
    head = SentimentHead().fit(X, y)
    head.save(tmp_path / "head.safetensors")
    loaded = SentimentHead.load(tmp_path / "head.safetensors")
    np.testing.assert_allclose(head.predict_proba(X), loaded.predict_proba(X), rtol=1e-6)
    scores = SentimentHead.score_from_proba(loaded.predict_proba(X))
    assert scores.min() >= -1 and scores.max() <= 1


def test_a_failed_write_into_a_staged_model_folder_leaves_the_old_one(tmp_path):
    from triage.model import staged_model_folder

    folder = tmp_path / "team"
    folder.mkdir()
    (folder / "manifest.json").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_model_folder(folder) as staging:
        (staging / "manifest.json").write_text("half", encoding="utf-8")
        raise RuntimeError("training stopped")
    assert (folder / "manifest.json").read_text(encoding="utf-8") == "old"
    with staged_model_folder(folder) as staging:
        (staging / "manifest.json").write_text("new", encoding="utf-8")
        assert (folder / "manifest.json").read_text(encoding="utf-8") == "old"  # not before the block ends
    assert [p.name for p in tmp_path.iterdir()] == ["team"] and (folder / "manifest.json").read_text(encoding="utf-8") == "new"


def test_a_training_target_that_is_not_a_model_folder_is_refused(tmp_path, monkeypatch):
    from triage.errors import InputError
    from triage.model import check_model_target, staged_model_folder

    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(InputError, match="holds files but no model"), staged_model_folder(project):
        pass
    assert (project / "notes.txt").read_text(encoding="utf-8") == "keep me"
    with pytest.raises(InputError, match="is a file; a model is a folder"):
        check_model_target(project / "notes.txt")
    monkeypatch.chdir(project)
    with pytest.raises(InputError, match="is the working folder"):
        check_model_target(".")
    (tmp_path / "empty").mkdir()
    assert check_model_target(tmp_path / "empty") == (tmp_path / "empty").resolve()
    # A link to a model folder: the new model replaces the folder it points to, and the link stays.
    (tmp_path / "v1").mkdir()
    (tmp_path / "v1" / "manifest.json").write_text("old", encoding="utf-8")
    (tmp_path / "current").symlink_to(tmp_path / "v1")
    with staged_model_folder(tmp_path / "current") as staging:
        (staging / "manifest.json").write_text("new", encoding="utf-8")
    assert (tmp_path / "current").is_symlink() and (tmp_path / "current" / "manifest.json").read_text(encoding="utf-8") == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["current", "empty", "project", "v1"]


def test_shipped_models_are_found_by_name_unless_a_folder_has_that_name(tmp_path, monkeypatch):
    from triage.model import model_folder, shipped_model_path

    assert model_folder(None) == default_model_path() == shipped_model_path("default")
    assert model_folder("fast") == shipped_model_path("fast") != default_model_path()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fast").mkdir()
    assert model_folder("fast").resolve() == (tmp_path / "fast").resolve()
    with pytest.raises(ModelLoadError, match="No shipped model 'quick'"):
        shipped_model_path("quick")


def test_the_fast_model_is_a_distilled_default_model():
    from triage.model import shipped_model_path

    fast, default = read_manifest(shipped_model_path("fast")), read_manifest(default_model_path())
    assert fast["encoder"]["layers"] == [0, 3, 5] and "layers" not in default["encoder"]
    distilled = fast["sentiment"]["distillation"]
    assert distilled["teacher"] == "default" and distilled["teacher_metrics"] == default["sentiment"]["metrics"]
    assert fast["classifier"]["feature_names"] == default["classifier"]["feature_names"]
    bundle = ModelBundle.load("fast")
    # The student learnt to match the teacher under the teacher's sentiment head, and keeps it.
    assert np.array_equal(bundle.sentiment_head.coef_, ModelBundle.load().sentiment_head.coef_)
    from safetensors import safe_open

    with safe_open(str(bundle.encoder_adapter), framework="pt") as handle:
        assert handle.metadata()["layers"] == "0,3,5"
