"""The policy from a user's side: change a threshold, explain one ticket, summarise the rules."""

import pandas as pd
import pytest

from triage.cli import main
from triage.tables import read_table

pytestmark = pytest.mark.slow


@pytest.fixture()
def export(tmp_path):
    path = tmp_path / "export.csv"
    pd.DataFrame(
        {
            "ticket_id": ["A1", "A2", "A3", "A4"],
            "description": [
                "How do I change the email address on my account?",
                "Our team cannot see last month's invoices in the portal, please help.",
                "I will contact my lawyer if this is not fixed today.",
                "Thank you so much, the new dashboard is great!",
            ],
            "customer_tier": ["Standard", "Standard", "Standard", "Standard"],
            "ltv": ["$12,000", "$8,000", "$500", "$500"],
            "contact_count": ["1", "1", "1", "1"],
        }
    ).to_csv(path, index=False)
    return path


def test_changing_a_threshold_changes_the_decision_and_its_reason(tmp_path, export, capsys):
    default_out, strict_out = tmp_path / "default.jsonl", tmp_path / "strict.jsonl"
    assert main(["score", str(export), "-o", str(default_out), "-q"]) == 0
    assert main(["init-config", str(tmp_path / "policy.toml")]) == 0
    policy = tmp_path / "policy.toml"
    policy.write_text(policy.read_text(encoding="utf-8").replace("vip_ltv = 10000", "vip_ltv = 5000"), encoding="utf-8")
    assert main(["score", str(export), "-o", str(strict_out), "--config", str(policy), "-q"]) == 0
    default, strict = read_table(default_out), read_table(strict_out)
    assert "vip_fast_track" in default.loc[0, "rules_fired"] and "vip_fast_track" not in default.loc[1, "rules_fired"]
    assert "vip_fast_track" in strict.loc[1, "rules_fired"]
    assert strict.loc[1, "priority"] in ("High", "Critical") and strict.loc[1, "escalate"]
    assert any("lifetime value $8,000 above $5,000" in r for r in strict.loc[1, "reasons"])
    assert {"assign senior agent", "notify account manager"} <= set(strict.loc[1, "actions"])


def test_init_config_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "policy.toml"
    assert main(["init-config", str(path)]) == 0
    assert main(["init-config", str(path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["init-config", str(path), "--force"]) == 0


def test_explain_prints_every_reason_for_one_ticket(export, capsys):
    assert main(["explain", "A3", str(export)]) == 0
    out = capsys.readouterr().out
    assert "ticket        A3" in out
    assert "tier          4 management" in out
    assert "actions       notify manager" in out
    assert "  - Legal threat: 'my lawyer' (sentence 1) -> tier 4 (management), priority at least High." in out
    assert "main signals:" in out


def test_explain_unknown_ticket_names_what_it_found(export, capsys):
    assert main(["explain", "ZZ9", str(export)]) == 2
    err = capsys.readouterr().err
    assert "Ticket 'ZZ9' is not in" in err and "(4 rows; ids look like A1, A2, A3)" in err


def test_rules_summary_counts_fires_and_moves(tmp_path, export, capsys):
    table = tmp_path / "rules.csv"
    assert main(["rules", str(export), "--table", str(table)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("4 tickets; the rules changed the classifier's priority or tier on")
    summary = pd.read_csv(table).set_index("rule")
    assert summary.loc["legal_threat", "fired"] == 1 and summary.loc["legal_threat", "overrode_classifier"] == 1
    assert summary.loc["vip_fast_track", "fired"] == 1
    assert summary.loc["legal_threat", "tickets_moved"].startswith("A3 (")
    assert summary.loc["legal_threat", "tickets_moved"].endswith("/tier 4)")


def test_score_counts_contacts_from_history_across_chunks(tmp_path, capsys):
    path = tmp_path / "history.csv"
    pd.DataFrame(
        {
            "ticket_id": ["1", "2", "3", "4"],
            "requester": ["ann@example.com", "bob@example.com", "ann@example.com", "ann@example.com"],
            "created_at": ["2026-11-01T09:00Z", "2026-11-01T10:00Z", "2026-11-02T09:00Z", "2026-11-03T09:00Z"],
            "subject": ["Refund missing", "Refund missing", "Re: Refund missing", "RE: refund missing"],
            "description": ["Where is my refund?", "Where is my refund?", "Still no refund.", "Third time asking about my refund!"],
        }
    ).to_csv(path, index=False)
    out = tmp_path / "scored.jsonl"
    assert main(["score", str(path), "-o", str(out), "--chunk-rows", "1", "-q"]) == 0
    scored = read_table(out)
    assert ["repeat_contact" in rules for rules in scored["rules_fired"]] == [False, False, False, True]
    assert any("Contact number 3 counted from the export's history" in r for r in scored.loc[3, "reasons"])


def test_handoff_writes_one_document_per_escalated_ticket_and_an_index(tmp_path, export, capsys):
    folder = tmp_path / "handoffs"
    assert main(["handoff", str(export), "-o", str(folder), "--as-of", "2026-11-30 12:00 UTC"]) == 0
    scored_out = tmp_path / "scored.jsonl"
    assert main(["score", str(export), "-o", str(scored_out), "-q"]) == 0
    escalated = read_table(scored_out).query("escalate")["ticket_id"].tolist()
    assert sorted(p.stem for p in folder.glob("*.md") if p.name != "index.md") == sorted(escalated)
    index = (folder / "index.md").read_text(encoding="utf-8")
    assert f"{len(escalated)} hand-off document(s)." in index and "[A3.md](A3.md)" in index
    document = (folder / "A3.md").read_text(encoding="utf-8")
    assert "| Escalating to | Tier 4, management" in document and "threatening" in document
