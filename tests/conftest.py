import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CASES = SHARED / "cases" / "handed.jsonl"


def handed_cases() -> list[dict]:
    if not CASES.is_file():
        return []
    return [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def engine():
    import triage

    return triage.load()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = SHARED / "data"
    if not path.is_dir():
        pytest.skip("../shared/data is not next to the repository")
    return path


def reply_thread():
    """One customer's tweets to a brand and its replies: the customer's fifth message is their third contact."""
    import pandas as pd

    return pd.DataFrame(
        {
            "author_id": ["c1", "brand", "c1", "brand", "c1"],
            "tweet_id": ["10", "11", "12", "13", "14"],
            "in_response_to_tweet_id": ["", "10", "11", "12", "13"],
            "created_at": [f"Tue Oct 31 22:1{m}:00 +0000 2017" for m in range(5)],
            "text": ["my internet is out", "sorry, DM us", "did that, still out", "checking", "still nothing, third time"],
        }
    )
