"""Retrain the shipped default model (models/default) from the public data sets.

    python scripts/train_default_model.py [--data ../shared/data] [--out models/default]

Takes about two minutes on two CPU cores. Prints held-out figures and writes the manifest.
"""

import argparse
from pathlib import Path

from triage.training import build_default_model

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder of the shared data sets")
parser.add_argument("--out", type=Path, default=ROOT / "models" / "default", help="model folder to write")
args = parser.parse_args()
build_default_model(args.data, args.out)
print(f"wrote {args.out}")
