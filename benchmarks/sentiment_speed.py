"""How many tickets a second the sentiment stage scores, against the unoptimised fp32 model.

    python benchmarks/sentiment_speed.py [--tickets 2000] [--tokens 80] [--repeat 3] [--model DIR]
                                         [--baseline-model DIR]

Texts are real English support tickets (support_tickets/tickets_multilang.csv, subject and body),
resampled with a fixed seed and cut to about --tokens word pieces, the length of a typical ticket.
Both sides produce the same output, a probability per label:

- baseline: the fine-tuned full-depth model (by default the shipped models/default; for a distilled
  ``--model``, the model it was distilled from is the unoptimised one) in fp32, batches of 32 in file order padded to the longest text
  of the batch, run under ``torch.no_grad``;
- triage: ``--model`` (default: the same model) on the scoring path (:class:`triage.encoder.TextEncoder`
  at the model's precision, batches sorted by length, ``torch.inference_mode``, windows and the head as in scoring).

It prints tickets a second for both, the ratio, and how far the two sides' sentiment scores and
labels differ. Timings vary from machine to machine; record them in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

from triage.encoder import EncoderSettings, TextEncoder
from triage.model import ModelBundle
from triage.sentiment import SentimentHead

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
TARGET = 300


def load_texts(data: Path, count: int, tokens: int, tokenizer, seed: int = 11) -> list[str]:
    path = data / "support_tickets" / "tickets_multilang.csv"
    if not path.is_file():
        raise SystemExit(f"sentiment_speed: expected the public ticket set at {path}; pass --data with the folder holding support_tickets/.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    english = frame[frame["language"] == "en"].sample(n=count, replace=True, random_state=seed)
    texts = [f"{s}. {b}" for s, b in zip(english["subject"], english["body"])]
    cut = tokenizer(texts, add_special_tokens=False, truncation=True, max_length=tokens)["input_ids"]
    return [tokenizer.decode(ids) for ids in cut]


def baseline_proba(encoder: TextEncoder, head: SentimentHead, texts: list[str], batch_size: int = 32) -> np.ndarray:
    """The straightforward way: fp32, file order, pad each batch to its longest text."""
    import torch

    out = []
    with torch.no_grad():
        for begin in range(0, len(texts), batch_size):
            batch = encoder.tokenizer(texts[begin : begin + batch_size], padding=True, truncation=True, max_length=256, return_tensors="pt")
            hidden = encoder.model(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            out.append(head.predict_proba(pooled.numpy()))
    return np.concatenate(out)


def timed(function, repeat: int) -> tuple[float, object]:
    timings, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2000)
    parser.add_argument("--tokens", type=int, default=80, help="cut each ticket to about this many word pieces")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--model", type=Path, help="model folder (default: the shipped one)")
    parser.add_argument("--baseline-model", type=Path, help="full-depth model the baseline runs (default: the shipped one)")
    parser.add_argument("--precision", choices=["auto", "bf16", "int8", "fp32"], help="override the model's encoder precision")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()

    import torch

    bundle = ModelBundle.load(args.model)
    settings = dict(bundle.manifest["encoder"].get("settings", {}))
    if args.precision:
        settings["precision"] = args.precision
    fast = TextEncoder(settings=EncoderSettings(**settings), adapter=bundle.encoder_adapter)
    reference = ModelBundle.load(args.baseline_model)
    plain_settings = {**reference.manifest["encoder"].get("settings", {}), "precision": "fp32"}
    plain = TextEncoder(settings=EncoderSettings(**plain_settings), adapter=reference.encoder_adapter)
    head, plain_head = bundle.sentiment_head, reference.sentiment_head
    texts = load_texts(args.data, args.tickets, args.tokens, fast.tokenizer)
    lengths = [len(ids) for ids in fast.tokenizer(texts)["input_ids"]]

    # Warm both paths once (first calls allocate and pick kernels), then time.
    baseline_proba(plain, plain_head, texts[:64])
    head.text_proba(fast.encode_windows(texts[:64]))
    base_time, base = timed(lambda: baseline_proba(plain, plain_head, texts), args.repeat)
    fast_time, ours = timed(lambda: head.text_proba(fast.encode_windows(texts)), args.repeat)

    base_rate, fast_rate = len(texts) / base_time, len(texts) / fast_time
    diff = np.abs(SentimentHead.score_from_proba(base) - SentimentHead.score_from_proba(ours))
    agree = float((base.argmax(1) == ours.argmax(1)).mean())
    print(f"machine           {os.cpu_count()} CPU(s), torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"tickets           {len(texts)} real English tickets, {np.mean(lengths):.0f} tokens on average (with [CLS]/[SEP])")
    depth = {name: len(encoder.model.encoder.layer) for name, encoder in (("plain", plain), ("fast", fast))}
    print(f"baseline fp32     {base_rate:8.1f} tickets/s  ('{reference.manifest['name']}', {depth['plain']} layers; file order, batches of 32, no_grad)")
    print(f"triage ({fast.precision:<5})    {fast_rate:8.1f} tickets/s  ('{bundle.manifest['name']}', {depth['fast']} layers; length-sorted, inference_mode)")
    print(f"ratio             {fast_rate / base_rate:8.2f} x")
    print(f"target            {TARGET} tickets/s: {'met' if fast_rate >= TARGET else 'NOT met'}")
    print(f"same label        {agree:.2%} of tickets; sentiment score differs by {diff.mean():.4f} on average, {diff.max():.4f} at most")


if __name__ == "__main__":
    main()
