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
    assert config.tiers[3].scope == "system bugs, infrastructure, complex integrations, security incidents"
    assert config.min_confidence == 0.40
    assert (config.history.window_days, config.history.same_issue_similarity) == (14.0, 0.5)
    assert dict(config.extra_words) == {}


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


def test_inline_words_and_organisation_profile(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        '[organisation]\ncompany = "Acme"\ntop_categories = ["billing", "login"]\n'
        '[keywords.words]\nchurn_risk = ["cancel my contract"]\n[review]\nmin_confidence = 0.6\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert config.organisation.company == "Acme" and config.organisation.top_categories == ("billing", "login")
    assert dict(config.extra_words) == {"churn_risk": ("cancel my contract",)}
    assert config.min_confidence == 0.6


@pytest.mark.parametrize(
    "content, message",
    [
        ("[review]\nmin_confidence = 1.5\n", "review.min_confidence must be between 0 and 1; got 1.5"),
        ("[tiers.5]\nname = 'board'\n", "tiers.5 is not a tier"),
        ("[tiers.1]\nlabel = 'x'\n", "Unknown config key 'tiers.1.label'. Known keys here: name, scope, specialism."),
        ("[history]\nwindow_days = 0\n", "history.window_days must be more than 0; got 0.0"),
        ("[keywords.words]\nlegal = 'arbitration'\n", "keywords.words.legal must be a list of non-empty strings"),
        ("[organisation]\nmonthly_ticket_volume = 'lots'\n", "organisation.monthly_ticket_volume must be a whole number"),
    ],
)
def test_more_bad_values_are_named(tmp_path, content, message):
    path = tmp_path / "policy.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert message in str(caught.value)


def test_init_config_writes_the_defaults_and_refuses_to_overwrite(tmp_path):
    from triage.config import write_default_config

    path = write_default_config(tmp_path / "team.toml")
    assert load_config(path) == load_config().__class__(**{**load_config().__dict__, "source": str(path)})
    with pytest.raises(ConfigError, match="already exists; choose another path or pass --force"):
        write_default_config(path)
    write_default_config(path, overwrite=True)
