"""Precision and recall of the keyword stage (cleaning + matching) on labelled ticket sentences.

    python -m triage.keyword_eval [PATH] [--subset real|paraphrase|all] [--errors]

``PATH`` is a JSON Lines file of ``{"id", "subset", "source", "row", "text", "labels"}`` records
(default: ``data/keyword_eval.jsonl`` of this checkout, described in ``data/README.md``). Each
sentence is cleaned and matched as a ticket would be; a category is predicted when at least one hit
of it counts. Precision, recall and support are printed per category with the target of the issue:
0.95 for legal and media, 0.90 for the other categories. The exit code is 1 when a category of the
real sentences misses its target, so the command can gate a change to the pattern files.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .keywords import DEFAULT_CATEGORIES, build_keyword_pipeline
from .text import clean_text

TARGETS = {"legal": 0.95, "media": 0.95}
DEFAULT_TARGET = 0.90
SUBSETS = ("real", "paraphrase")


def default_eval_path() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "keyword_eval.jsonl"


@dataclass(frozen=True)
class EvalSentence:
    id: str
    subset: str
    text: str
    labels: frozenset[str]
    source: str = ""
    row: str | None = None


@dataclass(frozen=True)
class CategoryScore:
    category: str
    tp: int
    fp: int
    fn: int

    @property
    def support(self) -> int:
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else math.nan

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else math.nan

    @property
    def target(self) -> float:
        return TARGETS.get(self.category, DEFAULT_TARGET)

    @property
    def meets_target(self) -> bool | None:
        """None when the subset holds no sentence of the category (nothing to judge)."""
        if not self.support:
            return None if not self.fp else False
        return self.precision >= self.target and self.recall >= self.target


@dataclass
class EvalResult:
    """Scores per subset ("real", "paraphrase", "all") and the sentences each category got wrong."""

    scores: dict[str, list[CategoryScore]]
    errors: list[tuple[str, str, str, str, str]] = field(default_factory=list)  # (subset, category, "missed"/"extra", id, text)

    def missed_targets(self, subset: str = "real") -> list[CategoryScore]:
        return [score for score in self.scores.get(subset, []) if score.meets_target is False]


def read_eval_set(path: str | Path) -> list[EvalSentence]:
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"The keyword evaluation set was expected at {path}, and no file is there. "
            "Pass the path of a JSON Lines file of labelled sentences (see data/README.md)."
        )
    sentences = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                sentence = EvalSentence(
                    id=str(record["id"]),
                    subset=record["subset"],
                    text=record["text"],
                    labels=frozenset(record["labels"]),
                    source=record.get("source", ""),
                    row=record.get("row"),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(
                    f"{path}:{number} is not an evaluation record: expected a JSON object with 'id', 'subset', "
                    f"'text' and 'labels' (a list of categories); got {line.strip()[:80]!r} ({exc})."
                ) from exc
            if sentence.subset not in SUBSETS:
                raise InputError(f"{path}:{number} has subset {sentence.subset!r}; expected one of {list(SUBSETS)}.")
            sentences.append(sentence)
    return sentences


def evaluate(sentences: Sequence[EvalSentence], nlp=None, categories: Iterable[str] = DEFAULT_CATEGORIES) -> EvalResult:
    """Clean and match every sentence, then count hits and misses per category and subset."""
    nlp = nlp or build_keyword_pipeline()
    categories = tuple(categories)
    texts = [clean_text(sentence.text).text for sentence in sentences]
    counts: dict[str, dict[str, list[int]]] = {}
    errors = []
    for sentence, doc in zip(sentences, nlp.pipe(texts, batch_size=256)):
        found = {hit.category for hit in doc._.keyword_hits}
        for subset in (sentence.subset, "all"):
            table = counts.setdefault(subset, {category: [0, 0, 0] for category in categories})
            for category in categories:
                predicted, gold = category in found, category in sentence.labels
                if predicted and gold:
                    table[category][0] += 1
                elif predicted:
                    table[category][1] += 1
                elif gold:
                    table[category][2] += 1
        for category in categories:
            if (category in found) != (category in sentence.labels):
                errors.append((sentence.subset, category, "extra" if category in found else "missed", sentence.id, sentence.text))
    scores = {
        subset: [CategoryScore(category, *table[category]) for category in categories]
        for subset, table in sorted(counts.items(), key=lambda item: (*SUBSETS, "all").index(item[0]))
    }
    return EvalResult(scores, errors)


def _number(value: float) -> str:
    return "    -" if math.isnan(value) else f"{value:5.3f}"


def format_table(scores: Sequence[CategoryScore]) -> str:
    lines = [f"{'category':<16} {'precision':>9} {'recall':>7} {'support':>7} {'target':>6}  met"]
    for score in scores:
        met = {True: "yes", False: "NO", None: "-"}[score.meets_target]
        lines.append(
            f"{score.category:<16} {_number(score.precision):>9} {_number(score.recall):>7} {score.support:>7} {score.target:>6.2f}  {met}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m triage.keyword_eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", default=None, help="labelled sentences (JSON Lines); default data/keyword_eval.jsonl")
    parser.add_argument("--subset", choices=(*SUBSETS, "all"), default=None, help="print only this subset")
    parser.add_argument("--errors", action="store_true", help="list every sentence a category got wrong")
    args = parser.parse_args(argv)
    try:
        sentences = read_eval_set(args.path or default_eval_path())
    except InputError as exc:
        print(f"keyword_eval: error: {exc}", file=sys.stderr)
        return 2
    result = evaluate(sentences)
    for subset, scores in result.scores.items():
        if args.subset and subset != args.subset:
            continue
        size = sum(1 for s in sentences if subset == "all" or s.subset == subset)
        print(f"\n{subset} sentences ({size})")
        print(format_table(scores))
    if args.errors:
        print()
        for subset, category, kind, sentence_id, text in result.errors:
            if not args.subset or args.subset in (subset, "all"):
                print(f"{category:<16} {kind:<6} {sentence_id}  {text}")
    missed = result.missed_targets("real")
    if missed:
        print(f"\ntargets missed on the real sentences: {', '.join(score.category for score in missed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
