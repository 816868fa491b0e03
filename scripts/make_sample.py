"""Rebuild data/sample_tickets.csv, the bundled sample export, from ../shared/data/.

    python scripts/make_sample.py [--data ../shared/data]

Ticket text is real public data (see data/README.md); customer values and contact counts are drawn
from a seeded random generator so the policy rules have something to act on.
"""

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from triage.training import held_out

ROOT = Path(__file__).resolve().parents[1]
parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
args = parser.parse_args()
rng = np.random.default_rng(20261203)

tickets = pd.read_csv(args.data / "support_tickets" / "tickets_multilang.csv", dtype=str, keep_default_na=False)
tickets = tickets[(tickets["language"] == "en") & held_out(tickets["subject"] + "\n" + tickets["body"])]
tickets = tickets.sample(n=200, random_state=1)
part_a = pd.DataFrame({"subject": tickets["subject"], "body": tickets["body"], "source": "support_tickets (held-out split)"})

tweets = pd.read_csv(args.data / "customer_support_twitter" / "twcs_sample.csv", dtype=str, keep_default_na=False)
tweets = tweets[(tweets["inbound"] == "True") & (tweets["in_response_to_tweet_id"] == "")].sample(n=60, random_state=2)
part_b = pd.DataFrame({"subject": "", "body": tweets["text"], "source": "customer_support_twitter"})

complaints = pd.read_csv(args.data / "comcast_complaints" / "comcast_complaints.csv", dtype=str, keep_default_na=False)
complaints = complaints.sample(n=40, random_state=3)
part_c = pd.DataFrame({"subject": "", "body": complaints["Customer Complaint"], "source": "comcast_complaints"})

sample = pd.concat([part_a, part_b, part_c], ignore_index=True).sample(frac=1.0, random_state=4).reset_index(drop=True)
rows = len(sample)
sample.insert(0, "ticket_id", [f"TK-{i:05d}" for i in rng.choice(np.arange(1, 99999), size=rows, replace=False)])
start = np.datetime64("2026-11-02T08:00")
sample["created_at"] = [str(start + np.timedelta64(int(m), "m")) + "Z" for m in np.sort(rng.integers(0, 60 * 24 * 28, rows))]
sample["customer_tier"] = rng.choice(["Standard", "Pro", "Enterprise"], size=rows, p=[0.7, 0.2, 0.1])
sample["ltv"] = np.round(rng.lognormal(mean=7.0, sigma=1.3, size=rows), 2)
sample["revenue_impact"] = np.where(rng.random(rows) < 0.12, np.round(rng.lognormal(6.5, 1.0, rows), 2), 0.0)
sample["contact_count"] = np.minimum(rng.geometric(0.6, size=rows), 6)
# Lifecycle, so the SLA clock has something to read: most tickets solved, some open or waiting.
created = np.array([np.datetime64(c[:-1]) for c in sample["created_at"]])
status = rng.choice(["solved", "open", "pending"], size=rows, p=[0.75, 0.15, 0.10])
first_reply = created + (rng.lognormal(4.0, 1.0, rows)).astype("timedelta64[m]")
resolved = first_reply + (rng.lognormal(6.5, 1.0, rows)).astype("timedelta64[m]")
# Solved and pending tickets have had a reply (pending = waiting on the customer's answer).
answered = (status != "open") | (rng.random(rows) < 0.5)


def stamp(values, keep):
    return [str(v) + "Z" if k else "" for v, k in zip(values, keep)]


sample["status"] = status
sample["first_response_at"] = stamp(first_reply, answered)
sample["resolved_at"] = stamp(resolved, status == "solved")
sample["updated_at"] = stamp(first_reply, status == "pending")
columns = [
    "ticket_id", "created_at", "status", "first_response_at", "resolved_at", "updated_at", "subject", "body",
    "customer_tier", "ltv", "revenue_impact", "contact_count", "source",
]
sample[columns].to_csv(ROOT / "data" / "sample_tickets.csv", index=False)
print(f"wrote {rows} rows to data/sample_tickets.csv")
