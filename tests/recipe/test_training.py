"""`fit_resumable`: the plan line and progress bars counted in checkpoint intervals; a stop at the
first non-finite loss that keeps the last good backup."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.recipe import RecipeError
from tinybert_keras.recipe import training
from tinybert_keras.recipe.backups import METADATA


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


def test_a_nan_loss_stops_training_at_its_step_and_keeps_the_last_good_backup(tmp_path):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.ones((16, 4), "float32")
    x[10] = np.nan  # the sixth batch of two: step 6, in the third interval of two steps
    dataset = tf.data.Dataset.from_tensor_slices((x, np.zeros((16, 2), "float32"))).batch(2)
    with pytest.raises(RecipeError, match=r"loss is nan at step 6 of 8.*last good interval \(2\)"):
        training.fit_resumable(model, dataset, 8, tmp_path, steps_per_checkpoint=2, verbose=0)
    saved = json.loads((tmp_path / "backup" / METADATA).read_text())
    assert saved["epoch"] == 2
    assert len(training.read_history(tmp_path)["loss"]) == 2
