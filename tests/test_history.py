import math

import numpy as np
import pandas as pd
import pytest

from triage.config import HistorySettings
from triage.history import HistoryColumns, count_contacts, parse_times

SETTINGS = HistorySettings(window_days=14, same_issue_similarity=0.5)


def counts(**columns) -> list:
    rows = len(columns["requester"])
    columns.setdefault("ticket_id", [str(i) for i in range(rows)])
    return [None if math.isnan(c) else int(c) for c in count_contacts(HistoryColumns(**columns), SETTINGS)]


def test_same_subject_counts_earlier_contacts_of_the_same_requester():
    result = counts(
        requester=["ann", "bob", "ann", "ann", "ann"],
        created_at=["2026-11-01T09:00Z", "2026-11-01T10:00Z", "2026-11-02T09:00Z", "2026-11-03T09:00Z", "2026-11-03T10:00Z"],
        subject=["Refund missing", "Refund missing", "RE: refund missing", "Re: Fwd: Refund  missing", "New laptop order"],
    )
    assert result == [1, 1, 2, 3, 1]


def test_window_limits_what_counts():
    result = counts(
        requester=["ann", "ann", "ann"],
        created_at=["2026-10-01T09:00Z", "2026-10-14T09:00Z", "2026-10-16T09:00Z"],
        subject=["Refund", "Refund", "Refund"],
    )
    # The third is 15 days after the first: only the second counts.
    assert result == [1, 2, 2]


def test_order_comes_from_time_not_from_file_order():
    result = counts(requester=["ann", "ann"], created_at=["2026-11-05T09:00Z", "2026-11-01T09:00Z"], subject=["x y z", "x y z"])
    assert result == [2, 1]


def test_similar_wording_counts_without_subject():
    result = counts(
        requester=["ann", "ann", "ann"],
        created_at=["2026-11-01T09:00Z", "2026-11-02T09:00Z", "2026-11-03T09:00Z"],
        text=["My parcel 4411 never arrived", "parcel 4411 still never arrived", "Please change my billing address"],
    )
    assert result == [1, 2, 1]


def test_reply_chain_threads():
    # a (customer) <- b (brand) <- c (customer) <- d (brand) <- e (customer); f is another thread.
    result = counts(
        ticket_id=["a", "b", "c", "d", "e", "f"],
        requester=["cust", "brand", "cust", "brand", "cust", "cust"],
        created_at=[f"2026-11-01T0{h}:00Z" for h in range(1, 7)],
        reply_to=["", "a", "b", "c", "d", ""],
        text=["one", "two", "three", "four", "five", "six"],
    )
    assert result == [1, 1, 2, 2, 3, 1]


def test_unknown_requester_or_time_gives_unknown():
    result = counts(requester=["", "ann"], created_at=["2026-11-01T09:00Z", "yesterday-ish"], subject=["a", "a"])
    assert result == [None, None]


def test_times_as_exports_write_them():
    parsed = parse_times(["Tue Oct 31 22:10:47 +0000 2017", "2024-03-08T17:00:00-05:00", "1717779600", "soon", None])
    assert parsed.iloc[0] == pd.Timestamp("2017-10-31 22:10:47", tz="UTC")
    assert parsed.iloc[1] == pd.Timestamp("2024-03-08 22:00", tz="UTC")
    assert parsed.iloc[2] == pd.Timestamp("2024-06-07 17:00", tz="UTC")
    assert parsed.iloc[3:].isna().all()


@pytest.mark.slow
def test_contact_counts_on_real_twitter_threads(shared_data):
    """Rebuild customer threads from reply links in the Customer Support on Twitter sample."""
    tweets = pd.read_csv(shared_data / "customer_support_twitter" / "twcs_sample.csv", dtype=str, keep_default_na=False)
    columns = HistoryColumns(
        requester=tweets["author_id"].tolist(),
        created_at=tweets["created_at"].tolist(),
        ticket_id=tweets["tweet_id"].tolist(),
        reply_to=tweets["in_response_to_tweet_id"].tolist(),
    )
    result = count_contacts(columns, HistorySettings(window_days=30, same_issue_similarity=1.0))
    inbound = (tweets["inbound"] == "True").to_numpy()
    assert not np.isnan(result[inbound]).any()
    assert (result[inbound] >= 1).all()
    # Some customers write three or more times in one thread: the repeat-contact rule must see them.
    repeat = int((result[inbound] >= 3).sum())
    assert repeat > 0
    # Spot-check one thread by hand: every inbound tweet of one author that replies within one chain.
    thread_tweets = tweets[inbound & (result >= 3)].iloc[0]
    author = thread_tweets["author_id"]
    same_author = tweets[(tweets["author_id"] == author)]
    assert len(same_author) >= 3
