"""Fine-tuning reads labelled CSVs strictly, and what it writes scores through the scoring path."""

import json

import numpy as np
import pandas as pd
import pytest

from triage.encoder import ADAPTER_FILE, EncoderSettings, TextEncoder
from triage.errors import InputError, MissingColumnError, ModelLoadError
from triage.lora import LoraSettings
from triage.model import SENTIMENT_FILE
from triage.sentiment import SentimentHead
from triage.sentiment_eval import calibration, evaluate_sentiment, format_report
from triage.model import default_model_path
from triage.sentiment_tuning import TuningSettings, read_labelled_sentiment, refit_head, reuse_sentiment_parts, train_sentiment_model

POSITIVE = ["I love the new app, thank you so much", "Great service today, really happy", "Thanks, you fixed it fast, wonderful"]
NEGATIVE = ["This is terrible, I hate waiting on hold", "Worst support ever, I am furious", "Awful, my order is lost again"]
NEUTRAL = ["What time does the store open on Sunday", "My order number is 4411", "Please send the invoice to my office address"]


def labelled_csv(path, copies: int = 8):
    rows = [(t, label) for _ in range(copies) for label, texts in (("positive", POSITIVE), ("negative", NEGATIVE), ("neutral", NEUTRAL)) for t in texts]
    frame = pd.DataFrame({"id": range(len(rows)), "text": [f"{t} ({i})" for i, (t, _) in enumerate(rows)], "label": [label for _, label in rows]})
    frame.to_csv(path, index=False)
    return path


def test_labels_are_read_in_several_spellings_and_split_stably(tmp_path):
    path = tmp_path / "labelled.csv"
    pd.DataFrame({"id": ["a", "b", "c", "d"], "text": ["x y", "y z", "z w", "w x"], "label": ["POS", "-1", "neutral", ""]}).to_csv(path, index=False)
    data = read_labelled_sentiment(path, "text", "label", "id")
    assert data.labels.tolist() == ["positive", "negative", "neutral"]  # the unlabelled row is left out
    again = read_labelled_sentiment(path, "text", "label", "id")
    assert (data.held_out == again.held_out).all() and (data.validation == again.validation).all()
    assert not (data.train & data.held_out).any()


def test_bad_labels_and_missing_columns_are_clear_errors(tmp_path):
    path = tmp_path / "labelled.csv"
    pd.DataFrame({"text": ["a"], "label": ["furious"]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"labels \['furious'\] that are not negative / neutral / positive"):
        read_labelled_sentiment(path, "text", "label", None)
    with pytest.raises(MissingColumnError, match=r"no column 'tweet_id'; columns found: \['text', 'label'\]"):
        read_labelled_sentiment(path, "text", "label", "tweet_id")


def test_calibration_error_on_a_hand_made_case():
    labels = np.array(["negative", "negative", "positive", "neutral"])
    proba = np.array([[0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.9, 0.05, 0.05], [0.1, 0.5, 0.4]], dtype=np.float32)
    error, table = calibration(labels, proba)
    # Three texts at 0.9 with two right (gap 0.9 - 2/3), one at 0.5 and right (gap 0.5).
    assert error == pytest.approx(0.75 * (0.9 - 2 / 3) + 0.25 * 0.5, abs=1e-4)
    assert [row["texts"] for row in table] == [1, 3]


@pytest.mark.slow
def test_fine_tuned_parts_score_through_the_scoring_path(tmp_path):
    data = read_labelled_sentiment(labelled_csv(tmp_path / "labelled.csv"), "text", "label", "id")
    settings = TuningSettings(epochs=3, batch_size=8, learning_rate=2e-3, bf16=False, lora=LoraSettings(rank=4, alpha=8.0))
    parts = train_sentiment_model(data, tmp_path / "model", settings, log=lambda _: None)
    assert (tmp_path / "model" / ADAPTER_FILE).is_file() and (tmp_path / "model" / SENTIMENT_FILE).is_file()
    tuning = parts["sentiment"]["fine_tuning"]
    assert [h["epoch"] for h in tuning["history"]] == [1, 2, 3] and 1 <= tuning["best_epoch"] <= 3
    assert tuning["adapter_parameters"] == 6 * (4 * 4 * (384 + 384) + 2 * 4 * (384 + 1536))

    encoder = TextEncoder(settings=EncoderSettings(precision="fp32"), adapter=tmp_path / "model" / ADAPTER_FILE)
    head = SentimentHead.load(tmp_path / "model" / SENTIMENT_FILE)
    texts = np.array(data.texts, dtype=object)[data.train]
    predicted = head.predict(encoder.encode_windows(list(texts)).text_embeddings())
    assert (predicted == data.labels[data.train]).mean() >= 0.9
    report = evaluate_sentiment(data, encoder, head, baselines=False)
    assert report.rows == int(data.held_out.sum()) and 0.0 <= report.accuracy <= 1.0
    assert "required" in format_report(report)

    calm = ["The CSV export fails with error 500 when I pick last month.", "Our invoice lists two seats; we have three."]
    refitted = refit_head(encoder, data, calm * 10)
    calm_windows = encoder.encode_windows(calm)
    assert (refitted.text_proba(calm_windows)[:, 1] > head.text_proba(calm_windows)[:, 1]).all()

    reused = reuse_sentiment_parts(tmp_path / "model", tmp_path / "copy", data)
    assert reused == parts and (tmp_path / "copy" / ADAPTER_FILE).read_bytes() == (tmp_path / "model" / ADAPTER_FILE).read_bytes()
    other = read_labelled_sentiment(labelled_csv(tmp_path / "other.csv", copies=4), "text", "label", "id")
    with pytest.raises(ModelLoadError, match="train them again"):
        reuse_sentiment_parts(tmp_path / "model", tmp_path / "copy", other)
    with pytest.raises(ModelLoadError, match="were trained on tweets.csv"):  # a model folder's parts, read from its manifest
        reuse_sentiment_parts(default_model_path(), tmp_path / "copy", data)


def test_a_damaged_adapter_is_refused(tmp_path):
    path = tmp_path / ADAPTER_FILE
    path.write_bytes(b"not safetensors")
    with pytest.raises(ModelLoadError, match="Cannot read the encoder adapter"):
        TextEncoder(settings=EncoderSettings(precision="fp32"), adapter=path)


def test_train_and_evaluate_sentiment_commands(tmp_path, capsys):
    from triage.cli import main

    labelled = labelled_csv(tmp_path / "labelled.csv")
    out = tmp_path / "mine"
    columns = ["--text-column", "text", "--label-column", "label", "--id-column", "id"]
    assert main(["train-sentiment", str(labelled), "--out", str(out), "--epochs", "1", "--rank", "4", *columns]) == 0
    printed = capsys.readouterr().out
    assert "Sentiment on" in printed and f"--base-model {out}" in printed
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "Sentiment (held-out rows of `labelled.csv`)" in card and "| this model |" in card
    assert main(["evaluate-sentiment", str(labelled), "--model", str(out), "--no-baseline", "--json", str(tmp_path / "fig.json"), *columns]) == 0
    assert "Sentiment on" in capsys.readouterr().out and (tmp_path / "fig.json").is_file()
    # Retrained into the folder it starts from: the folder is replaced whole once training ends.
    assert main(["train-sentiment", str(labelled), "--out", str(out), "--base-model", str(out), "--epochs", "1", "--rank", "4", *columns]) == 0
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["name"] == "mine"
    assert not list(tmp_path.glob(".mine.*"))  # no staging or old folder left behind
