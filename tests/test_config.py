import pytest

from triage.config import load_config
from triage.errors import ConfigError


def test_defaults_follow_the_escalation_policy():
    config = load_config()
    assert config.thresholds.angry_sentiment == -0.7
    assert config.thresholds.vip_ltv == 10_000
    assert config.thresholds.revenue_impact == 1_000
    assert config.thresholds.repeat_contact == 3
    assert config.vip_tiers == ("Enterprise", "VIP")
    assert {p: (t.first_response, t.resolution) for p, t in config.sla.items()} == {
        "Critical": (15, 240),
        "High": (60, 480),
        "Medium": (240, 1440),
        "Low": (480, 2880),
    }
    assert config.tier_names[4] == "management"


def test_a_team_file_changes_only_what_it_names(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[thresholds]\nvip_ltv = 50000\n[columns]\ntext = 'Body'\n", encoding="utf-8")
    config = load_config(path)
    assert config.thresholds.vip_ltv == 50_000
    assert config.thresholds.revenue_impact == 1_000
    assert dict(config.columns) == {"text": "Body"}


@pytest.mark.parametrize(
    "content, message",
    [
        ("[thresholds]\nvip_ltvv = 5\n", "Unknown config key 'thresholds.vip_ltvv'"),
        ("[thresholds]\nvip_ltv = 'lots'\n", "thresholds.vip_ltv must be a number; got 'lots'"),
        ("[thresholds]\nrepeat_contact = 2.5\n", "thresholds.repeat_contact must be a whole number; got 2.5"),
        ("[thresholds]\nangry_sentiment = -3\n", "thresholds.angry_sentiment must be between -1 and 1; got -3.0"),
        ("[sla.Urgent]\nfirst_response = 5\nresolution = 10\n", "sla.Urgent is not a priority"),
        ("[customers]\nvip_tiers = 'Enterprise'\n", "customers.vip_tiers must be a list"),
        ("[keywords]\nextra_pattern_files = ['nope.jsonl']\n", "does not exist"),
        ("thresholds = [", "is not valid TOML"),
    ],
)
def test_bad_files_name_the_key_and_value(tmp_path, content, message):
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "absent.toml")
