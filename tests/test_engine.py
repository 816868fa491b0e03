import threading

import numpy as np
import pandas as pd
import pytest

import triage
from triage.errors import InputError, MissingColumnError, TriageWarning

from conftest import reply_thread

pytestmark = pytest.mark.slow

OUTPUTS = [
    "priority", "tier", "escalate", "sentiment", "sentiment_label", "language", "categories", "reasons", "confidence",
    "needs_review", "actions", "rules_fired", "rules_overriding", "model_priority", "model_tier",
    "sla_clock", "sla_state", "sla_elapsed_pct", "sla_due_at",
]


def test_score_ticket_returns_every_contract_field(engine):
    result = engine.score_ticket({"ticket_id": 42, "text": "I was charged twice and my lawyer will call you."})
    assert result.ticket_id == "42"
    assert result.priority in ("Critical", "High", "Medium", "Low")
    assert result.tier == 4 and result.escalate is True
    assert -1.0 <= result.sentiment <= 1.0 and result.sentiment_label == "negative"
    assert "legal" in result.categories
    assert any("Legal threat: 'my lawyer' (sentence 1)" in reason for reason in result.reasons)
    assert 0.0 < result.confidence <= 1.0
    assert set(OUTPUTS) <= set(result.to_dict())


def test_score_frame_keeps_rows_order_and_input_columns(engine):
    frame = pd.DataFrame(
        {
            "Case": ["0007", "A-2", "3"],
            "description": ["Where is my parcel?", "", "The whole site is down for all our users!"],
            "extra": [1.5, None, "x"],
        }
    )
    scored = engine.score_frame(frame)
    assert list(scored.columns) == ["Case", "description", "extra", *OUTPUTS]
    assert scored["Case"].tolist() == ["0007", "A-2", "3"]
    pd.testing.assert_frame_equal(scored[["Case", "description", "extra"]], frame)
    assert scored["tier"].dtype == np.int64 and scored["escalate"].dtype == bool
    assert scored.loc[1, "priority"] == "Low" and "empty_text" in scored.loc[1, "categories"]
    assert scored.loc[2, "priority"] == "Critical" and "outage" in scored.loc[2, "categories"]


def test_explicit_column_mapping(engine):
    frame = pd.DataFrame({"Case Body": ["We will sue you"], "Value": ["$20,000"]})
    scored = engine.score_frame(frame, columns={"text": "Case Body", "ltv": "Value"})
    assert scored.loc[0, "tier"] == 4
    assert any("VIP fast-track" in r for r in scored.loc[0, "reasons"])


def test_missing_text_column_is_a_clear_error(engine):
    with pytest.raises(MissingColumnError, match="Missing text/description column"):
        engine.score_frame(pd.DataFrame({"id": [1], "body_html": ["<p>x</p>"]}))
    with pytest.raises(InputError, match="expects a pandas DataFrame"):
        engine.score_frame([{"text": "x"}])


def test_input_columns_named_like_outputs_are_kept_under_a_prefix(engine):
    frame = pd.DataFrame({"text": ["Printer is broken"], "priority": ["urgent"]})
    with pytest.warns(TriageWarning, match="kept as \\['input_priority'\\]"):
        scored = engine.score_frame(frame)
    assert scored.loc[0, "input_priority"] == "urgent"
    assert scored.loc[0, "priority"] in ("Critical", "High", "Medium", "Low")
    # A language column is read as the ticket's language and kept too; the warning says so.
    with pytest.warns(TriageWarning, match="The column\\(s\\) \\['language'\\] it read are kept the same way, as \\['input_language'\\]"):
        scored = engine.score_frame(frame.assign(language=["en"]))
    assert scored.loc[0, "input_language"] == "en"


def test_same_ticket_scores_the_same_alone_and_in_a_mixed_batch(engine):
    target = {"ticket_id": "TARGET", "text": "My invoice shows the wrong plan and I was overcharged by 40 dollars."}
    alone = engine.score_ticket(target)
    rng = np.random.default_rng(7)
    words = ["the", "order", "never", "arrived", "and", "support", "keeps", "closing", "my", "ticket", "without", "an", "answer"]
    rows = [{"ticket_id": f"F{i}", "text": " ".join(rng.choice(words, size=int(n)))} for i, n in enumerate(rng.integers(1, 2000, 63))]
    rows.insert(16, target)
    scored = engine.score_frame(pd.DataFrame(rows))
    inside = scored.iloc[16]
    assert inside["ticket_id"] == "TARGET"
    assert abs(inside["sentiment"] - alone.sentiment) <= 0.01
    assert (inside["priority"], inside["tier"]) == (alone.priority, alone.tier)


def test_threat_at_the_end_of_a_very_long_ticket_is_found(engine):
    text = "\n".join(f"INFO sync ok item={i:05d}" for i in range(5000)) + "\nIf this is not fixed I will see my lawyer."
    assert len(text) > 100_000
    result = engine.score_ticket({"ticket_id": "long", "text": text})
    assert "legal" in result.categories and result.tier == 4


def test_unreadable_value_is_reported_in_reasons_and_row_kept(engine):
    frame = pd.DataFrame({"ticket_id": ["9"], "text": ["Question about my plan"], "ltv": ["about ten grand"]})
    with pytest.warns(TriageWarning, match="Ticket 9: ltv value 'about ten grand'"):
        scored = engine.score_frame(frame)
    assert len(scored) == 1
    assert "Input problem: ltv 'about ten grand' is not an amount; treated as unknown." in scored.loc[0, "reasons"]


def test_one_engine_is_safe_to_share_between_threads(engine):
    texts = [f"Order {i} arrived broken, I want a refund" if i % 2 else f"Thanks for the help with order {i}" for i in range(16)]
    expected = [engine.score_ticket({"text": t}) for t in texts]
    results = [None] * len(texts)

    def work(i):
        results[i] = engine.score_ticket({"text": texts[i]})

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == expected


def test_loading_a_second_engine_with_a_config(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[thresholds]\nvip_ltv = 100\n", encoding="utf-8")
    strict = triage.load(config=path)
    result = strict.score_ticket({"text": "How do I change my address?", "ltv": 500})
    assert result.priority in ("High", "Critical") and any("above $100" in r for r in result.reasons)


def test_decisions_carry_actions_review_flag_and_model_proposal(engine):
    result = engine.score_ticket({"text": "Our data was leaked in a security breach.", "customer_tier": "Enterprise"})
    assert result.priority == "Critical" and result.tier >= 3
    assert result.actions == ("notify manager", "assign senior agent", "notify account manager", "add internal note")
    assert set(result.rules_fired) >= {"security_incident", "vip_fast_track"}
    assert result.model_priority in ("Low", "Medium", "High") and result.model_tier in (1, 2, 3)
    assert result.reasons[0].startswith(f"Classifier proposed {result.model_priority} priority (")
    assert "main signals:" in result.reasons[0]


def test_unsure_model_sets_needs_review(engine):
    strict = triage.Engine(engine.model, triage.Config(min_confidence=1.0), encoder=engine.encoder)
    result = strict.score_ticket({"text": "Can you tell me more about your pricing plans for teams?"})
    assert result.needs_review and any(r.startswith("The classifier is unsure") for r in result.reasons)


def test_inline_words_from_config_add_categories(engine):
    config = triage.Config(extra_words={"churn_risk": ("switch to a competitor",)})
    custom = triage.Engine(engine.model, config, encoder=engine.encoder)
    assert "churn_risk" in custom.score_ticket({"text": "We will switch to a competitor next month."}).categories


def test_score_frame_counts_contacts_from_history(engine):
    frame = reply_thread()
    scored = engine.score_frame(frame)
    assert [("repeat_contact" in r) for r in scored["rules_fired"]] == [False, False, False, False, True]


class _CountingEncoder:
    """The engine's encoder, counting the texts it embeds."""

    def __init__(self, encoder):
        self._encoder = encoder
        self.texts: list[str] = []

    def encode_windows(self, texts):
        self.texts.extend(texts)
        return self._encoder.encode_windows(texts)

    def __getattr__(self, name):
        return getattr(self._encoder, name)


def test_a_repeated_text_is_embedded_once_per_run(engine):
    counting = _CountingEncoder(engine.encoder)
    deduping = triage.Engine(engine.model, engine.config, encoder=counting, workers=2)
    bulk = "Your parcel has shipped! Track it in the app. Reply STOP to unsubscribe."
    frame = pd.DataFrame({"ticket_id": [str(i) for i in range(40)], "text": [bulk, "Where is my refund?"] * 20})
    first = deduping.score_frame(frame)
    embedded = [t for t in counting.texts if t != "warm up"]
    assert sorted(embedded) == sorted([bulk, "Where is my refund?"])
    second = deduping.score_frame(frame.iloc[::-1].reset_index(drop=True))
    assert [t for t in counting.texts if t != "warm up"] == embedded  # the second frame came from the cache
    pd.testing.assert_frame_equal(second.iloc[::-1].reset_index(drop=True), first)


def test_dedupe_and_chunking_change_no_result(engine):
    """Each distinct text is embedded alone, so results are exact whatever the batch, the chunking
    or the cache: equal to an engine that caches nothing and runs one worker."""
    plain = triage.Engine(engine.model, engine.config, encoder=engine.encoder, workers=1, cache_size=0)
    rng = np.random.default_rng(3)
    texts = [
        "I was charged twice this month and nobody answers my emails.",
        "URGENT: the whole dashboard is down for our team since 9am!",
        "Thanks, the new password works now.",
        "My lawyer will hear about this if the refund does not arrive.",
        "",
    ]
    frame = pd.DataFrame({"ticket_id": [f"T{i}" for i in range(60)], "text": rng.choice(texts, size=60), "ltv": rng.choice(["", "500", "25000"], size=60)})
    expected = plain.score_frame(frame)
    assert len(plain.signals._vectors) == 0
    small_cache = triage.Engine(engine.model, engine.config, encoder=engine.encoder, cache_size=2)
    for scorer in (engine, small_cache):
        whole = scorer.score_frame(frame)
        pd.testing.assert_frame_equal(whole, expected)
        parts = pd.concat([scorer.score_frame(frame.iloc[i : i + 7]) for i in range(0, 60, 7)])
        pd.testing.assert_frame_equal(parts, expected)
    assert len(small_cache.signals._vectors) <= 2 and len(small_cache.signals._hits) <= 2


def test_threads_scoring_frames_and_tickets_at_once_get_sequential_results(engine):
    frames = [
        pd.DataFrame({"ticket_id": [f"{k}-{i}" for i in range(6)], "text": [f"Invoice {k}{i} is wrong, refund me" if i % 2 else f"Site down for account {k}" for i in range(6)]})
        for k in range(8)
    ]
    expected = [engine.score_frame(f) for f in frames]
    tickets = [engine.score_ticket({"text": f"Help with order {k}, it never came"}) for k in range(8)]
    results: list = [None] * 16
    errors: list = []

    def work(k):
        try:
            engine.prefetch(frames[k])
            results[k] = engine.score_frame(frames[k])
            results[8 + k] = engine.score_ticket({"text": f"Help with order {k}, it never came"})
        except Exception as exc:  # noqa: BLE001 - any failure is reported below with the thread's number
            errors.append((k, exc))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for k in range(8):
        pd.testing.assert_frame_equal(results[k], expected[k])
        assert results[8 + k] == tickets[k]


def test_classifier_features_are_what_the_fitted_pipeline_would_compute(engine, monkeypatch):
    # feature_matrix skips scikit-learn's per-column checks for the shipped layout; it must still
    # give exactly what the pipeline's own transform gives on the features scoring builds.
    import triage.engine as engine_module
    from triage.classifier import base_pipeline, feature_matrix

    seen = []

    def recording(classifier, features):
        seen.append((classifier, features.copy()))
        return feature_matrix(classifier, features)

    monkeypatch.setattr(engine_module, "feature_matrix", recording)
    engine.score_frame(pd.DataFrame({
        "ticket_id": ["a", "b", "c"],
        "text": ["I was charged twice, refund me now!", "How do I reset my password?", "Site down, my lawyer will call."],
    }))
    assert len(seen) == 2
    for classifier, features in seen:
        fast = feature_matrix(classifier, features)
        reference = base_pipeline(classifier)[:-1].transform(features)
        assert fast.shape == reference.shape
        np.testing.assert_allclose(fast.toarray(), reference.toarray(), rtol=0, atol=1e-12)


def test_finish_starts_waits_for_workers_still_warming_up():
    # The command line calls it before exiting: a process that exits while a worker start is in
    # torch's kernels aborts (seen as a killed run returning -6 or -2 instead of 130).
    import time

    from triage.dedupe import WorkerStart, finish_starts

    class SlowEncoder:
        def encode_windows(self, texts):
            time.sleep(0.3)

    start = WorkerStart(SlowEncoder(), 1)
    finish_starts()
    assert not start.is_alive() and start.pool is not None
    start.pool.shutdown()
