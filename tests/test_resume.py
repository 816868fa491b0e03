import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from triage.batch import score_file
from triage.cli import main
from triage.resume import JOURNAL, ResumeError, work_folder
from triage.tables import read_table

pytestmark = pytest.mark.slow

AS_OF = "2026-11-30T12:00:00Z"
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_tickets.csv"


def _export(tmp_path: Path, rows: int) -> Path:
    """Real sample tickets, with the first ones' texts sent again later (bulk mail) under new ids."""
    frame = read_table(SAMPLE).head(rows)
    repeats = frame.head(rows // 5).assign(ticket_id=lambda f: "R-" + f["ticket_id"])
    path = tmp_path / "export.csv"
    frame = pd.concat([frame, repeats], ignore_index=True)
    frame.to_csv(path, index=False)
    return path


def _chunks_done(output: Path) -> int:
    try:
        return len(json.loads((work_folder(output) / JOURNAL).read_text(encoding="utf-8"))["chunks"])
    except (OSError, ValueError):  # not written yet, or being replaced
        return 0


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_killed_run_resumes_to_exactly_the_uninterrupted_output(engine, tmp_path, monkeypatch, capsys, suffix):
    source = _export(tmp_path, 125)  # 150 rows, 10 chunks of 15
    reference = tmp_path / f"reference{suffix}"
    score_file(engine, source, reference, chunk_rows=15, as_of=AS_OF)
    out = tmp_path / f"scored{suffix}"
    command = [sys.executable, "-m", "triage.cli", "score", str(source), "-o", str(out), "--chunk-rows", "15", "--as-of", AS_OF, "--resume", "-q"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        deadline = time.monotonic() + 120
        while _chunks_done(out) < 2 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        _, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL, err
    done = _chunks_done(out)
    assert 2 <= done < 10 and not out.exists()

    monkeypatch.setattr("triage.engine.load", lambda *args, **kwargs: engine)  # the CLI's engine: the one loaded here
    assert main(["score", str(source), "-o", str(out), "--chunk-rows", "20", "--resume", "-q"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the options differ (chunk_rows 15 then, 20 now)" in err
    assert main(["score", str(source), "-o", str(out), "--chunk-rows", "15", "--resume"]) == 0  # same moment as the killed run
    printed = capsys.readouterr().out
    assert "rows read     150" in printed and f"resumed       {done * 15} rows scored by the interrupted run" in printed
    assert out.read_bytes() == reference.read_bytes()
    assert not work_folder(out).exists()


def test_interrupted_run_keeps_its_chunks_and_refuses_other_inputs(engine, tmp_path):
    source = _export(tmp_path, 50)  # 60 rows, 3 chunks
    reference = tmp_path / "reference.jsonl"
    score_file(engine, source, reference, chunk_rows=20, as_of=AS_OF)
    out = tmp_path / "scored.jsonl"

    def interrupt_at(chunk: int):
        seen = []

        def on_chunk(scored):
            seen.append(len(scored))
            if len(seen) == chunk:
                raise KeyboardInterrupt  # as Ctrl-C would, once that chunk is kept

        return on_chunk

    with pytest.raises(KeyboardInterrupt):
        score_file(engine, source, out, chunk_rows=20, as_of=AS_OF, resume=True, on_chunk=interrupt_at(2))
    assert _chunks_done(out) == 2 and not out.exists()
    with pytest.raises(ResumeError, match="read SLA clocks at 2026-11-30T12:00:00"):
        score_file(engine, source, out, chunk_rows=20, as_of="2026-12-01T00:00:00Z", resume=True)
    summary = score_file(engine, source, out, chunk_rows=20, resume=True)
    assert summary.rows_resumed == 40 and summary.rows_read == summary.rows_written == 60
    assert out.read_bytes() == reference.read_bytes() and not work_folder(out).exists()

    out.unlink()
    with pytest.raises(KeyboardInterrupt):
        score_file(engine, source, out, chunk_rows=20, as_of=AS_OF, resume=True, on_chunk=interrupt_at(1))
    with open(source, "a", encoding="utf-8") as handle:
        handle.write("T-NEW,,,,,,Late addition,Is anyone there?,,,,,\n")
    with pytest.raises(ResumeError, match="the input file changed since the interrupted run"):
        score_file(engine, source, out, chunk_rows=20, resume=True)
    summary = score_file(engine, source, out, chunk_rows=20, as_of=AS_OF)  # without resume: starts over
    assert summary.rows_written == 61 and not work_folder(out).exists()


def test_converted_helpdesk_export_resumes(engine, tmp_path, monkeypatch, capsys):
    """A Zendesk JSON export is flattened into a new temporary file on every run; the journal
    fingerprints the export itself, so the second run continues instead of refusing."""
    source = Path(__file__).parent / "fixtures" / "zendesk_tickets.json"
    reference, out = tmp_path / "reference.csv", tmp_path / "scored.csv"
    monkeypatch.setattr("triage.engine.load", lambda *args, **kwargs: engine)
    assert main(["score", str(source), "-o", str(reference), "--chunk-rows", "1", "--as-of", AS_OF, "-q"]) == 0
    calls = []
    score_frame = engine.score_frame

    def interrupted_after_two(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return score_frame(*args, **kwargs)

    monkeypatch.setattr(engine, "score_frame", interrupted_after_two)
    assert main(["score", str(source), "-o", str(out), "--chunk-rows", "1", "--as-of", AS_OF, "--resume", "-q"]) == 130
    assert _chunks_done(out) == 2 and not out.exists()
    monkeypatch.setattr(engine, "score_frame", score_frame)
    assert main(["score", str(source), "-o", str(out), "--chunk-rows", "1", "--resume", "-q"]) == 0, capsys.readouterr().err
    assert out.read_bytes() == reference.read_bytes()
