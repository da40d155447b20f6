"""Backups that survive kills at any moment, and refuse what they cannot trust."""

import pathlib
import random
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.recipe import RecipeError
from tinybert_keras.recipe import training
from tinybert_keras.recipe.backups import METADATA

CHILD = str(pathlib.Path(__file__).parent / "resumable_child.py")
STEPS = 200


def _child(output_dir, weights):
    return subprocess.Popen(
        [sys.executable, CHILD, str(output_dir), str(STEPS), str(weights)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=str(pathlib.Path(__file__).parents[2]),
    )


def _finish(process):
    _, errors = process.communicate(timeout=300)
    assert process.returncode == 0, errors[-3000:]


def _weights(path):
    with np.load(path) as saved:
        return [saved[name] for name in sorted(saved.files, key=lambda n: int(n.split("_")[1]))]


def test_kills_at_random_moments_resume_to_the_weights_of_an_uninterrupted_run(tmp_path):
    """SIGKILL lands anywhere: in a train step, in the weights file, between a history row and
    its backup, between the metadata and the removal of the old files. Each rerun resumes and
    the last one ends with the uninterrupted run's weights and history, row for row."""
    reference = _child(tmp_path / "reference", tmp_path / "reference.npz")
    _finish(reference)
    rng = random.Random(0)
    kills = 0
    while kills < 12:
        process = _child(tmp_path / "killed", tmp_path / "killed.npz")
        intervals = rng.randint(1, 4)
        for line in process.stdout:
            intervals -= line.startswith("interval")
            if intervals == 0:
                break
        # An interval is one step (milliseconds) and its backup: most offsets land in a save.
        time.sleep(rng.uniform(0, 0.04))
        if process.poll() is not None:
            _finish(process)
            break
        process.kill()
        process.communicate()
        kills += 1
    else:
        _finish(_child(tmp_path / "killed", tmp_path / "killed.npz"))
    for expected, actual in zip(_weights(tmp_path / "reference.npz"),
                                _weights(tmp_path / "killed.npz"), strict=True):
        np.testing.assert_array_equal(actual, expected)
    assert ((tmp_path / "killed" / "history.csv").read_bytes()
            == (tmp_path / "reference" / "history.csv").read_bytes())
    assert kills >= 8


def _fit(output_dir, steps=4):
    output_dir.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    dataset = tf.data.Dataset.from_tensor_slices(
        (np.ones((8, 4), "float32"), np.zeros((8, 2), "float32"))
    ).batch(4)
    training.fit_resumable(model, dataset, steps, output_dir, steps_per_checkpoint=2, verbose=0)
    return model


@pytest.mark.parametrize("damage", ["delete", "empty"])
def test_weights_without_readable_metadata_are_refused_not_restarted(tmp_path, damage):
    _fit(tmp_path / "stage", steps=2)
    metadata = tmp_path / "stage" / "backup" / METADATA
    if damage == "delete":
        metadata.unlink()
    else:
        metadata.write_text("")
    rows = (tmp_path / "stage" / "history.csv").read_text()
    with pytest.raises(RecipeError, match=rf"no readable {METADATA}.*Delete .*backup"):
        _fit(tmp_path / "stage")
    assert (tmp_path / "stage" / "history.csv").read_text() == rows


def test_a_damaged_weights_file_names_the_backup_to_delete(tmp_path):
    _fit(tmp_path / "stage", steps=2)
    weights = next((tmp_path / "stage" / "backup").glob("*.weights.h5"))
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(RecipeError, match=r"cannot be restored .*Delete .*backup"):
        _fit(tmp_path / "stage")


def test_history_rows_after_the_backup_are_not_duplicated(tmp_path):
    """A kill after an interval's history row and before its backup: the row goes, and comes
    back once when the interval is trained again."""
    _fit(tmp_path / "reference")
    _fit(tmp_path / "stage", steps=2)
    history = tmp_path / "stage" / "history.csv"
    with open(history, "ab") as file:
        file.write(b"1,0.5")
    _fit(tmp_path / "stage")
    assert history.read_bytes() == (tmp_path / "reference" / "history.csv").read_bytes()
