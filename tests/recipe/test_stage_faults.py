"""The stages under faults: interrupted and resumed, a result changed after it finished, wrong
settings refused before anything is written, two runs in one folder, a diverging run."""

import dataclasses
import json
import pathlib
import re
import shutil
import subprocess
import sys

import keras
import keras_hub
import numpy as np
import pytest

from recipe_tiny import CORPUS
from recipe_tiny import FAST
from recipe_tiny import STUDENT
from recipe_tiny import task_distill_tiny
from tinybert_keras import recipe
from tinybert_keras.data import DataError
from tinybert_keras.recipe import task as task_module
from tinybert_keras.recipe import training


class Interrupt(keras.callbacks.Callback):
    """Raises in the middle of the second interval of the training it joins."""

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 1:
            raise KeyboardInterrupt("killed mid-interval")


def _kill_during_first_training(monkeypatch, run_stage):
    """Runs a stage whose first training is interrupted mid-interval, as a kill would do."""
    original = training.fit_resumable
    calls = []

    def fit(*args, callbacks=(), **kwargs):
        calls.append(True)
        extra = [Interrupt()] if len(calls) == 1 else []
        return original(*args, callbacks=[*callbacks, *extra], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(training, "fit_resumable", fit)
        with pytest.raises(KeyboardInterrupt):
            run_stage()


def _assert_same_weights(cls, expected, actual):
    for want, got in zip(cls.from_preset(expected).get_weights(),
                         cls.from_preset(actual).get_weights(), strict=True):
        np.testing.assert_array_equal(got, want)


def _finetune(runs, output_dir, **kwargs):
    return recipe.finetune(runs["pretrained"], runs["data"], output_dir,
                           **{"epochs": 10, "learning_rate": 1e-2, **FAST, **kwargs})


def _general(runs, output_dir, **kwargs):
    return recipe.general_distill(
        runs["pretrained"], STUDENT, output_dir,
        **{"corpus": CORPUS, "sequence_length": 16, "max_steps": 4, "steps_per_checkpoint": 2,
           **FAST, **kwargs},
    )


def test_interrupted_teacher_finetuning_resumes_to_the_same_weights(runs, tmp_path,
                                                                    monkeypatch):
    _kill_during_first_training(monkeypatch, lambda: _finetune(runs, tmp_path / "teacher"))
    assert (tmp_path / "teacher" / "backup").is_dir()
    resumed = _finetune(runs, tmp_path / "teacher")
    _assert_same_weights(keras_hub.models.TextClassifier, runs["teacher"]["preset"],
                         resumed["preset"])
    assert resumed["dev"] == runs["teacher"]["dev"]
    assert len(recipe.read_history(tmp_path / "teacher")["loss"]) == 10


def test_interrupted_general_distillation_resumes_to_the_same_weights(runs, tmp_path,
                                                                      monkeypatch):
    _kill_during_first_training(monkeypatch, lambda: _general(runs, tmp_path / "general"))
    resumed = _general(runs, tmp_path / "general")
    _assert_same_weights(keras_hub.models.Backbone, runs["general"]["preset"],
                         resumed["preset"])
    assert resumed["losses"] == runs["general"]["losses"]


def test_interrupted_task_distillation_resumes_to_the_same_weights(runs, tmp_path, monkeypatch):
    _kill_during_first_training(monkeypatch, lambda: task_distill_tiny(runs, tmp_path / "resumed"))
    assert (tmp_path / "resumed" / "intermediate" / "backup").is_dir()
    resumed = task_distill_tiny(runs, tmp_path / "resumed")
    _assert_same_weights(keras_hub.models.TextClassifier, runs["task"]["preset"],
                         resumed["preset"])
    assert resumed["student_dev"] == runs["task"]["student_dev"]
    history = recipe.read_history(tmp_path / "resumed" / "intermediate")
    assert history == recipe.read_history(runs["root"] / "task" / "intermediate")


def test_interrupted_prediction_phase_keeps_its_best_checkpoint_and_resumes(runs, tmp_path,
                                                                           monkeypatch):
    # Phase 1 as it finished in the reference run; phase 2 starts here and is interrupted.
    folder = tmp_path / "task"
    folder.mkdir()
    shutil.copy(runs["root"] / "task" / "run.json", folder)
    shutil.copytree(runs["root"] / "task" / "intermediate", folder / "intermediate")
    _kill_during_first_training(monkeypatch, lambda: task_distill_tiny(runs, folder))
    best = json.loads((folder / "prediction" / "best.json").read_text())
    assert best["interval"] == 1 and (folder / "prediction" / "best.weights.h5").is_file()
    resumed = task_distill_tiny(runs, folder)
    _assert_same_weights(keras_hub.models.TextClassifier, runs["task"]["preset"],
                         resumed["preset"])
    assert resumed["best_interval"] == runs["task"]["best_interval"]
    assert recipe.read_history(folder / "prediction") == recipe.read_history(
        runs["root"] / "task" / "prediction")


def test_a_finished_stage_whose_preset_changed_is_not_reused(runs, tmp_path):
    folder = tmp_path / "teacher"
    shutil.copytree(runs["root"] / "teacher", folder)
    weights = folder / "preset" / "model.weights.h5"
    size = weights.stat().st_size
    weights.write_bytes(weights.read_bytes()[: size // 2])
    with pytest.raises(recipe.RecipeError,
                       match=rf"model.weights.h5 has {size // 2} bytes instead of {size}.*"
                             rf"Delete the folder {re.escape(str(folder))}"):
        _finetune(runs, folder)


def test_wrong_settings_are_refused_before_the_teacher_is_scored_or_a_file_written(
        runs, tmp_path, monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the teacher was scored")

    folder = tmp_path / "task"
    one_head = {**STUDENT, "num_heads": 1}
    with monkeypatch.context() as patch:
        patch.setattr(task_module, "check_teacher", never)
        with pytest.raises(ValueError, match="2 attention heads and the student 1"):
            task_distill_tiny(runs, folder, student=one_head)
        with pytest.raises(ValueError, match=r"teacher layers in 1\.\.2.*got \[3\]"):
            task_distill_tiny(runs, folder, layer_map=[3])
        with pytest.raises(ValueError, match=r"has \['dropout_rate'\], which keras_hub.models."
                                             r"BertBackbone does not take"):
            task_distill_tiny(runs, folder, student={**STUDENT, "dropout_rate": 0.1})
    assert not folder.exists()
    summary = task_distill_tiny(runs, folder, student=one_head, average_attention_heads=True,
                                intermediate_epochs=0.2, prediction_epochs=0.2)
    assert summary["best_interval"] == 1


def test_a_sequence_longer_than_the_positions_is_refused_before_a_file_is_written(runs,
                                                                                 tmp_path):
    with pytest.raises(ValueError, match=r"sequence_length is 32 .* only 16 positions"):
        _general(runs, tmp_path / "general", sequence_length=32)
    data = runs["data"]
    data = dataclasses.replace(data, task=dataclasses.replace(data.task, sequence_length=32))
    with pytest.raises(ValueError, match=r"sequence_length is 32 .* only 16 positions"):
        recipe.finetune(runs["pretrained"], data, tmp_path / "teacher", **FAST)
    assert not (tmp_path / "general").exists() and not (tmp_path / "teacher").exists()


def test_a_second_run_into_a_folder_in_use_is_refused_until_the_first_dies(runs, tmp_path):
    folder = tmp_path / "teacher"
    script = f"""
import sys, time
sys.path.insert(0, {str(pathlib.Path(__file__).parents[1])!r})
from recipe_tiny import tiny_data
from tinybert_keras import recipe
from tinybert_keras.data import DataError
from tinybert_keras.recipe import training

def hold(*args, **kwargs):
    print("training", flush=True)
    time.sleep(600)

training.fit_resumable = hold
recipe.finetune({runs["pretrained"]!r}, tiny_data(), {str(folder)!r}, epochs=10,
                learning_rate=1e-2, batch_size=8, jit_compile=False, verbose=0)
"""
    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "training\n", holder.stderr.read()[-3000:]
        with pytest.raises(recipe.RecipeError,
                           match=rf"{re.escape(str(folder))} is in use by another run "
                                 rf"\(process {holder.pid} "):
            _finetune(runs, folder)
    finally:
        holder.kill()
        holder.communicate()
    # The lock died with its holder (SIGKILL): the folder resumes as if the run was killed.
    resumed = _finetune(runs, folder)
    assert resumed["dev"] == runs["teacher"]["dev"]


def test_a_diverging_stage_stops_at_the_first_nan_and_saves_no_preset(runs, tmp_path):
    folder = tmp_path / "general"
    with pytest.raises(recipe.RecipeError,
                       match=r"(embedding|attention|hidden)_loss is (nan|inf) at step \d+ of 4"):
        _general(runs, folder, learning_rate=1e6, steps_per_checkpoint=1)
    assert not (folder / "preset").exists() and not (folder / "summary.json").exists()


def test_a_teacher_whose_tokenizer_outgrows_its_vocabulary_is_refused_before_scoring(
        runs, tmp_path, monkeypatch):
    teacher = tmp_path / "teacher"
    shutil.copytree(runs["teacher"]["preset"], teacher)
    with open(teacher / "assets" / "tokenizer" / "vocabulary.txt", "a") as vocabulary:
        vocabulary.write("extra\nwords\nhere\n")

    def never(*args, **kwargs):
        raise AssertionError("the teacher was scored")

    monkeypatch.setattr(task_module, "check_teacher", never)
    with pytest.raises(DataError, match=r"tokenizer vs teacher: the tokenizer has a vocabulary "
                                        r"of 20 tokens, the teacher 17"):
        recipe.task_distill(str(teacher), STUDENT, runs["data"], tmp_path / "task", **FAST)
