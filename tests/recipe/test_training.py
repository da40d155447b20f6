"""Resumable training stops at the first non-finite loss and keeps the last good backup."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.recipe import RecipeError
from tinybert_keras.recipe import training
from tinybert_keras.recipe.backups import METADATA


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
