"""Resumable file scoring: a run that is interrupted (Ctrl-C, SIGKILL, a lost machine) continues
where it stopped and writes exactly the file an uninterrupted run writes.

A resumable run keeps its work in a folder next to the output, ``OUTPUT.partial/``:

- ``chunk-000000.csv``, ``chunk-000001.csv``, ... : each scored chunk as the bytes it adds to the
  output (for CSV, TSV and JSON Lines) or as an Arrow IPC file (for Parquet), each written to a
  temporary name, flushed to disk and renamed, so a chunk file is whole or absent;
- ``journal.json``: what the run scores (a fingerprint of the input file, the model, the policy
  configuration, the reading options and the moment SLA clocks are read at) and, per completed
  chunk, its row count and its share of the run summary; rewritten the same atomic way after each
  chunk file, so it never names a chunk that is not on disk;
- ``lock``: held (``flock``) while a run writes the folder, so two runs cannot write into it.

When every chunk is done, the chunk files are put together, in order, through the same writer an
uninterrupted run uses (into a temporary file renamed into place), and the folder is removed.
Continuing refuses, with one line saying what differs, when the input, the model, the
configuration or the options are not those of the interrupted run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from . import __version__
from .errors import TriageError
from .tables import write_atomically

JOURNAL = "journal.json"
JOURNAL_FORMAT = "triage-resume"
JOURNAL_VERSION = 1
HEAD_BYTES = 1 << 20


class ResumeError(TriageError):
    """A run cannot be continued: its work folder belongs to a different input, model or options."""


def work_folder(output: str | Path) -> Path:
    """The folder a resumable run keeps its finished chunks in: ``OUTPUT.partial/`` next to OUTPUT."""
    output = Path(output)
    return output.with_name(output.name + ".partial")


def _sha256_head(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read(HEAD_BYTES)).hexdigest()


def input_fingerprint(path: str | Path) -> dict[str, Any]:
    """Size, modification time and a hash of the first MiB of the input (of each Parquet part for a
    folder): cheap to take, and any rewrite of the file changes it."""
    path = Path(path).resolve()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    parts = []
    for file in files:
        stat = file.stat()
        parts.append(
            {"file": str(file.relative_to(path)) if path.is_dir() else file.name, "size": stat.st_size,
             "mtime_ns": stat.st_mtime_ns, "sha256_first_mib": _sha256_head(file)}
        )
    return {"path": str(path), "files": parts}


def canonical(value: Any) -> Any:
    """``value`` as plain JSON data with a stable order, the same in every process (for hashing a
    configuration: dataclasses, mappings, sets, paths and dates included)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: canonical(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return sorted(([canonical(k), canonical(v)] for k, v in value.items()), key=repr)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((canonical(v) for v in value), key=repr)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "__dict__"):
        return [type(value).__name__, canonical(vars(value))]
    return [type(value).__name__, str(value)]


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def engine_fingerprint(engine) -> dict[str, Any]:
    """What decides the scores besides the input: triage's version, the model folder's files, the
    encoder's settings and the policy configuration (with the pattern files it names)."""
    folder = Path(engine.model.path).resolve()
    model_files = {
        p.name: _file_sha256(p)
        for p in sorted(folder.iterdir())
        if p.is_file() and p.suffix in (".json", ".skops", ".safetensors")
    }
    config = engine.config
    pattern_files = {str(p): _file_sha256(Path(p)) for p in config.extra_pattern_files if Path(p).is_file()}
    config_text = json.dumps(canonical(config), sort_keys=True, ensure_ascii=True)
    return {
        "triage": __version__,
        "model": {"path": str(folder), "files": model_files},
        "encoder": canonical(engine.encoder.settings),
        "config_sha256": hashlib.sha256(config_text.encode("utf-8")).hexdigest(),
        "pattern_files": pattern_files,
    }


def _describe_difference(stored: Mapping[str, Any], current: Mapping[str, Any]) -> str:
    if stored.get("input") != current.get("input"):
        before, now = stored.get("input", {}), current.get("input", {})
        if before.get("path") != now.get("path"):
            return f"the input is '{now.get('path')}', the interrupted run read '{before.get('path')}'"
        return "the input file changed since the interrupted run (its size, modification time or first MiB differ)"
    if stored.get("options") != current.get("options"):
        before, now = stored.get("options", {}), current.get("options", {})
        changed = [f"{key} {before.get(key)!r} then, {now.get(key)!r} now" for key in sorted(set(before) | set(now)) if before.get(key) != now.get(key)]
        return "the options differ (" + "; ".join(changed) + ")"
    before, now = stored.get("engine", {}), current.get("engine", {})
    if before.get("triage") != now.get("triage"):
        return f"triage {before.get('triage')} wrote it; this is triage {now.get('triage')}"
    if before.get("model") != now.get("model") or before.get("encoder") != now.get("encoder"):
        return "the model differs from the interrupted run's"
    return "the policy configuration (or a pattern file it names) differs from the interrupted run's"


def discard_work_folder(output: str | Path) -> bool:
    """Remove the work folder an interrupted run left next to ``output``, unless a run holds it."""
    folder = work_folder(output)
    if not (folder / JOURNAL).is_file():
        return False
    import fcntl

    with open(folder / "lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        shutil.rmtree(folder, ignore_errors=True)
    return True


@dataclasses.dataclass
class ChunkRecord:
    """A finished chunk: its position, its row count and its share of the run summary."""

    index: int
    rows: int
    file: str
    summary: dict[str, Any]


class RunJournal:
    """The work folder of one resumable run (see the module docstring).

    Open it with :meth:`open`, then ``record`` each scored chunk and ``finish`` into the output.
    """

    def __init__(self, output: Path, fingerprint: dict[str, Any], as_of: str, chunks: list[ChunkRecord]):
        self.output = Path(output)
        self.folder = work_folder(self.output)
        self.fingerprint = fingerprint
        self.as_of = as_of
        self.chunks = chunks
        self._lock_handle = None

    @classmethod
    def open(cls, output: str | Path, fingerprint: dict[str, Any], as_of: str | None, resume: bool) -> RunJournal:
        """The run's journal: the interrupted run's when ``resume`` and one exists (refused with a
        :class:`ResumeError` when it scored something else), else a new, empty one.

        ``as_of`` is the moment SLA clocks are read at, in ISO form, or None for "now"; a continued
        run reads them at the interrupted run's moment, so its rows agree with the earlier ones.
        """
        output = Path(output)
        folder = work_folder(output)
        journal = None
        if resume and (folder / JOURNAL).is_file():
            journal = cls._read(output, fingerprint, as_of)
        if journal is None:
            if as_of is None:
                as_of = dt.datetime.now(dt.UTC).isoformat()
            journal = cls(output, fingerprint, as_of, [])
        journal._take_lock(fresh=not journal.chunks)
        journal._save()
        return journal

    @classmethod
    def _read(cls, output: Path, fingerprint: dict[str, Any], as_of: str | None) -> RunJournal:
        folder = work_folder(output)
        try:
            stored = json.loads((folder / JOURNAL).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ResumeError(f"Cannot resume into '{output}': {folder / JOURNAL} is unreadable ({exc}). Run without --resume to start over.") from None
        if stored.get("format") != JOURNAL_FORMAT or stored.get("format_version") != JOURNAL_VERSION:
            raise ResumeError(
                f"Cannot resume into '{output}': {folder / JOURNAL} is not a triage {JOURNAL_VERSION} journal. Run without --resume to start over."
            )
        if stored.get("fingerprint") != fingerprint:
            reason = _describe_difference(stored.get("fingerprint", {}), fingerprint)
            raise ResumeError(f"Cannot resume into '{output}': {reason}. Run without --resume to start over (that replaces {folder}).")
        if as_of is not None and as_of != stored.get("as_of"):
            raise ResumeError(
                f"Cannot resume into '{output}': the interrupted run read SLA clocks at {stored.get('as_of')}, this one asks for {as_of}. "
                "Drop --as-of to continue at the same moment, or run without --resume to start over."
            )
        chunks = [ChunkRecord(**record) for record in stored.get("chunks", [])]
        # Keep only the chunks whose files are on disk, in order from the first.
        complete = []
        for position, record in enumerate(chunks):
            if record.index != position or not (folder / record.file).is_file():
                break
            complete.append(record)
        return cls(output, fingerprint, stored["as_of"], complete)

    def _take_lock(self, fresh: bool) -> None:
        import fcntl

        if fresh and self.folder.exists():
            self._check_not_locked()
            shutil.rmtree(self.folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        handle = open(self.folder / "lock", "w")  # noqa: SIM115 - held open (and locked) until close()
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ResumeError(f"Another triage run is writing '{self.folder}'; wait for it to finish or stop it first.") from None
        self._lock_handle = handle

    def _check_not_locked(self) -> None:
        import fcntl

        lock = self.folder / "lock"
        if not lock.is_file():
            return
        with open(lock, "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ResumeError(f"Another triage run is writing '{self.folder}'; wait for it to finish or stop it first.") from None

    def _save(self) -> None:
        data = {
            "format": JOURNAL_FORMAT,
            "format_version": JOURNAL_VERSION,
            "output": str(self.output),
            "as_of": self.as_of,
            "fingerprint": self.fingerprint,
            "chunks": [dataclasses.asdict(c) for c in self.chunks],
        }
        write_atomically(self.folder / JOURNAL, json.dumps(data, indent=1) + "\n", durable=True)

    @property
    def rows_done(self) -> int:
        return sum(c.rows for c in self.chunks)

    def chunk_file(self, index: int) -> str:
        suffix = self.output.suffix.lower()
        return f"chunk-{index:06d}" + (".arrow" if suffix in (".parquet", ".pq") else suffix)

    def record(self, fragment, rows: int, summary: dict[str, Any]) -> None:
        """Keep the next chunk: its fragment (text, or an Arrow table for Parquet) on disk first,
        then its entry in the journal."""
        index = len(self.chunks)
        name = self.chunk_file(index)
        if isinstance(fragment, str):
            data = fragment.encode("utf-8")
        else:
            import pyarrow as pa

            sink = pa.BufferOutputStream()
            with pa.ipc.new_file(sink, fragment.schema) as writer:
                writer.write_table(fragment)
            data = sink.getvalue().to_pybytes()
        write_atomically(self.folder / name, data, durable=True)
        self.chunks.append(ChunkRecord(index, rows, name, summary))
        self._save()

    def fragment(self, record: ChunkRecord):
        path = self.folder / record.file
        if path.suffix == ".arrow":
            import pyarrow as pa

            return pa.ipc.open_file(pa.BufferReader(path.read_bytes())).read_all()
        return path.read_bytes().decode("utf-8")

    def finish(self, writer) -> None:
        """Write every chunk, in order, through ``writer`` (a :class:`triage.tables.TableWriter`)."""
        for record in self.chunks:
            writer.write_fragment(self.fragment(record), record.rows)

    def close(self, remove: bool) -> None:
        """Release the lock; ``remove`` the folder once the output is in place."""
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None
        if remove:
            shutil.rmtree(self.folder, ignore_errors=True)
