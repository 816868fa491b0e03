"""Low-rank adapters: a fresh adapter changes nothing, and folding a trained one into the weights
gives the same outputs as running it beside them."""

import pytest
import torch
from torch import nn

from triage.errors import ModelLoadError
from triage.lora import LoraLinear, LoraSettings, adapter_tensors, add_adapters, merge_adapters


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.query = nn.Linear(8, 8)
        self.value = nn.Linear(8, 8)
        self.other = nn.Linear(8, 4)

    def forward(self, x):
        return self.other(torch.relu(self.query(x) + self.value(x)))


def test_adapters_wrap_only_the_targets_and_start_as_the_identity():
    torch.manual_seed(0)
    model, x = Block(), torch.randn(5, 8)
    before = model(x)
    wrapped = add_adapters(model, LoraSettings(rank=2, alpha=4.0, dropout=0.0, targets=("query", "value")))
    assert wrapped == ["query", "value"]
    assert isinstance(model.query, LoraLinear) and isinstance(model.other, nn.Linear)
    assert torch.allclose(model(x), before)
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"query.lora_a", "query.lora_b", "value.lora_a", "value.lora_b"}


def test_merged_adapter_matches_the_adapter_run_beside_the_weights():
    torch.manual_seed(1)
    settings = LoraSettings(rank=2, alpha=4.0, dropout=0.0, targets=("query", "value"))
    tuned = Block()
    plain = Block()
    plain.load_state_dict(tuned.state_dict())
    add_adapters(tuned, settings)
    with torch.no_grad():
        for layer in (tuned.query, tuned.value):
            layer.lora_b.normal_()
    x = torch.randn(5, 8)
    assert merge_adapters(plain, adapter_tensors(tuned), settings.scale) == 2
    assert torch.allclose(plain(x), tuned(x), atol=1e-5)


def test_an_adapter_for_another_shape_is_refused():
    tensors = {"query.lora_a": torch.zeros(2, 16), "query.lora_b": torch.zeros(8, 2)}
    with pytest.raises(ModelLoadError, match="do not fit that layer"):
        merge_adapters(Block(), tensors, 2.0)
    with pytest.raises(ModelLoadError, match="lacks or is incomplete"):
        merge_adapters(Block(), {"missing.lora_a": torch.zeros(2, 8), "missing.lora_b": torch.zeros(8, 2)}, 2.0)
