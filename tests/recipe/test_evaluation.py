import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.recipe import evaluation
from tinybert_keras.data import Task
from tinybert_keras.data import glue_task


def test_chance_score_is_the_best_constant_prediction():
    labels = np.array([0, 1, 1, 1], "int32")
    assert evaluation.chance_score(glue_task("sst2"), labels) == pytest.approx(0.75)
    assert evaluation.chance_score(glue_task("cola"), labels) == pytest.approx(0.0)
    assert evaluation.chance_score(glue_task("stsb"), np.array([1.0, 2.0])) == 0.0


def test_parameters_size_and_table(tmp_path, make_bert, batch):
    small, large = make_bert(1, 8, num_classes=3), make_bert(2, 16, num_classes=3)
    assert evaluation.count_parameters(small) == small.count_params()
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
    assert rows["teacher"]["speedup"] == 1.0
    assert rows["teacher"]["size_bytes"] == 312 and rows["student"]["size_bytes"] is None
    assert rows["student"]["latency_seconds"] > 0
    table = evaluation.format_table(rows, task).splitlines()
    assert table[0].startswith("| model | dev accuracy |")
    assert table[3].startswith(f"| student | {expected:.4f} |")


def test_measure_latency_traces_once(make_bert, batch):
    model = make_bert(1, 8, num_classes=3)
    calls = []

    class Counting(keras.Model):
        def call(self, x, training=False):
            calls.append(1)
            return model(x, training=training)

    evaluation.measure_latency(Counting(), batch[0], repeats=4, warmup=2)
    assert len(calls) == 1
