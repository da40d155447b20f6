import keras
import numpy as np
import pytest

from tinybert_keras.core.schedules import WarmupLinearDecay


def official(step, peak, total, warmup):
    """The official code's `warmup_linear(step / total, warmup / total)` times the peak rate."""
    x, w = step / total, warmup / total
    return peak * (x / w if x < w else max((x - 1.0) / (w - 1.0), 0.0))


@pytest.mark.parametrize("total, warmup", [(100, 10), (37, 3), (8, 1), (5, 0)])
def test_every_step_follows_the_official_warmup_linear(total, warmup):
    schedule = WarmupLinearDecay(3e-5, total_steps=total, warmup_steps=warmup)
    steps = range(total + 5)
    rates = [float(schedule(step)) for step in steps]
    expected = [official(step, 3e-5, total, warmup) for step in steps]
    np.testing.assert_allclose(rates, expected, rtol=1e-5, atol=1e-12)
    assert max(rates) == pytest.approx(3e-5) and rates[total:] == [0.0] * 5


def test_warmup_rises_to_the_peak_then_decay_falls_to_zero():
    schedule = WarmupLinearDecay(1.0, total_steps=10, warmup_steps=4)
    rates = [float(schedule(step)) for step in range(11)]
    assert rates[:5] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0])
    assert rates[4:] == pytest.approx([1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6, 0.0])


def test_it_round_trips_through_keras_serialization_and_drives_an_optimizer():
    schedule = WarmupLinearDecay(2e-3, total_steps=20, warmup_steps=5)
    restored = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(schedule))
    assert isinstance(restored, WarmupLinearDecay) and restored.get_config() == schedule.get_config()
    optimizer = keras.optimizers.AdamW(schedule)
    optimizer.build([keras.Variable(np.zeros(2, "float32"))])
    optimizer.iterations.assign(3)
    assert float(optimizer.learning_rate) == pytest.approx(2e-3 * 3 / 5)


@pytest.mark.parametrize("total, warmup", [(0, 0), (10, -1), (10, 11)])
def test_impossible_lengths_are_refused(total, warmup):
    with pytest.raises(ValueError, match="0 <= warmup_steps <= total_steps"):
        WarmupLinearDecay(1e-3, total_steps=total, warmup_steps=warmup)
