"""`fit_resumable`'s output: the plan line and progress bars counted in checkpoint intervals."""

import keras
import numpy as np
import tensorflow as tf

from tinybert_keras.recipe import training


def _model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def _dataset():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 4)).astype("float32"), rng.normal(size=(40, 1)).astype("float32")
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(4)


def test_the_stage_output_names_its_unit_intervals_of_steps(tmp_path, capsys):
    history = training.fit_resumable(_model(), _dataset(), 7, tmp_path, 3, verbose=2,
                                     name="phase 1 (intermediate layers)")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == ("phase 1 (intermediate layers): 9 steps in 3 intervals of 3 "
                                   "steps (checkpoint after each; 7 rounded up to equal intervals)")
    assert [line for line in out.splitlines() if line.startswith("Interval")] == [
        "Interval 1/3", "Interval 2/3", "Interval 3/3"]
    assert "Epoch" not in out and out.count("3/3 - ") == 3
    assert len(history.history["loss"]) == 3
    training.fit_resumable(_model(), _dataset(), 7, tmp_path, 3, verbose=2, name="again")
    assert "(checkpoint after each; 7 rounded up to equal intervals; resuming after interval 3)" in (
        capsys.readouterr().out.splitlines()[0])


def test_a_silent_fit_prints_nothing(tmp_path, capsys):
    training.fit_resumable(_model(), _dataset(), 4, tmp_path, 2, verbose=0)
    assert capsys.readouterr().out == ""


def test_the_plan_line_without_rounding():
    assert training.interval_plan("fine-tuning", 8, 1, 8) == (
        "fine-tuning: 8 steps in 1 interval of 8 steps (checkpoint after each)")
