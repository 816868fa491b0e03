"""Low-rank adapters (LoRA) for the encoder's linear layers.

Fine-tuning trains a pair of small matrices ``A`` (rank x in) and ``B`` (out x rank) beside each
chosen linear layer and leaves the pretrained weight frozen, so a model folder carries a few
megabytes of adapter instead of a copy of the encoder. For inference the adapter is folded into
the weight once (``W + scale * B @ A``), so scoring costs exactly what the plain encoder costs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from .errors import ModelLoadError

# The attention projections and the feed-forward layers of every BERT block.
DEFAULT_TARGETS = ("query", "key", "value", "attention.output.dense", "intermediate.dense", "output.dense")


@dataclass(frozen=True)
class LoraSettings:
    rank: int = 16
    alpha: float = 32.0
    dropout: float = 0.1
    targets: tuple[str, ...] = DEFAULT_TARGETS

    @property
    def scale(self) -> float:
        return self.alpha / self.rank


class LoraLinear(nn.Module):
    """A frozen linear layer plus a trainable low-rank update."""

    def __init__(self, base: nn.Linear, settings: LoraSettings):
        super().__init__()
        self.base = base
        self.base.requires_grad_(False)
        self.scale = settings.scale
        self.dropout = nn.Dropout(settings.dropout)
        self.lora_a = nn.Parameter(torch.empty(settings.rank, base.in_features))
        self.lora_b = nn.Parameter(torch.zeros(base.out_features, settings.rank))
        # B starts at zero, so training starts from the pretrained encoder exactly.
        nn.init.kaiming_uniform_(self.lora_a, a=math.sqrt(5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + (self.dropout(x) @ self.lora_a.T @ self.lora_b.T) * self.scale


def _targeted(name: str, targets: tuple[str, ...]) -> bool:
    return any(name == t or name.endswith("." + t) for t in targets)


def add_adapters(model: nn.Module, settings: LoraSettings) -> list[str]:
    """Wrap every targeted linear layer of ``model`` in place; returns the wrapped layers' names."""
    model.requires_grad_(False)
    wrapped = []
    for name, module in list(model.named_modules()):
        if isinstance(module, nn.Linear) and _targeted(name, settings.targets):
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name) if parent_name else model
            setattr(parent, child, LoraLinear(module, settings))
            wrapped.append(name)
    if not wrapped:
        raise ValueError(f"No linear layer of the model matches the LoRA targets {list(settings.targets)}.")
    return wrapped


def adapter_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """The trained adapter as plain tensors: ``<layer>.lora_a`` and ``<layer>.lora_b`` per layer."""
    tensors = {}
    for name, module in model.named_modules():
        if isinstance(module, LoraLinear):
            tensors[f"{name}.lora_a"] = module.lora_a.detach().clone().contiguous()
            tensors[f"{name}.lora_b"] = module.lora_b.detach().clone().contiguous()
    return tensors


def merge_adapters(model: nn.Module, tensors: dict[str, torch.Tensor], scale: float) -> int:
    """Fold adapter tensors into the plain linear layers of ``model``; returns how many were merged."""
    layers = sorted({key.rsplit(".", 1)[0] for key in tensors})
    for name in layers:
        try:
            module = model.get_submodule(name)
            a, b = tensors[f"{name}.lora_a"], tensors[f"{name}.lora_b"]
        except (AttributeError, KeyError) as exc:
            raise ModelLoadError(f"The encoder adapter names layer '{name}', which the encoder lacks or is incomplete.") from exc
        if not isinstance(module, nn.Linear) or a.shape[1] != module.in_features or b.shape[0] != module.out_features:
            raise ModelLoadError(
                f"The adapter for '{name}' has shapes {tuple(a.shape)} and {tuple(b.shape)}, "
                f"which do not fit that layer; the adapter was trained for another encoder."
            )
        with torch.no_grad():
            module.weight += (b.to(module.weight.dtype) @ a.to(module.weight.dtype)) * scale
    return len(layers)


def replace_parameters(model: nn.Module, tensors: dict[str, torch.Tensor]) -> int:
    """Overwrite LayerNorm parameters of ``model`` with trained ones (a distilled student trains
    its norms whole: a few hundred numbers each); returns how many were replaced."""
    parameters = dict(model.named_parameters())
    for name, value in tensors.items():
        module_name = name.rsplit(".", 1)[0]
        target = parameters.get(name)
        if target is None or not isinstance(model.get_submodule(module_name), nn.LayerNorm) or target.shape != value.shape:
            raise ModelLoadError(
                f"The encoder adapter holds '{name}' {tuple(value.shape)}, which is not a LayerNorm parameter of this "
                "encoder with that shape; the adapter was trained for another encoder."
            )
        with torch.no_grad():
            target.copy_(value.to(target.dtype))
    return len(tensors)
