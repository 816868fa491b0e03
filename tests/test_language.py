"""Language detection: what the export declares wins, confident detection on enough words, and
short texts are not called another language on thin evidence."""

import pytest

from triage.language import LanguageDetector, normalise_code


@pytest.fixture(scope="module")
def detector():
    return LanguageDetector()


@pytest.mark.parametrize(("declared", "code"), [("en-US", "en"), ("DE", "de"), ("German", "de"), ("pt_BR", "pt")])
def test_declared_language_wins_and_is_normalised(detector, declared, code):
    assert normalise_code(declared) == code
    guess = detector.guess("Mein Drucker druckt seit dem Update nicht mehr.", declared)
    assert (guess.code, guess.source) == (code, "declared")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Mein Drucker druckt seit dem Update nicht mehr, bitte helfen Sie mir schnell.", "de"),
        ("Bonjour, je voudrais être remboursé pour la commande annulée hier.", "fr"),
        ("Mi cuenta está bloqueada y no puedo entrar desde ayer por la tarde.", "es"),
        ("My invoice shows the wrong plan and I was overcharged by 40 dollars.", "en"),
    ],
)
def test_detects_the_language_of_a_ticket(detector, text, code):
    guess = detector.guess(text)
    assert (guess.code, guess.source) == (code, "detected")


@pytest.mark.parametrize("text", ["refund", "Still broken😡😡", "Hola gracias", "ok thanks!", "Ｒｅｆｕｎｄ", "ＡＰＩ ｅｒｒｏｒ", "12345"])
def test_short_texts_keep_the_models_language(detector, text):
    guess = detector.guess(text)
    assert (guess.code, guess.source) == ("en", "assumed")


@pytest.mark.parametrize(
    "text, code",
    [("我的账户被盗了，请帮忙。", "zh"), ("アカウントが乗っ取られました", "ja"), ("Мой аккаунт взломали, помогите!", "ru"), ("Ελπίζω σύντομα", "el"),
     ("iPhone 15 Pro 坏了", "zh"), ("Outlook 403 エラー", "ja")],
)
def test_a_short_text_in_another_script_is_never_assumed_english(detector, text, code):
    # No spaces to count words by (Chinese, Japanese), or too few words: the script alone rules out English.
    guess = detector.guess(text)
    assert (guess.code, guess.source) == (code, "detected")


@pytest.mark.slow
def test_a_short_chinese_ticket_goes_to_a_person(engine):
    result = engine.score_ticket({"ticket_id": "Z-1", "text": "我已经被扣款三次了，我明天会联系我的律师。"})
    assert result.language == "zh" and "language_unsupported" in result.categories and result.needs_review


def test_empty_text_has_no_language(detector):
    assert detector.guess("  ").code == ""


@pytest.mark.slow
def test_unsupported_language_is_said_and_not_given_a_sentiment(engine):
    result = engine.score_ticket({"ticket_id": "D-1", "text": "Das ist eine Frechheit! Ihr habt mir zum dritten Mal zu viel berechnet, ich bin wütend."})
    assert result.language == "de"
    assert result.sentiment == 0.0 and result.sentiment_label == "neutral"
    assert "language_unsupported" in result.categories and result.needs_review
    assert any("Written in 'de'" in reason for reason in result.reasons)
    english = engine.score_ticket({"ticket_id": "E-1", "text": "I was overcharged for the third time and I am furious about it."})
    assert english.language == "en" and "language_unsupported" not in english.categories


@pytest.mark.slow
def test_a_language_column_is_read(engine):
    import pandas as pd

    frame = pd.DataFrame({"text": ["Merci beaucoup, tout fonctionne maintenant.", "Thanks, all good now."], "lang": ["fr", "en"]})
    scored = engine.score_frame(frame)
    assert scored["language"].tolist() == ["fr", "en"]
    assert scored["lang"].tolist() == ["fr", "en"]
    named = engine.score_frame(frame.rename(columns={"lang": "language"}))
    assert named["input_language"].tolist() == ["fr", "en"] and named["language"].tolist() == ["fr", "en"]
