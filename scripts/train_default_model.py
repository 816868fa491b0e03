"""Retrain the shipped default model (models/default) from the public data sets.

    python scripts/train_default_model.py [--data ../shared/data] [--out models/default]
                                          [--sentiment-from DIR]

Fine-tuning the sentiment model takes 30-40 minutes on two CPU cores (bfloat16 where the CPU has
it); the classifier about two more. `--sentiment-from DIR` reuses sentiment parts fine-tuned earlier
by the same code on the same data (`triage train-sentiment ... --out DIR`), and rebuilds the rest.
Prints held-out figures and writes the manifest and model card.
"""

import argparse
from pathlib import Path

from triage.training import build_default_model

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder of the shared data sets")
parser.add_argument("--out", type=Path, default=ROOT / "models" / "default", help="model folder to write")
parser.add_argument("--sentiment-from", type=Path, help="reuse sentiment parts fine-tuned earlier on the same data")
args = parser.parse_args()
build_default_model(args.data, args.out, sentiment_from=args.sentiment_from)
print(f"wrote {args.out}")
