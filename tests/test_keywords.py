import json

import pytest

from triage.errors import ConfigError
from triage.keywords import build_keyword_pipeline, find_keywords, read_patterns


@pytest.fixture(scope="module")
def nlp():
    return build_keyword_pipeline()


def categories(nlp, text):
    return [hit.category for hit in next(find_keywords(nlp, [text]))]


@pytest.mark.parametrize(
    "text",
    ["I AM CALLING MY LAWYER TOMORROW.", "my lawyers will hear of this", "We are suing you", "They sued us last year", "Attorney letter follows"],
)
def test_legal_words_match_in_any_case_and_inflection(nlp, text):
    assert "legal" in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "I have an issue with my last invoice",
        "my password contains an illegal character",
        "the intermediate plan",
        "resend the multimedia onboarding guide",
        "set the priority to medium",
    ],
)
def test_words_inside_other_words_do_not_match(nlp, text):
    found = categories(nlp, text)
    assert "legal" not in found and "media" not in found


def test_hyphenated_feature_name_is_not_a_media_threat(nlp):
    assert "media" not in categories(nlp, "The social-media login button does nothing.")
    assert "media" in categories(nlp, "I'm going to the media with the whole story.")
    assert "media" in categories(nlp, "I will post this on social media")


def test_overlapping_phrases_count_once(nlp):
    hits = next(find_keywords(nlp, ["We will take legal action if the refund is not issued."]))
    legal = [hit for hit in hits if hit.category == "legal"]
    assert [hit.text for hit in legal] == ["legal action"]


def test_multi_word_phrases_match(nlp):
    assert "legal" in categories(nlp, "I filed with the Better Business Bureau")
    assert "legal" in categories(nlp, "see you in small claims court")
    assert "media" in categories(nlp, "we are going public with this")


def test_urls_do_not_match(nlp):
    assert categories(nlp, "see https://example.com/legal/media for details") == []


def test_evidence_names_words_and_sentence(nlp):
    hits = next(find_keywords(nlp, ["Hello. The site is down. My attorney is copied."]))
    assert [hit.describe() for hit in hits] == ["outage: 'is down' (sentence 2)", "legal: 'attorney' (sentence 3)"]
    text = "Hello. The site is down. My attorney is copied."
    assert text[hits[1].start_char : hits[1].end_char] == "attorney"


def test_exact_patterns_do_not_use_lemmas(nlp):
    # "feed" has the lemma "fee" in the lookup table; fees are matched as written instead.
    assert "billing" not in categories(nlp, "Your news feed is slow")
    assert "billing" in categories(nlp, "Why are there two fees on my account?")


def test_team_patterns_add_categories(tmp_path):
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"category": "churn_risk", "pattern": "cancel my contract"}) + "\n", encoding="utf-8")
    nlp = build_keyword_pipeline([extra])
    assert "churn_risk" in categories(nlp, "I want to CANCEL my contracts now")


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"category": "legal"}', "non-empty string 'pattern'"),
        ('{"category": "legal", "pattern": "x", "match": "fuzzy"}', "'match' = 'fuzzy'"),
        ('{"category": "legal", "pattern": "x", "colour": "red"}', "unknown key(s) ['colour']"),
        ("not json", "is not valid JSON"),
    ],
)
def test_bad_pattern_lines_are_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        read_patterns(path)
