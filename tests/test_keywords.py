import json

import pytest

from triage.errors import ConfigError
from triage.keywords import (
    DEFAULT_CATEGORIES,
    CategoryRule,
    KeywordPattern,
    build_keyword_pipeline,
    find_keywords,
    hits_in_removed_text,
    read_pattern_file,
    read_patterns,
)
from triage.text import clean_text


@pytest.fixture(scope="module")
def nlp():
    return build_keyword_pipeline()


def categories(nlp, text):
    return [hit.category for hit in next(find_keywords(nlp, [text]))]


def described(nlp, text):
    doc = nlp(text)
    return [hit.describe() for hit in doc._.keyword_hits], [skip.describe() for skip in doc._.keyword_skipped]


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


def test_overlapping_phrases_of_one_category_count_once(nlp):
    hits = next(find_keywords(nlp, ["We will take legal action if the refund is not issued."]))
    assert [(hit.category, hit.text) for hit in hits] == [("legal", "legal action"), ("billing", "refund")]


def test_the_same_words_can_count_for_two_categories(nlp):
    assert described(nlp, "Illegal Charges from Comcast") == (
        ["legal: 'Illegal Charges' (sentence 1)", "billing: 'Charges' (sentence 1)"],
        [],
    )


def test_a_phrase_with_another_meaning_is_excluded_where_it_stands(nlp):
    # "breach of contract" is legal, not a security breach; "attorney general" is a regulator.
    assert categories(nlp, "This is a clear breach of contract.") == ["legal"]
    assert categories(nlp, "I wrote to the attorney general about your fees.") == ["regulatory", "billing"]


def test_multi_word_phrases_match(nlp):
    assert "legal" in categories(nlp, "I filed with the Better Business Bureau")
    assert "legal" in categories(nlp, "see you in small claims court")
    assert "media" in categories(nlp, "we are going public with this")


def test_urls_do_not_match_but_a_pattern_written_as_an_address_does(nlp):
    assert categories(nlp, "see https://example.com/legal/media for details") == []
    assert categories(nlp, "I filed it on FCC.gov today") == ["regulatory"]


def test_evidence_names_words_and_sentence(nlp):
    text = "Hello. The site is down. My attorney is copied."
    hits = next(find_keywords(nlp, [text]))
    assert [hit.describe() for hit in hits] == ["outage: 'is down' (sentence 2)", "legal: 'My attorney' (sentence 3)"]
    assert text[hits[1].start_char : hits[1].end_char] == "My attorney"


def test_exact_patterns_do_not_use_lemmas(nlp):
    # "feed" has the lemma "fee" in the lookup table; fees are matched as written instead.
    assert "billing" not in categories(nlp, "Your news feed is slow")
    assert "billing" in categories(nlp, "Why are there two fees on my account?")


# --- context: each category's rule, both sides --------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "I don't want to involve my lawyer, but I will.",
        "I won't hesitate to contact my attorney.",
        "If the refund is not issued, we will take legal action.",
        "I'd rather not involve my solicitor.",
        "I haven't called my lawyer yet.",
        "If this isn't fixed by Friday my lawyer will hear about it.",
        "We will involve our legal team if this is not fixed.",
        "My husband is a lawyer and says this clause is unenforceable.",
    ],
)
def test_legal_threats_count_even_when_negated_with_reluctance_or_conditional(nlp, text):
    assert "legal" in categories(nlp, text)


@pytest.mark.parametrize(
    "text",
    [
        "I am not going to sue you, I just want my money back.",
        "There is no need for lawyers here.",
        "I have no intention of suing.",
        "Please update the legal name on our invoice.",
        "Our legal department asked us to update the address.",
        "Please send the contract to our legal team for approval.",
        "Hi Sue, thanks for the help.",
        "Sue from billing called me back.",
        "I have to produce paperwork for a solicitor.",
        "My password contains an illegal character.",
        "Is it legal to share my account with my wife?",
    ],
)
def test_negated_statements_names_and_other_senses_are_no_legal_threat(nlp, text):
    assert "legal" not in categories(nlp, text)


@pytest.mark.parametrize("text", ["I will sue.", "I WILL SUE YOU", "I'm going to Sue them", "Sue them all."])
def test_sue_as_a_verb_counts_whatever_its_case(nlp, text):
    assert "legal" in categories(nlp, text)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("If this isn't fixed by Friday I'm going to the media with the whole story.", True),
        ("I don't want to go to the press, but I will if I have to.", True),
        ("Fix this or I'll put it on blast on social media and TV", True),
        ("I'm not going to post this online, I just want it fixed.", False),
        ("Our social media team cannot log in to the scheduler.", False),
        ("Any news on my refund?", False),
        ("RT @9NEWS: One airline is the fly-away favorite", False),
        ("@united please help @CNN", True),
    ],
)
def test_media_rule(nlp, text, expected):
    assert ("media" in categories(nlp, text)) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("This is not a security issue, I forgot my password.", False),
        ("To prevent a data breach, we turned on 2FA.", False),
        ("In case of a breach, who do we call?", False),
        ("I don't think I've been hacked.", False),
        ("We implement strict controls to avoid unauthorized access and data breaches.", False),
        ("My account was hacked and I cannot log in.", True),
        ("Not sure if I was hacked, there are logins I don't recognise.", True),
        ("Please help us secure our data and avoid further leaks of patient data.", True),
        ("We were not hacked and the site is down.", False),
        # Disclaimer footers, also as the Endava export writes them (stop words removed), and anti-virus software.
        ("Please rely on your own virus checkers; no responsibility is taken for damage arising out of virus infection.", False),
        ("please rely own virus checkers responsibility taken by damage rising out virus infection", False),
        ("believes attachments were free virus worm trojan horse malicious code other contaminants", False),
        ("recipient accepts responsibility viruses other defects arise taking remedial action", False),
        ("This e-mail cannot be guaranteed to be free of errors or viruses.", False),
        ("Please install the anti virus software on the new laptops.", False),
        ("This email has been checked for viruses by Avast antivirus software.", False),
        ("This message was scanned for viruses and malware.", False),
        ("We accept no liability for any damage caused by any virus transmitted by this email.", False),
        # Viruses reported as happening, also when the customer blames the vendor.
        ("My laptop has a virus, files are encrypted and there is a ransom note.", True),
        ("You are liable for the virus your installer put on our machines.", True),
        ("Who is responsible for this virus? It spread from your download.", True),
        ("We found a trojan infection on two devices connected to the office network.", True),
        ("Potential virus: a colleague's mailbox is sending strange messages.", True),
    ],
)
def test_security_rule(nlp, text, expected):
    assert ("security" in categories(nlp, text)) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("The site is not down, it is just slow for me.", False),
        ("We had no outage last night.", False),
        ("We expect a short outage during the upgrade.", False),
        ("Is there a planned outage this weekend?", False),
        ("You did not tell us the site was down.", True),
        ("I have no internet and the site is down.", True),
        ("Is PSN down?", True),
        ("Our internet is not working since Monday.", True),
        # Something that does not load is a bug; the whole service not loading is an outage.
        ("The dashboard chart does not load for the March report.", False),
        ("The invoice page didn't load, I am not even mad.", False),
        ("Profile pictures won't load in the member list.", False),
        ("Our website is not loading for any customer.", True),
        ("The app does not load since this morning.", True),
        ("The platform will not load for anyone in our team.", True),
        ("The dashboard won't load for anyone in the company.", True),
        ("Pages are not loading anywhere, everyone is affected.", True),
        ("Our store is not loading.", True),
    ],
)
def test_outage_rule(nlp, text, expected):
    found = categories(nlp, text)
    assert ("outage" in found) is expected
    if "load" in text:
        assert "bug" in found


def test_topics_count_when_negated(nlp):
    assert categories(nlp, "I never received a refund.") == ["billing"]
    assert categories(nlp, "I can't get a supervisor on the phone.") == ["manager_request"]
    assert "manager_request" in categories(nlp, "I don't want to have to ask for your manager.")


def test_negated_bug_and_frustration_words_do_not_count(nlp):
    assert categories(nlp, "The app doesn't crash anymore, thanks.") == []
    assert categories(nlp, "It crashes every time I open the camera.") == ["bug"]
    assert categories(nlp, "I'm not angry, just disappointed.") == []
    assert categories(nlp, "This is absolutely ridiculous.") == ["frustration"]


def test_skipped_matches_say_why(nlp):
    doc = nlp("This is not a security issue. Hi Sue! In case of an outage, call us.")
    assert [skip.describe() for skip in doc._.keyword_skipped] == [
        "security: 'security issue' (sentence 1) not counted: negated",
        "outage: 'outage' (sentence 3) not counted: hypothetical",
    ]
    assert doc._.keyword_hits == []


def test_excluded_phrases_are_listed_as_skipped(nlp):
    assert described(nlp, "Please update the legal name on file.") == ([], ["legal: 'legal' (sentence 1) not counted: excluded"])
    assert described(nlp, "Actions taken: malware scan of all laptops.") == (
        [],
        ["security: 'malware' (sentence 1) not counted: excluded"],
    )


def test_hits_in_removed_text_name_the_kind_of_text(nlp):
    cleaned = clean_text("Thanks, all fine now.\n\nOn Mon, 3 Jun 2024 at 09:12, Jo wrote:\n> I will contact my lawyer.")
    assert [(kind, hit.describe()) for kind, hit in hits_in_removed_text(nlp, cleaned)] == [
        ("quoted reply", "legal: 'my lawyer' (sentence 1)")
    ]
    assert hits_in_removed_text(nlp, clean_text("plain text")) == []


# --- pattern files --------------------------------------------------------------------------------
def test_default_file_covers_every_category_with_a_context_rule():
    found = read_pattern_file(build_keyword_pipeline.__globals__["default_pattern_file"]())
    pattern_categories = {p.category for p in found.patterns}
    rule_categories = {r.category for r in found.rules}
    assert set(DEFAULT_CATEGORIES) <= pattern_categories
    assert set(DEFAULT_CATEGORIES) | {"policy_exception", "cross_department", "pr_risk"} <= rule_categories
    assert {"policy_exception", "cross_department", "pr_risk"} <= pattern_categories


def test_team_patterns_add_categories(tmp_path):
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"category": "churn_risk", "pattern": "cancel my contract"}) + "\n", encoding="utf-8")
    nlp = build_keyword_pipeline([extra])
    assert "churn_risk" in categories(nlp, "I want to CANCEL my contracts now")


def test_team_files_set_their_own_context_rules_and_word_lists(tmp_path):
    extra = tmp_path / "extra.jsonl"
    lines = [
        {"category": "churn_risk", "negation": "drop"},
        {"wordlist": "leaving", "words": ["switch", "move", "leave"]},
        {"category": "churn_risk", "pattern": "competitor", "near": "leaving"},
        {"category": "churn_risk", "pattern": [{"LEMMA": "cancel"}, {"LOWER": {"IN": ["my", "our"]}}, {"LEMMA": "plan"}]},
    ]
    extra.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    nlp = build_keyword_pipeline([extra])
    assert categories(nlp, "We will switch to a competitor.") == ["churn_risk"]
    assert categories(nlp, "How do you compare to a competitor?") == []
    assert categories(nlp, "Cancelling our plans today.") == ["churn_risk"]
    assert categories(nlp, "We are not cancelling our plans.") == []


def test_inline_patterns_and_rules_from_the_config_are_added():
    nlp = build_keyword_pipeline(extra_patterns=[KeywordPattern("vip_words", "board member")])
    assert categories(nlp, "I am a board member of your largest client") == ["vip_words"]
    assert categories(nlp, "I am not a board member.") == []
    keep = build_keyword_pipeline(
        extra_patterns=[KeywordPattern("vip_words", "board member")], extra_rules=[CategoryRule("vip_words", negation="keep")]
    )
    assert categories(keep, "I am not a board member.") == ["vip_words"]


def test_a_category_without_a_rule_drops_negated_mentions():
    assert CategoryRule("anything") == CategoryRule("anything", negation="drop", hypothetical="keep", compounds="keep")


@pytest.mark.parametrize(
    "line, message",
    [
        ('{"category": "legal"}', "non-empty string 'pattern'"),
        ('{"category": "legal", "pattern": "x", "match": "fuzzy"}', "'match' = 'fuzzy'"),
        ('{"category": "legal", "pattern": "x", "colour": "red"}', "unknown key(s) ['colour']"),
        ("not json", "is not valid JSON"),
        ('["legal", "x"]', "must be a JSON object; got list"),
        ('{"category": "legal", "pattern": "x", "near": "verbs"}', "'near' = 'verbs', which names no wordlist"),
        ('{"category": "legal", "pattern": "x", "exclude": "yes"}', "'exclude' = 'yes'; expected true or false"),
        ('{"category": "legal", "negation": "sometimes"}', "'negation' = 'sometimes'; expected one of ['drop', 'keep', 'threat']"),
        ('{"category": "legal", "negation": "drop", "colour": "red"}', "unknown key(s) ['colour']"),
        ('{"wordlist": "verbs"}', "must be {\"wordlist\": NAME, \"words\": [...]}"),
        ('{"category": "legal", "pattern": ["sue"]}', "not a list of token objects"),
    ],
)
def test_bad_pattern_lines_are_named(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        read_patterns(path)
    assert message in str(caught.value)
    assert f"{path}:1" in str(caught.value)


def test_bad_token_patterns_are_named_when_added(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"category": "legal", "pattern": [{"LEMMA": {"FUZZY": 3}}]}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is not a valid spaCy Matcher pattern"):
        build_keyword_pipeline([path])
