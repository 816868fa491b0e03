import numpy as np
import pandas as pd
import pytest

from triage.audit_data import AuditSettings, audit_export, check_duplicates, check_templates
from triage.cli import main


def labelled(n: int = 240, seed: int = 0, informative: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = {"High": "outage down broken urgent", "Medium": "question about invoice layout", "Low": "thanks great service love"}
    priority = rng.choice(list(words), size=n)
    noise = [" ".join(rng.choice(["alpha", "beta", "gamma", "delta", "omega", "sigma"], size=6)) for _ in range(n)]
    labels = priority if informative else rng.choice(list(words), size=n)
    text = [f"{words[p]} {x} ticket {i}" for i, (p, x) in enumerate(zip(priority, noise))]
    return pd.DataFrame({"ticket_id": [str(i) for i in range(n)], "text": text, "priority": labels})


def test_predictable_labels_are_go():
    audit = audit_export(labelled())
    assert audit.verdict == "GO", audit.lines()
    assert audit.lines()[-1].startswith("GO: 240 labelled rows look fit to train on")


def test_random_labels_are_no_go_and_say_so():
    audit = audit_export(labelled(informative=False))
    assert audit.verdict == "NO-GO"
    assert "priority labels look random: the text predicts them no better than chance" in audit.lines()[-1]


def test_a_column_that_gives_the_label_away_is_leakage():
    data = labelled()
    data["sla_code"] = data["priority"].map({"High": "S1", "Medium": "S2", "Low": "S3"})
    audit = audit_export(data)
    leak = next(f for f in audit.findings if f.check == "leakage")
    assert leak.level == "stop" and leak.details["columns"] == {"sla_code -> priority": 1.0}


def test_columns_recorded_after_the_outcome_are_named():
    data = labelled()
    data["Customer Satisfaction Rating"] = "5"
    data["Time to Resolution"] = "2h"
    finding = next(f for f in audit_export(data).findings if f.check == "after outcome")
    assert finding.details["columns"] == ["Customer Satisfaction Rating", "Time to Resolution"]


def test_rare_classes_below_the_minimum_count_warn():
    data = labelled()
    audit = audit_export(data, settings=AuditSettings(min_class_count=100))
    finding = next(f for f in audit.findings if f.check == "priority classes")
    assert finding.level == "warn" and set(finding.details["rare"]) == set(data["priority"].unique())


def test_duplicates_count_exact_and_near_copies():
    finding = check_duplicates(["Printer broken", "Printer broken", "printer broken!!", "other"], AuditSettings())
    assert finding.details == {"exact": 1, "near": 1, "share": 0.5} and finding.level == "warn"


def test_placeholder_braces_are_templated_text():
    finding = check_templates(["I need help with {product_purchased}.", "fine", "{product_purchased} broke"], AuditSettings())
    assert finding.level == "warn" and finding.details["examples"] == ["{product_purchased}"]


def test_cli_exits_1_on_no_go(tmp_path, capsys):
    path = tmp_path / "random.csv"
    labelled(informative=False).to_csv(path, index=False)
    assert main(["audit-data", str(path)]) == 1
    assert "NO-GO: do not train on this export" in capsys.readouterr().out


def test_train_refuses_no_go_without_force(tmp_path, capsys):
    path = tmp_path / "random.csv"
    labelled(informative=False).to_csv(path, index=False)
    assert main(["train", str(path), "--out", str(tmp_path / "model")]) == 2
    assert "triage: error: Data audit of" in capsys.readouterr().err and not (tmp_path / "model").exists()


@pytest.mark.slow
def test_synthetic_helpdesk_export_is_no_go_because_its_labels_are_random(shared_data):
    from triage.retrain import read_export

    audit = audit_export(read_export(shared_data / "helpdesk_export_synthetic" / "customer_support_tickets.csv"))
    assert audit.verdict == "NO-GO"
    assert "priority labels look random" in audit.lines()[-1]
    assert next(f for f in audit.findings if f.check == "templated text").details["share"] > 0.9
