import dataclasses
import json

import keras
import keras_hub
import numpy as np
import pytest
import tensorflow as tf

from recipe_tiny import tiny_teacher_preset
from tinybert_keras.config import DataSettings
from tinybert_keras.config import EvaluationSettings
from tinybert_keras.data import DataError
from tinybert_keras.data import Task
from tinybert_keras.data import glue_task
from tinybert_keras.data import load_files
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets


def test_chance_score_is_the_best_constant_prediction():
    labels = np.array([0, 1, 1, 1], "int32")
    assert evaluation.chance_score(glue_task("sst2"), labels) == pytest.approx(0.75)
    assert evaluation.chance_score(glue_task("cola"), labels) == pytest.approx(0.0)
    assert evaluation.chance_score(glue_task("stsb"), np.array([1.0, 2.0])) == 0.0


def test_parameters_size_and_table(tmp_path, make_bert, batch):
    small, large = make_bert(1, 8, num_classes=3), make_bert(2, 16, num_classes=3)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "w.bin").write_bytes(b"x" * 300)
    (tmp_path / "a" / "sub").mkdir()
    (tmp_path / "a" / "sub" / "v.bin").write_bytes(b"y" * 12)
    assert evaluation.size_on_disk(tmp_path / "a") == 312
    x, y = batch
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    task = Task("three", ("text",), "label", ("a", "b", "c"))
    rows = evaluation.compare_models(
        {"teacher": large, "student": small}, dataset, task,
        presets={"teacher": tmp_path / "a"}, latency_repeats=3,
    )
    logits = np.asarray(small(x))
    expected = float(np.mean(np.argmax(logits, -1) == y))
    assert rows["student"]["metrics"]["accuracy"] == pytest.approx(expected)
    assert rows["student"]["parameters"] == small.count_params()
    assert rows["teacher"]["parameters"] == large.count_params()
    assert rows["teacher"]["speedup"] == 1.0
    assert rows["teacher"]["size_bytes"] == 312 and rows["student"]["size_bytes"] is None
    assert rows["student"]["latency_seconds"] > 0
    table = evaluation.format_table(rows, task).splitlines()
    assert table[0].startswith("| model | dev accuracy |")
    assert table[3].startswith(f"| student | {expected:.4f} |")


class _KeepsWhatWasReadFirst:
    """A dev set that, like a `.cache()`d one at its worst, keeps only what its first read took."""

    def __init__(self, batches):
        self.batches, self.complete = batches, False

    def __iter__(self):
        read = 0
        try:
            for batch in self.batches:
                read += 1
                yield batch
            self.complete = True
        finally:
            if not self.complete:
                self.batches, self.complete = self.batches[:read], True


def test_compare_models_scores_every_model_on_the_whole_set(make_bert, batch):
    model = make_bert(1, 8, num_classes=3)
    x, y = batch
    batches = list(tf.data.Dataset.from_tensor_slices((x, y)).batch(2))
    whole = evaluation.task_metrics(model, batches, glue_task("mnli"))
    first_read_full = _KeepsWhatWasReadFirst(list(batches))
    rows = evaluation.compare_models({"a": model, "b": model}, first_read_full,
                                     glue_task("mnli"), latency_repeats=1)
    assert len(first_read_full.batches) == len(batches) > 1
    assert rows["a"]["metrics"] == rows["b"]["metrics"] == whole


def test_measure_latency_traces_once(make_bert, batch):
    model = make_bert(1, 8, num_classes=3)
    calls = []

    class Counting(keras.Model):
        def call(self, x, training=False):
            calls.append(1)
            return model(x, training=training)

    evaluation.measure_latency(Counting(), batch[0], repeats=4, warmup=2)
    assert len(calls) == 1


def test_files_take_what_they_leave_unset_from_the_teachers_saved_task(tmp_path):
    pretrained = tiny_teacher_preset(tmp_path / "pretrained")
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, pretrained)
    # Not the sorted order a file's labels would give, and shorter than the default 64, which
    # the tiny model's 16 positions could not even take.
    task = Task("reviews", ("review",), "sentiment", ("pos", "neg"), sequence_length=8)
    presets.save_classifier(presets.load_classifier(pretrained, num_classes=2), tokenizer, task,
                            tmp_path / "teacher")
    dev = tmp_path / "dev.csv"
    dev.write_text("review,sentiment\nthe movie was good,pos\na dull plot,neg\ngreat fun,pos\n"
                   "the film was awful,neg\nbad,neg\n")
    compared = {"teacher": str(tmp_path / "teacher"), "student": str(tmp_path / "teacher")}
    quick = EvaluationSettings(latency_repeats=1)
    rows, table = evaluation.evaluate_presets(compared, DataSettings(dev=str(dev)), quick, 8)
    assert table.splitlines()[0] == (
        "Task 'reviews': text_columns ('review',), label_column 'sentiment', label_names "
        "('pos', 'neg'), metrics ('accuracy',), sequence_length 8, its name as saved with the "
        f"teacher's preset {tmp_path / 'teacher'}."
    )
    explicit = load_files(dev=dev, text_columns="review", label_column="sentiment",
                          label_names=("pos", "neg"), sequence_length=8)
    expected, _ = evaluation.evaluate_presets(compared, explicit, quick, 8)
    assert rows["teacher"]["metrics"] == expected["teacher"]["metrics"]
    given = DataSettings(dev=str(dev), task="mine", text_columns=["review"],
                         label_column="sentiment", sequence_length=8)
    _, table = evaluation.evaluate_presets(compared, given, quick, 8)
    assert table.splitlines()[0].startswith("Task 'mine': label_names ('pos', 'neg'), metrics")
    swapped = given.replace(label_names=["neg", "pos"])
    with pytest.raises(DataError, match=r"labels are \('pos', 'neg'\) but task 'mine' orders"):
        evaluation.evaluate_presets(compared, swapped, quick, 8)


def test_a_regression_teachers_task_makes_the_files_a_regression(tmp_path):
    (tmp_path / "teacher").mkdir()
    saved = Task("scores", ("a", "b"), "score", None, sequence_length=12)
    (tmp_path / "teacher" / presets.TASK_FILE).write_text(json.dumps(dataclasses.asdict(saved)))
    settings, taken = inputs.saved_task_settings(
        DataSettings(dev="dev.csv", label_column="gold"), str(tmp_path / "teacher"))
    assert taken == ["text_columns", "regression", "metrics", "sequence_length", "task"]
    assert settings.regression and settings.label_names is None
    assert settings.label_column == "gold" and settings.text_columns == ["a", "b"]
    assert settings.metrics == ["pearson", "spearman"] and settings.task == "scores"
    named, taken = inputs.saved_task_settings(DataSettings(task="sst2"), str(tmp_path / "teacher"))
    assert named == DataSettings(task="sst2") and taken == []
