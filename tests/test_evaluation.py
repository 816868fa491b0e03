import json

import numpy as np

from triage.evaluation import escalation_recall, evaluate_target, write_report, Evaluation


def sample_target():
    y = np.array(["Critical", "High", "High", "Low", "Low", "Low"])
    proposed = np.array(["High", "High", "Low", "Low", "Low", "Low"])
    final = np.array(["Critical", "High", "Low", "Low", "Low", "Low"])
    escalate = np.array([True, False, False, False, False, False])
    train_texts = np.array(["server down now", "server down again", "thanks a lot", "thanks so much", "server broken", "thanks friend"] * 2, dtype=object)
    train_y = np.array(["High", "High", "Low", "Low", "High", "Low"] * 2)
    test_texts = np.array(["server down", "server down", "thanks", "thanks", "thanks", "thanks"], dtype=object)
    return evaluate_target("priority", y, proposed, final, escalate, train_texts, train_y, test_texts)


def test_per_class_figures_confusion_and_baselines():
    t = sample_target()
    assert t.labels == ["Critical", "High", "Low"]
    assert [(c.label, c.precision, c.recall, c.support) for c in t.per_class] == [
        ("Critical", 0.0, 0.0, 1), ("High", 0.5, 0.5, 2), ("Low", 0.75, 1.0, 3)
    ]
    assert t.confusion == [[0, 1, 0], [0, 1, 1], [0, 0, 3]]
    assert t.model == {"accuracy": 0.6667, "macro_f1": 0.4524}
    assert t.baseline_majority["accuracy"] == 0.3333  # High and Low tie in training; the first sorted wins
    assert t.escalation["recall"] == 1.0 and t.escalation["support"] == 1


def test_escalation_recall_without_positive_labels_says_so():
    result = escalation_recall("tier", np.array([1, 2, 3]), np.array([1, 4, 3]), np.array([False, True, False]))
    assert result["recall"] is None
    assert result["text"] == "no tier 4 tickets in the labels; escalation recall for tier 4 cannot be measured"


def test_report_folder_holds_json_markdown_and_png(tmp_path):
    evaluation = Evaluation("models/x", "export.csv", "hash split", 6, True, {"priority": sample_target()})
    written = write_report(evaluation, tmp_path / "report")
    assert [p.name for p in written] == ["metrics.json", "report.md", "confusion_priority.png"]
    assert json.loads(written[0].read_text())["targets"]["priority"]["model"]["macro_f1"] == 0.4524
    assert "| Low | 0.750 | 1.000 | 0.857 | 3 |" in written[1].read_text()
    assert written[2].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "triage classifier" + " " * 31 + "0.667     0.452" in evaluation.lines()
