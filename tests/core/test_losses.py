"""The losses against an independent NumPy reading of the paper's and the official formulas."""

import keras
import numpy as np
import pytest

from tinybert_keras.core.losses import AttentionScoreLoss
from tinybert_keras.core.losses import HiddenStateLoss
from tinybert_keras.core.losses import PredictionLoss

RNG = np.random.default_rng(7)
MASK = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 0, 0, 0, 0]], "int32")


def np_hidden(t, s, mask, formulation):
    if formulation == "official":
        return np.mean((s - t) ** 2)
    per_example = [
        np.mean([(s[b, i] - t[b, i]) ** 2 for i in range(t.shape[1]) if mask[b, i]])
        for b in range(len(t))
    ]
    return np.mean(per_example)


def np_attention(t, s, mask, formulation, average_heads=False):
    if formulation == "official":
        bias = (1 - mask)[:, None, None, :] * -10000.0
        t, s = t + bias, s + bias
        t, s = np.where(t <= -100, 0, t), np.where(s <= -100, 0, s)
        if average_heads:
            t, s = t.mean(1), s.mean(1)
        return np.mean((s - t) ** 2)
    if average_heads:
        t, s = t.mean(1, keepdims=True), s.mean(1, keepdims=True)
    per_example = []
    for b in range(len(t)):
        per_head = [
            np.mean([
                (s[b, h, i, j] - t[b, h, i, j]) ** 2
                for i in range(t.shape[2]) for j in range(t.shape[3]) if mask[b, i] and mask[b, j]
            ])
            for h in range(t.shape[1])
        ]
        per_example.append(np.mean(per_head))
    return np.mean(per_example)


def np_soft_ce(t, s, temperature, formulation):
    def softmax(z):
        e = np.exp(z - z.max(-1, keepdims=True))
        return e / e.sum(-1, keepdims=True)

    terms = -softmax(t / temperature) * np.log(softmax(s / temperature))
    return terms.mean() if formulation == "official" else terms.sum(-1).mean()


@pytest.mark.parametrize("formulation", ["paper", "official"])
def test_hidden_state_loss(formulation):
    t, s = RNG.normal(size=(3, 6, 5)), RNG.normal(size=(3, 6, 5))
    got = HiddenStateLoss(formulation).compute_loss(t.astype("float32"), s.astype("float32"), MASK)
    np.testing.assert_allclose(float(got), np_hidden(t, s, MASK, formulation), rtol=1e-5)


def test_hidden_state_loss_paper_ignores_padding():
    t, s = RNG.normal(size=(3, 6, 5)), RNG.normal(size=(3, 6, 5))
    s2 = s.copy()
    s2[MASK == 0] += 100.0
    loss = HiddenStateLoss()
    assert float(loss.compute_loss(t, s, MASK)) == pytest.approx(float(loss.compute_loss(t, s2, MASK)))
    assert float(HiddenStateLoss("official").compute_loss(t, s2, MASK)) > 100


@pytest.mark.parametrize("formulation", ["paper", "official"])
@pytest.mark.parametrize("average_heads", [False, True])
def test_attention_score_loss(formulation, average_heads):
    t = RNG.normal(size=(3, 4, 6, 6)) * 3
    s = RNG.normal(size=(3, 4, 6, 6)) * 3
    got = AttentionScoreLoss(formulation, average_heads).compute_loss(
        t.astype("float32"), s.astype("float32"), MASK
    )
    want = np_attention(t, s, MASK, formulation, average_heads)
    np.testing.assert_allclose(float(got), want, rtol=1e-5)


def test_attention_official_zeroes_masked_keys_but_keeps_padded_queries():
    t = np.zeros((1, 1, 3, 3), "float32")
    s = np.ones((1, 1, 3, 3), "float32")
    mask = np.array([[1, 1, 0]])
    # 3 query rows x 2 real keys = 6 unit errors over 9 entries.
    assert float(AttentionScoreLoss("official").compute_loss(t, s, mask)) == pytest.approx(6 / 9)
    # Paper: only the 2x2 real block counts.
    assert float(AttentionScoreLoss("paper").compute_loss(t, s, mask)) == pytest.approx(1.0)


def test_attention_head_mismatch():
    t, s = np.zeros((1, 16, 3, 3), "float32"), np.zeros((1, 12, 3, 3), "float32")
    with pytest.raises(ValueError, match="16 attention heads and the student 12"):
        AttentionScoreLoss().compute_loss(t, s, np.ones((1, 3)))
    t[:] = 2.0
    got = AttentionScoreLoss(average_heads=True).compute_loss(t, s, np.ones((1, 3)))
    assert float(got) == pytest.approx(4.0)


@pytest.mark.parametrize("formulation", ["paper", "official"])
@pytest.mark.parametrize("temperature", [1.0, 2.5])
def test_soft_cross_entropy(formulation, temperature):
    t, s = RNG.normal(size=(5, 3)) * 2, RNG.normal(size=(5, 3)) * 2
    got = PredictionLoss(temperature, formulation).compute_loss(
        t.astype("float32"), s.astype("float32")
    )
    np.testing.assert_allclose(float(got), np_soft_ce(t, s, temperature, formulation), rtol=1e-5)


def test_regression_prediction_loss():
    t, s = RNG.normal(size=(5,)), RNG.normal(size=(5, 1))
    got = PredictionLoss(regression=True).compute_loss(t.astype("float32"), s.astype("float32"))
    np.testing.assert_allclose(float(got), np.mean((s[:, 0] - t) ** 2), rtol=1e-5)


def test_half_precision_inputs_give_float32_losses():
    t = RNG.normal(size=(3, 4, 6, 6)).astype("float16")
    loss = AttentionScoreLoss().compute_loss(t, t * 0.5, MASK)
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    np.testing.assert_allclose(
        float(loss), np_attention(t.astype("float64"), t.astype("float64") * 0.5, MASK, "paper"),
        rtol=1e-3,
    )


@pytest.mark.parametrize(
    "loss",
    [HiddenStateLoss("official"), AttentionScoreLoss("paper", True), PredictionLoss(2.0, "official", True)],
)
def test_config_round_trip(loss):
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(loss))
    assert type(restored) is type(loss) and restored.get_config() == loss.get_config()


def test_bad_arguments():
    with pytest.raises(ValueError, match="formulation"):
        HiddenStateLoss("exact")
    with pytest.raises(ValueError, match="temperature"):
        PredictionLoss(temperature=0)
