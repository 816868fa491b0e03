import json
import math

import pytest

from triage.errors import InputError
from triage.keyword_eval import (
    CategoryScore,
    EvalSentence,
    default_eval_path,
    evaluate,
    format_table,
    main,
    read_eval_set,
)
from triage.keywords import DEFAULT_CATEGORIES


def sentence(id, text, labels, subset="real"):
    return EvalSentence(id=id, subset=subset, text=text, labels=frozenset(labels))


def test_counts_hits_misses_and_extras_per_subset():
    result = evaluate(
        [
            sentence("a", "I will call my lawyer.", ["legal"]),
            sentence("b", "Please update the legal name.", []),
            sentence("c", "The reporter from Channel 4 is on this.", ["media"], "paraphrase"),
            sentence("d", "We all know how this goes.", ["media"], "paraphrase"),
        ],
        categories=("legal", "media"),
    )
    assert [(s.category, s.tp, s.fp, s.fn) for s in result.scores["real"]] == [("legal", 1, 0, 0), ("media", 0, 0, 0)]
    assert [(s.category, s.tp, s.fp, s.fn) for s in result.scores["paraphrase"]] == [("legal", 0, 0, 0), ("media", 1, 0, 1)]
    assert [(s.category, s.tp, s.fp, s.fn) for s in result.scores["all"]] == [("legal", 1, 0, 0), ("media", 1, 0, 1)]
    assert result.errors == [("paraphrase", "media", "missed", "d", "We all know how this goes.")]


def test_scores_and_targets():
    score = CategoryScore("legal", tp=19, fp=1, fn=1)
    assert (score.precision, score.recall, score.support, score.target, score.meets_target) == (0.95, 0.95, 20, 0.95, True)
    assert CategoryScore("bug", tp=8, fp=1, fn=1).meets_target is False  # 0.889 < 0.90
    empty = CategoryScore("bug", tp=0, fp=0, fn=0)
    assert math.isnan(empty.precision) and math.isnan(empty.recall) and empty.meets_target is None
    assert CategoryScore("bug", tp=0, fp=2, fn=0).meets_target is False


def test_table_shows_every_category_with_its_target():
    table = format_table([CategoryScore("legal", 19, 1, 1), CategoryScore("bug", 0, 0, 0)])
    assert table.splitlines() == [
        "category         precision  recall support target  met",
        "legal                0.950   0.950      20   0.95  yes",
        "bug                      -       -       0   0.90  -",
    ]


def test_a_missing_or_malformed_set_is_named(tmp_path):
    with pytest.raises(InputError, match="was expected at .*nowhere.jsonl"):
        read_eval_set(tmp_path / "nowhere.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "text": "hi"}\n', encoding="utf-8")
    with pytest.raises(InputError, match="bad.jsonl:1 is not an evaluation record"):
        read_eval_set(bad)
    bad.write_text('{"id": "x", "subset": "fake", "text": "hi", "labels": []}\n', encoding="utf-8")
    with pytest.raises(InputError, match="has subset 'fake'; expected one of"):
        read_eval_set(bad)


def test_command_prints_tables_and_fails_when_a_target_is_missed(tmp_path, capsys):
    path = tmp_path / "set.jsonl"
    records = [
        {"id": "1", "subset": "real", "text": "I will sue you.", "labels": ["legal"]},
        {"id": "2", "subset": "real", "text": "You will regret this in front of a judge.", "labels": ["legal"]},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert main([str(path), "--subset", "real", "--errors"]) == 1
    out = capsys.readouterr().out
    assert "real sentences (2)" in out
    assert "legal                1.000   0.500       2   0.95  NO" in out
    assert "legal            missed 2  You will regret this in front of a judge." in out
    assert "targets missed on the real sentences: legal" in out
    assert main([str(tmp_path / "missing.jsonl")]) == 2


def test_the_evaluation_set_holds_at_least_300_real_sentences_with_sources():
    sentences = read_eval_set(default_eval_path())
    real = [s for s in sentences if s.subset == "real"]
    assert len(real) >= 300
    assert all(s.source.endswith(".csv") and s.row for s in real)
    assert {label for s in sentences for label in s.labels} <= set(DEFAULT_CATEGORIES)
    assert len({s.id for s in sentences}) == len(sentences)


def test_keyword_stage_meets_the_targets_on_the_real_sentences():
    result = evaluate(read_eval_set(default_eval_path()))
    missed = [f"{s.category} (precision {s.precision:.3f}, recall {s.recall:.3f})" for s in result.missed_targets("real")]
    assert missed == []
    legal_media = {s.category: s for s in result.scores["real"] if s.category in ("legal", "media")}
    assert all(score.support >= 20 for score in legal_media.values())
