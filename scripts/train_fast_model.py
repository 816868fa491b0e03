"""Build the fast model (models/fast): the default model's encoder distilled into 3 of its 6 blocks.

    python scripts/train_fast_model.py [--data ../shared/data] [--teacher models/default]
                                       [--out models/fast] [--layers 0,3,5] [--epochs 3]

The student keeps the named blocks of the teacher's fine-tuned encoder and learns, through a new
low-rank adapter, to give the teacher's embeddings on about 30,000 customer texts; it keeps the
teacher's sentiment head, and the classifier is retrained on its embeddings. About 25 minutes on two
CPU cores (bfloat16 where the CPU has it). Prints held-out figures and writes the manifest and card.
"""

import argparse
from pathlib import Path

from triage.distillation import DistillationSettings
from triage.model import staged_model_folder
from triage.training import build_distilled_model

ROOT = Path(__file__).resolve().parents[1]

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="folder of the shared data sets")
parser.add_argument("--teacher", type=Path, default=ROOT / "models" / "default", help="model whose encoder is distilled")
parser.add_argument("--out", type=Path, default=ROOT / "models" / "fast", help="model folder to write")
parser.add_argument("--layers", default="0,3,5", help="the teacher's encoder blocks the student keeps (default: 0,3,5)")
parser.add_argument("--epochs", type=int, default=DistillationSettings.epochs)
args = parser.parse_args()
settings = DistillationSettings(layers=tuple(int(x) for x in args.layers.split(",")), epochs=args.epochs)
with staged_model_folder(args.out) as staged:
    build_distilled_model(args.data, args.teacher, staged, settings, name=args.out.name)
print(f"wrote {args.out}")
