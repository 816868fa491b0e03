import json

import pandas as pd
import pytest

from triage.cli import main
from triage.tables import read_table

pytestmark = pytest.mark.slow

SAMPLE_ROWS = [
    {"ticket_id": "001", "description": "I HAVE BEEN CHARGED THREE TIMES. I AM CALLING MY LAWYER.", "contact_count": "1"},
    {"ticket_id": "002", "description": "How do I export my data to CSV?", "contact_count": "3.0"},
    {"ticket_id": "003", "description": "", "contact_count": ""},
]


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_score_each_format_keeps_rows_and_ids(tmp_path, capsys, suffix):
    source = tmp_path / "in.csv"
    pd.DataFrame(SAMPLE_ROWS).to_csv(source, index=False)
    out = tmp_path / f"scored{suffix}"
    assert main(["score", str(source), "-o", str(out), "--no-progress"]) == 0
    scored = read_table(out)
    assert scored["ticket_id"].astype(str).tolist() == ["001", "002", "003"]
    assert int(scored["tier"][0]) == 4
    printed = capsys.readouterr().out
    assert "rows read     3" in printed and "rows written  3" in printed and "escalate" in printed


def test_jsonl_input_to_default_output_name(tmp_path, capsys):
    source = tmp_path / "export.jsonl"
    source.write_text("\n".join(json.dumps(row) for row in SAMPLE_ROWS) + "\n", encoding="utf-8")
    assert main(["score", str(source), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert len(read_table(tmp_path / "export.scored.jsonl")) == 3


def test_missing_text_column_exits_2_with_one_line(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("id,subject,body_html\n1,Help,<p>Where is my order?</p>\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["score", str(source), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("triage: error: Missing text/description column: none of the accepted names (")
    assert not out.exists()


def test_bad_input_path_and_bad_model(tmp_path, capsys):
    assert main(["score", str(tmp_path / "absent.csv")]) == 2
    assert "does not exist" in capsys.readouterr().err
    source = tmp_path / "in.csv"
    source.write_text("text\nhello\n", encoding="utf-8")
    assert main(["score", str(source), "--model", str(tmp_path)]) == 2
    assert "is not a triage model" in capsys.readouterr().err


def test_bad_column_option(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("text\nhello\n", encoding="utf-8")
    assert main(["score", str(source), "--column", "text"]) == 2
    assert "--column expects FIELD=COLUMN" in capsys.readouterr().err


def test_duplicate_ids_across_chunks_are_warned_and_kept(tmp_path, capsys):
    source = tmp_path / "in.csv"
    source.write_text("ticket_id,description\n1001,Charged twice for May\n7,Hi there friend\n1001,Still no answer\n", encoding="utf-8")
    assert main(["score", str(source), "-o", str(tmp_path / "o.csv"), "--chunk-rows", "1"]) == 0
    captured = capsys.readouterr()
    assert "triage: warning: 1 duplicate ticket id(s): 1001." in captured.err
    assert len(read_table(tmp_path / "o.csv")) == 3


def test_help_lists_options(capsys):
    assert main(["score", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--output", "--config", "--model", "--column", "--chunk-rows"):
        assert option in text


def test_bundled_sample_scores_completely(tmp_path, capsys):
    from conftest import ROOT

    source = ROOT / "data" / "sample_tickets.csv"
    out = tmp_path / "sample.scored.parquet"
    assert main(["score", str(source), "-o", str(out), "--no-progress"]) == 0
    original = read_table(source)
    scored = read_table(out)
    assert len(scored) == len(original) >= 300
    assert scored["ticket_id"].tolist() == original["ticket_id"].tolist()
    assert set(scored["priority"]) <= {"Critical", "High", "Medium", "Low"}


def test_header_only_and_empty_files_give_empty_outputs(tmp_path, capsys):
    header = tmp_path / "header.csv"
    header.write_text("ticket_id,text\n", encoding="utf-8")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    for source in (header, empty):
        out = tmp_path / f"{source.stem}.scored.csv"
        assert main(["score", str(source), "-o", str(out), "--no-progress"]) == 0
        assert "holds no tickets" in capsys.readouterr().err
        assert out.exists()


def test_killed_run_leaves_no_partial_file(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    source = tmp_path / "big.csv"
    # Distinct texts: repeats come from the text cache, and 3,000 of one text are scored in seconds.
    pd.DataFrame({"ticket_id": range(3000), "text": [f"My parcel {i} never arrived, please help" for i in range(3000)]}).to_csv(source, index=False)
    out = tmp_path / "killed.csv"
    command = [sys.executable, "-m", "triage.cli", "score", str(source), "-o", str(out), "-q", "--chunk-rows", "100"]
    with subprocess.Popen(command, stderr=subprocess.PIPE, text=True) as process:
        time.sleep(8)  # loaded and scoring by then
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted; the output file was not written" in err
    assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]


def test_an_interrupted_resumable_run_says_what_was_kept(tmp_path, capsys, monkeypatch):
    from triage.resume import work_folder

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("triage.cli._score_to", interrupted)
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("ticket_id,text\n1,hello\n", encoding="utf-8")
    assert main(["score", str(source), "-o", str(out), "--resume"]) == 130
    assert "interrupted before the first chunk was scored; nothing was kept" in capsys.readouterr().err
    work_folder(out).mkdir()
    assert main(["score", str(source), "-o", str(out), "--resume"]) == 130
    assert f"the chunks scored so far are kept in {work_folder(out)}" in capsys.readouterr().err
