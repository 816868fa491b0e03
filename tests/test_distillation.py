"""Distilling the encoder: the student's adapter loads as the student it was trained as, it moves
the student toward the teacher, and adapters that do not fit are refused clearly."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from triage.distillation import DistillationSettings, _Tokens, combined_adapter, distil_encoder, label_indices
from triage.encoder import EncoderSettings, TextEncoder, keep_layers, save_adapter
from triage.errors import ModelLoadError
from triage.lora import replace_parameters
from triage.model import ModelBundle
from triage.sentiment_tuning import read_labelled_sentiment

TEXTS = [
    "My card was charged twice for one order and nobody answers.",
    "Thanks, the new dashboard works great.",
    "What time does support open on Sunday?",
    "The export to CSV fails with error 500 since yesterday.",
    "I am furious, third time I write about this refund!",
    "Please update the billing address on our account.",
    "Love the quick reply, issue solved.",
    "The app crashes every time I open the settings page.",
] * 3


def test_the_combined_adapter_applies_the_teachers_and_the_students_updates():
    torch.manual_seed(0)
    a_t, b_t, a_s, b_s = torch.randn(4, 6), torch.randn(5, 4), torch.randn(2, 6), torch.randn(5, 2)
    teacher = {"encoder.layer.3.x.lora_a": a_t, "encoder.layer.3.x.lora_b": b_t, "encoder.layer.1.x.lora_a": a_t, "encoder.layer.1.x.lora_b": b_t}
    student = {"encoder.layer.1.x.lora_a": a_s, "encoder.layer.1.x.lora_b": b_s}
    out = combined_adapter(teacher, 2.0, student, 0.5, layers=(0, 3))
    # Block 3 of the teacher is block 1 of the student; the teacher's block 1 is not kept.
    assert sorted(out) == ["encoder.layer.1.x.lora_a", "encoder.layer.1.x.lora_b"]
    merged = out["encoder.layer.1.x.lora_b"] @ out["encoder.layer.1.x.lora_a"]
    assert torch.allclose(merged, 2.0 * b_t @ a_t + 0.5 * b_s @ a_s, atol=1e-5)


def test_bad_layers_and_foreign_tensors_are_refused(tmp_path):
    with pytest.raises(ValueError, match="distinct encoder blocks"):
        DistillationSettings(layers=(0, 0))
    encoder = TextEncoder(settings=EncoderSettings(precision="fp32"))
    with pytest.raises(ModelLoadError, match=r"the encoder has 6 \(0-5\)"):
        keep_layers(encoder.model, (0, 6))
    with pytest.raises(ModelLoadError, match="not a LayerNorm parameter"):
        replace_parameters(encoder.model, {"encoder.layer.0.attention.self.query.weight": torch.zeros(384, 384)})
    path = tmp_path / "adapter.safetensors"
    save_file({"x.lora_a": torch.zeros(1, 1), "x.lora_b": torch.zeros(1, 1)}, str(path), metadata={"kind": "lora", "scale": "1.0", "layers": "0,x"})
    with pytest.raises(ModelLoadError, match="expected numbers separated by commas"):
        TextEncoder(settings=EncoderSettings(precision="fp32"), adapter=path)


@pytest.mark.slow
def test_a_distilled_student_loads_as_trained_and_moves_toward_the_teacher(tmp_path):
    teacher = ModelBundle.load()
    labels = np.full(len(TEXTS), -1)
    labels[:8] = label_indices(["negative", "positive", "neutral", "neutral", "negative", "neutral", "positive", "negative"])
    settings = DistillationSettings(layers=(0, 5), rank=4, epochs=3, batch_size=8, learning_rate=3e-3, bf16=False)
    history = []
    distilled = distil_encoder(teacher.encoder_adapter, teacher.sentiment_head, TEXTS, labels, settings, log=history.append)
    assert len(history) == 4 and distilled.layers == (0, 5)  # the teacher's pass, then one line per epoch
    assert distilled.parameters == sum(t.numel() for t in distilled.tensors.values())
    path = tmp_path / "student.safetensors"
    save_adapter(path, distilled.tensors, 1.0, "sha", layers=distilled.layers)

    fp32 = EncoderSettings(precision="fp32")
    student = TextEncoder(settings=fp32, adapter=path)
    assert student.layers == (0, 5) and len(student.model.encoder.layer) == 2
    reference = TextEncoder(settings=fp32, adapter=teacher.encoder_adapter)
    untrained = TextEncoder(settings=fp32, adapter=teacher.encoder_adapter)
    keep_layers(untrained.model, (0, 5))
    target = reference.encode(TEXTS[:8])
    before = (untrained.encode(TEXTS[:8]) * target).sum(1).mean()
    after = (student.encode(TEXTS[:8]) * target).sum(1).mean()
    assert after > before + 0.05
    # The saved adapter is the student that trained: the same embeddings as the in-memory model.
    trained = _Tokens(student.tokenizer, TEXTS[:8], 128).embed(distilled.model, bf16=False)
    assert np.abs(student.encode(TEXTS[:8]) - trained).max() < 1e-4


def test_distillation_refuses_a_distilled_teacher(tmp_path):
    path = tmp_path / "student.safetensors"
    save_adapter(path, {"encoder.layer.0.attention.self.query.lora_a": torch.zeros(1, 384), "encoder.layer.0.attention.self.query.lora_b": torch.zeros(384, 1)}, 1.0, "sha", layers=(0,))
    head = ModelBundle.load().sentiment_head
    with pytest.raises(ModelLoadError, match="itself a distilled encoder"):
        distil_encoder(path, head, TEXTS[:2], [-1, -1])


def test_distillation_texts_leave_out_every_held_out_row():
    from pathlib import Path

    from triage.training import distillation_texts

    shared = Path(__file__).resolve().parents[2] / "shared" / "data"
    if not shared.is_dir():
        pytest.skip("../shared/data is not here")
    data = read_labelled_sentiment(shared / "airline_sentiment" / "tweets.csv")
    texts, labels, counts = distillation_texts(shared, data)
    assert len(texts) == len(labels) == sum(counts.values()) > 25_000
    # The labelled texts are exactly the training rows (some tweets recur word for word across the
    # split, so the rows, not the texts, are compared).
    assert [t for t, label in zip(texts, labels) if label >= 0] == [t for t, used in zip(data.texts, data.train) if used]
    assert not (data.train & (data.held_out | data.validation)).any()


def test_bf16_weights_rounded_once_give_what_autocast_gives():
    from triage.encoder import native_bf16

    if not native_bf16():
        pytest.skip("this CPU has no native bfloat16")
    adapter = ModelBundle.load("fast").encoder_adapter
    encoder = TextEncoder(settings=EncoderSettings(precision="bf16"), adapter=adapter)
    linears = [m for m in encoder.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)
    rounded_once = encoder.encode(TEXTS[:8])
    # Put the fp32 weights back: autocast then rounds them to bfloat16 on every call.
    encoder.model.float()
    encoder.model.load_state_dict(TextEncoder(settings=EncoderSettings(precision="fp32"), adapter=adapter).model.state_dict())
    assert all(m.weight.dtype == torch.float32 for m in linears)
    assert np.array_equal(encoder.encode(TEXTS[:8]), rounded_once)
