import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from triage.cli import main
from triage.config import load_config
from triage.errors import InputError
from triage.report import build_report, render_report, report_file
from triage.tables import TableWriter

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--enable-logging=stderr", "--v=0",
]


def scored(with_time: bool = True) -> pd.DataFrame:
    """Six tickets as triage score writes them, one with markup in its subject."""
    frame = pd.DataFrame(
        {
            "ticket_id": ["T1", "T2", "T3", "T4", "T5", "T6"],
            "created_at": ["2026-11-02T08:00Z", "2026-11-02T15:00Z", "2026-11-03T09:00Z", "2026-11-04T10:00Z", "not a time", "2026-11-05T11:00Z"],
            "resolved_at": ["2026-11-02T12:00Z", "", "2026-11-03T10:00Z", "", "", "2026-11-05T19:00Z"],
            "subject": ["Site down", "<script>alert(1)</script> refund", "Password", "Lawyer", "", "Invoice for jo.smith@example.com, call +44 20 7946 0958"],
            "body": ["Nothing loads.", "Charged twice.", "Reset please", "I will sue.", "hello", "Wrong VAT"],
            "priority": ["Critical", "High", "Low", "High", "Low", "Medium"],
            "tier": [3, 2, 1, 4, 1, 2],
            "escalate": [True, True, False, True, False, False],
            "sentiment": [-0.6, -0.9, 0.2, -0.8, 0.0, -0.1],
            "categories": [["outage"], ["billing", "frustration"], [], ["legal"], ["short_text"], ["billing"]],
            "reasons": [["Classifier proposed ...", "System down: 'down' -> Critical."], ["Classifier proposed ...", "Angry customer: sentiment -0.90."],
                        ["Classifier proposed ..."], ["Classifier proposed ...", "Legal threat: 'sue'."], ["Classifier proposed ..."], ["Classifier proposed ..."]],
            "confidence": [0.8, 0.3, 0.9, 0.7, 0.2, 0.35],
            "needs_review": [False, True, False, False, True, True],
            "rules_fired": [["system_down"], ["angry_customer"], [], ["legal_threat"], ["too_short_to_judge", "model_unsure"], ["model_unsure"]],
            "sla_state": ["met", "breached", "met", "at_risk", None, "met"],
        }
    )
    return frame if with_time else frame.drop(columns=["created_at", "resolved_at"])


def write_scored(path: Path, frame: pd.DataFrame) -> Path:
    with TableWriter(path) as writer:
        writer.write(frame)
    return path


def test_report_is_self_contained_with_its_charts(tmp_path, capsys):
    source = write_scored(tmp_path / "scored.csv", scored())
    assert main(["report", str(source)]) == 0
    out = tmp_path / "scored.report.html"
    assert capsys.readouterr().out == f"report of 6 tickets (5 charts, 5 to review) written to {out}\n"
    html = out.read_text(encoding="utf-8")
    assert not re.search(r"(?i)(https?:|//[a-z]|<link|<img|@import|url\()", html)  # nothing fetched from anywhere
    assert re.findall(r'data-chart="(\w+)"', html) == ["priority", "tier", "reasons", "sla", "sentiment"]
    assert 'data-charts="5"' in html and "Mean sentiment per day" in html and "1 ticket(s) without a readable time are left out" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; refund" in html and "<script>alert" not in html
    assert "Invoice for [email address], call [phone number]" in html and "7946" not in html  # masked, as in hand-offs
    assert "Escalation metrics" in html and "escalated / 3 resolved" in html
    assert not list(tmp_path.glob(".*.partial"))


def test_review_queue_order():
    frame = scored()
    data = build_report(frame, {"ticket_id": "ticket_id", "subject": "subject", "text": "body", "created_at": "created_at"})
    # By priority; within High, T2 (breached SLA) before T4 (at risk); Medium T6 before Low T5. T3 is not listed.
    assert [r.ticket_id for r in data.review] == ["T1", "T2", "T4", "T6", "T5"]
    assert data.review[1].reason == "Angry customer: sentiment -0.90." and data.review_total == 5
    assert [r.ticket_id for r in build_report(frame, {"ticket_id": "ticket_id"}, review_rows=2).review] == ["T1", "T2"]


def test_missing_creation_time_is_said_not_hidden(tmp_path):
    source = write_scored(tmp_path / "scored.jsonl", scored(with_time=False))
    path, data = report_file(source, tmp_path / "r.html")
    assert [c.key for c in data.charts] == ["priority", "tier", "reasons", "sla"]
    html = path.read_text(encoding="utf-8")
    assert "Sentiment over time needs a creation time column (created_at, created, Created time, ...); this file has none." in html
    assert 'data-charts="4"' in html


def test_unscored_file_and_bad_output_are_errors(tmp_path, capsys):
    sample = Path(__file__).parents[1] / "data" / "sample_tickets.csv"
    assert main(["report", str(sample), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert "The report needs a file scored by triage; the column(s) priority, tier, escalate, reasons are missing" in err
    assert not (tmp_path / "r.html").exists()
    source = write_scored(tmp_path / "scored.csv", scored())
    with pytest.raises(InputError, match=r"The report is an HTML page; '.*r\.pdf' should end in \.html\."):
        report_file(source, tmp_path / "r.pdf")


def test_main_reason_is_the_first_rules_not_the_classifiers():
    frame = scored().assign(
        reasons=[["Classifier proposed High ...", "System down: 'down' -> Critical."], ["Classifier proposed ..."],
                 ["Classifier ..."], ["Classifier proposed ...", "Input problem: ltv 'x' is not an amount."], ["Classifier ..."], ["Classifier ..."]],
        rules_fired=[["system_down"], [], [], [], [], []],
    )
    data = build_report(frame, {"ticket_id": "ticket_id"})
    assert {r.ticket_id: r.reason for r in data.review}["T1"] == "System down: 'down' -> Critical."
    assert {r.ticket_id: r.reason for r in data.review}["T4"] == "Classifier proposed ..."  # no rule fired: the classifier decided


def test_unknown_sla_states_are_drawn_as_other(tmp_path):
    frame = scored().assign(sla_state=["met", "overdue", "weird", None, None, "met"])
    data = build_report(frame, {"ticket_id": "ticket_id"})
    sla = next(c for c in data.charts if c.key == "sla")
    assert ">other<" in sla.svg and "<rect" in sla.svg
    assert sla.caption == "2 ticket(s) without an SLA clock. Other: state(s) this report does not know (overdue, weird)."
    only_unknown = build_report(frame.assign(sla_state="later"), {"ticket_id": "ticket_id"})
    assert [c.key for c in only_unknown.charts if c.key == "sla"] == ["sla"]  # still a drawn chart, so the page is complete


def test_metrics_note_names_the_missing_time():
    frame = scored()
    fields = {"ticket_id": "ticket_id", "created_at": "created_at"}
    assert build_report(frame, fields).notes["metrics"] == (
        "The file has no resolution time column, so the resolution time after escalation is not measured."
    )
    assert build_report(frame, {**fields, "resolved_at": "resolved_at"}).notes.get("metrics") is None
    assert build_report(frame, {"ticket_id": "ticket_id"}).notes["metrics"].startswith("The file has no creation or resolution time column")


def test_sentiment_days_are_those_of_the_metrics_calendar(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text('[sla_clock]\ncalendar = "desk"\n[calendars.desk]\ntimezone = "Asia/Tokyo"\nalways_open = true\n', encoding="utf-8")
    # 23:30 naive is Tokyo time (same day); 20:00Z is 05:00 the next morning in Tokyo.
    frame = scored().assign(created_at=["2026-11-02 23:30", "2026-11-02T20:00:00Z", "2026-11-02 10:00", "", "", ""])
    data = build_report(frame, {"ticket_id": "ticket_id", "created_at": "created_at"}, load_config(policy))
    sentiment = next(c for c in data.charts if c.key == "sentiment")
    assert "2026-11-02: mean -0.20 over 2 ticket(s)" in sentiment.svg and "2026-11-03: mean -0.90 over 1 ticket(s)" in sentiment.svg
    utc = build_report(frame, {"ticket_id": "ticket_id", "created_at": "created_at"})
    assert "2026-11-02: mean -0.43 over 3 ticket(s)" in next(c for c in utc.charts if c.key == "sentiment").svg
    with pytest.raises(InputError, match="Calendar 'night' is not defined"):
        build_report(frame, {"ticket_id": "ticket_id"}, calendar="night")


def test_report_keeps_the_old_page_when_rendering_fails(tmp_path, monkeypatch):
    source = write_scored(tmp_path / "scored.csv", scored())
    target = tmp_path / "r.html"
    target.write_text("old page", encoding="utf-8")

    def broken(data):
        raise RuntimeError("template broke")

    monkeypatch.setattr("triage.report.render_report", broken)
    with pytest.raises(RuntimeError):
        report_file(source, target)
    assert target.read_text(encoding="utf-8") == "old page" and not list(tmp_path.glob(".*.partial"))


def _chromium(tmp_path: Path, page: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed here (CI installs it: apt-get install chromium)")
def test_report_renders_in_headless_chromium_without_script_errors(tmp_path):
    source = write_scored(tmp_path / "scored.csv", scored())
    page, data = report_file(source, tmp_path / "report.html")
    run = _chromium(tmp_path, page)
    assert run.returncode == 0, run.stderr[-2000:]
    body = re.search(r"<body[^>]*>", run.stdout).group(0)
    assert 'data-ready="yes"' in body and f'data-charts-drawn="{len(data.charts)}"' in body, body
    assert not re.search(r"<html[^>]*data-error", run.stdout)
    assert not re.search(r"CONSOLE.*(Uncaught|Error)", run.stderr), run.stderr[-2000:]
    assert run.stdout.count('class="chart"') == 5

    # SLA states this report does not know are drawn as "other": the page is still complete.
    odd = write_scored(tmp_path / "odd.csv", scored().assign(sla_state="overdue"))
    page, data = report_file(odd, tmp_path / "odd.html")
    run = _chromium(tmp_path, page)
    body = re.search(r"<body[^>]*>", run.stdout).group(0)
    assert 'data-ready="yes"' in body and f'data-charts-drawn="{len(data.charts)}"' in body and "sla" in [c.key for c in data.charts], body

    # The check can fail: a page whose chart is missing and whose script throws is caught.
    broken = tmp_path / "broken.html"
    broken.write_text(
        render_report(data).replace("<svg class=\"chart\" data-chart=\"tier\"", "<svg data-chart=\"tier\"", 1)
        .replace("</body>", "<script>undefinedFunction();</script></body>"),
        encoding="utf-8",
    )
    run = _chromium(tmp_path, broken)
    assert 'data-ready="missing charts"' in run.stdout
    assert re.search(r'<html[^>]*data-error="[^"]*undefinedFunction', run.stdout)
    assert re.search(r"CONSOLE.*Uncaught ReferenceError: undefinedFunction", run.stderr)
