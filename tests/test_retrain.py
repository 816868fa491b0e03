import pandas as pd
import pytest

from triage.config import load_config
from triage.errors import MissingColumnError
from triage.retrain import (
    LabelOptions,
    TrainingError,
    normalise_priority,
    parse_times,
    read_labelled_export,
    read_tiers,
    time_split,
)


def frame(**columns) -> pd.DataFrame:
    return pd.DataFrame(columns)


def test_priority_values_map_case_insensitively_with_p_levels_and_urgent():
    values = pd.Series(["URGENT", "p1", "High", " medium ", "P4", "low", "", "Critical"])
    assert normalise_priority(values, "priority").tolist() == ["Critical", "Critical", "High", "Medium", "Low", "Low", "", "Critical"]


def test_unknown_priority_value_names_the_values_and_the_fix():
    with pytest.raises(TrainingError, match=r"Priority column 'prio' holds value\(s\) \['whenever'\] that triage cannot map"):
        normalise_priority(pd.Series(["high", "whenever"]), "prio")


def test_tiers_read_numbers_and_tier_words():
    assert read_tiers(pd.Series(["1", "Tier 2", "3.0", "t4", ""]), "tier").tolist() == [1, 2, 3, 4, 0]
    with pytest.raises(TrainingError, match=r"Tier column 'tier' holds value\(s\) \['5'\]; expected 1-4"):
        read_tiers(pd.Series(["5"]), "tier")


def test_tier_from_queue_uses_queue_tiers_and_names_unknown_queues():
    config = load_config()
    data = read_labelled_export(frame(text=["a", "b"], queue=["Technical Support", "service outages and maintenance"]), config)
    assert data.tier.tolist() == [2, 3]
    assert data.sources == {"tier": "column 'queue' through [queue_tiers]"}
    with pytest.raises(TrainingError, match=r"Queue column 'queue' holds queue\(s\) \['Moon Desk'\].*\"Moon Desk\" = 2"):
        read_labelled_export(frame(text=["a"], queue=["Moon Desk"]), config)


def test_time_split_holds_out_the_latest_fifth_and_never_trains_on_the_future():
    times = pd.Series(pd.date_range("2026-01-01", periods=10, freq="D", tz="UTC")).sample(frac=1, random_state=0).reset_index(drop=True)
    held = time_split(times)
    assert held.sum() == 2
    assert times[~held].max() < times[held].min()


def test_export_with_timestamps_is_split_by_time():
    created = [f"2026-01-{d:02d}T10:00:00Z" for d in range(1, 11)]
    data = read_labelled_export(frame(text=[f"t{i}" for i in range(10)], priority=["high", "low"] * 5, created_at=created), load_config())
    assert data.validation.tolist() == [False] * 8 + [True] * 2
    assert data.split.startswith("by time: the latest 20 % of 'created_at' held out")


def test_export_without_timestamps_falls_back_to_the_hash_split():
    data = read_labelled_export(frame(text=[f"ticket {i}" for i in range(200)], priority=["high"] * 200), load_config())
    assert 20 < data.validation.sum() < 60
    assert data.split.startswith("sha256(subject + newline + text)")


def test_rows_without_any_label_are_dropped_and_counted():
    data = read_labelled_export(frame(text=["a", "b", "c"], priority=["high", "", "low"]), load_config())
    assert data.priority.tolist() == ["High", "Low"] and data.dropped_rows == 1 and data.tier is None


def test_explicit_label_column_must_exist():
    with pytest.raises(MissingColumnError, match="The priority column 'prio' is not in the export; columns found: text, priority."):
        read_labelled_export(frame(text=["a"], priority=["high"]), load_config(), LabelOptions(priority_column="prio"))


def test_export_without_labels_lists_the_accepted_names():
    with pytest.raises(MissingColumnError, match=r"No label column found: expected a priority column \(priority, ticket_priority"):
        read_labelled_export(frame(text=["a"]), load_config())


def test_epoch_seconds_parse_as_utc():
    parsed = parse_times(pd.Series(["1767225600", "1767312000"]))
    assert parsed.dt.strftime("%Y-%m-%d").tolist() == ["2026-01-01", "2026-01-02"]


def test_bad_tier_from_option():
    with pytest.raises(TrainingError, match="tier_from must be 'tier', 'queue' or None; got 'group'."):
        LabelOptions(tier_from="group")


@pytest.mark.slow
def test_train_splits_by_time_and_keeps_the_base_tier_classifier_without_tier_labels(shared_data, tmp_path):
    from triage.model import ModelBundle, default_model_path
    from triage.retrain import TrainSettings, train_model

    data = pd.read_csv(shared_data / "support_tickets" / "tickets_multilang.csv", dtype=str, keep_default_na=False)
    data = data[data["language"] == "en"].head(150)[["subject", "body", "priority"]].reset_index(drop=True)
    data["created_at"] = [f"2026-03-{1 + i // 6:02d}T{i % 6 + 8:02d}:00:00Z" for i in range(len(data))][::-1]
    path = tmp_path / "history.csv"
    data.to_csv(path, index=False)
    manifest = train_model(path, tmp_path / "mine", TrainSettings(search=False), log=lambda _: None)
    info = manifest["classifier"]["training_data"]
    assert info["split"] == "by time: the latest 20 % of 'created_at' held out (training ends 2026-03-20T13:00:00+00:00)"
    assert (info["priority_train_rows"], info["priority_held_out_rows"]) == (120, 30)
    assert info["targets_kept_from_base"] == ["tier"]
    bundle, default = ModelBundle.load(tmp_path / "mine"), ModelBundle.load(default_model_path())
    assert list(bundle.classifier["tier"].classes_) == list(default.classifier["tier"].classes_)
    assert "No labels for tier: that classifier is the base model's." in (tmp_path / "mine" / "MODEL_CARD.md").read_text()
    # Retraining a model into its own folder reads the old files before the new folder takes its place.
    again = train_model(path, tmp_path / "mine", TrainSettings(search=False, base_model=tmp_path / "mine"), log=lambda _: None)
    assert again["sentiment"]["copied_from"] == str(tmp_path / "mine") and ModelBundle.load(tmp_path / "mine")
    assert not list(tmp_path.glob(".mine.*"))
