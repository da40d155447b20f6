import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.data import (
    BinaryF1,
    MatthewsCorrelation,
    Correlation,
    Task,
    TaskAccuracy,
    evaluate,
    glue_task,
    metrics_for,
)


def _mcc_reference(y, p, k):
    """Gorodkin's R_K as a correlation of one-hot indicator matrices."""
    x, z = np.eye(k)[y], np.eye(k)[p]
    x, z = x - x.mean(axis=0), z - z.mean(axis=0)
    denominator = np.sqrt((x * x).sum() * (z * z).sum())
    return 0.0 if denominator == 0 else (x * z).sum() / denominator


def _ranks_reference(values):
    ranks = np.empty(len(values))
    for value in np.unique(values):
        where = np.flatnonzero(values == value)
        ranks[where] = np.mean(np.argsort(np.argsort(values, kind="stable"))[where]) + 1
    return ranks


def _update_in_batches(metric, y, p, batch=7):
    for start in range(0, len(y), batch):
        metric.update_state(y[start:start + batch], p[start:start + batch])
    return float(metric.result())


@pytest.mark.parametrize("classes", [2, 3])
def test_classification_metrics_match_numpy(classes):
    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, size=50)
    logits = rng.normal(size=(50, classes)).astype("float32")
    logits[:30, 1] += 1.0
    p = logits.argmax(axis=1)
    accuracy = _update_in_batches(TaskAccuracy(classes), y, logits)
    assert accuracy == pytest.approx(np.mean(p == y), abs=1e-6)
    mcc = _update_in_batches(MatthewsCorrelation(classes), y, logits)
    assert mcc == pytest.approx(_mcc_reference(y, p, classes), abs=1e-5)
    tp = np.sum((p == 1) & (y == 1))
    precision, recall = tp / np.sum(p == 1), tp / np.sum(y == 1)
    f1 = _update_in_batches(BinaryF1(num_classes=classes), y, logits)
    assert f1 == pytest.approx(2 * precision * recall / (precision + recall), abs=1e-5)


def test_single_logit_and_class_ids_are_accepted():
    y = np.array([1, 0, 1, 1])
    metric = MatthewsCorrelation()
    metric.update_state(y, np.array([[2.0], [-1.0], [-0.5], [0.3]], "float32"))
    expected = _mcc_reference(y, np.array([1, 0, 0, 1]), 2)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)
    ids = TaskAccuracy()
    ids.update_state(y, np.array([1, 1, 1, 0], "int32"))
    assert float(ids.result()) == pytest.approx(0.5)


def test_degenerate_predictions_score_zero_not_nan():
    metric = MatthewsCorrelation()
    metric.update_state([0, 1, 1], [[1.0, 0.0]] * 3)
    f1 = BinaryF1()
    f1.update_state([0, 0], [[1.0, 0.0]] * 2)
    assert float(metric.result()) == 0.0 and float(f1.result()) == 0.0


def test_correlations_match_numpy_with_ties():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 6, size=40).astype("float32")
    p = (y + rng.normal(scale=2.0, size=40)).astype("float32")
    p[:10] = np.round(p[:10])
    pearson = _update_in_batches(Correlation("pearson"), y, p[:, None])
    assert pearson == pytest.approx(np.corrcoef(y, p)[0, 1], abs=1e-5)
    spearman = _update_in_batches(Correlation("spearman"), y, p)
    expected = np.corrcoef(_ranks_reference(y), _ranks_reference(p))[0, 1]
    assert spearman == pytest.approx(expected, abs=1e-5)


def test_correlation_past_capacity_is_nan_and_reset_clears():
    metric = Correlation("spearman", capacity=8)
    metric.update_state(np.arange(6.0), np.arange(6.0))
    assert float(metric.result()) == pytest.approx(1.0)
    metric.update_state(np.arange(6.0), np.arange(6.0))
    assert np.isnan(float(metric.result()))
    metric.reset_state()
    metric.update_state([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    assert float(metric.result()) == pytest.approx(-1.0)


def test_metrics_serialize():
    for metric in (BinaryF1(positive_class=0, num_classes=3), Correlation("spearman", capacity=16)):
        config = keras.saving.serialize_keras_object(metric)
        restored = keras.saving.deserialize_keras_object(config)
        assert type(restored) is type(metric) and restored.get_config() == metric.get_config()


def test_metrics_for_glue_tasks():
    assert [m.name for m in metrics_for(glue_task("mrpc"))] == ["f1", "accuracy"]
    assert [m.name for m in metrics_for(glue_task("stsb"))] == ["spearman", "pearson"]
    assert metrics_for(glue_task("mnli"))[0].num_classes == 3
    with pytest.raises(ValueError, match="unknown metrics"):
        metrics_for(Task("t", "x", "y", ("a", "b"), metrics=("bleu",)))


def test_compile_fit_and_evaluate_agree():
    keras.utils.set_random_seed(0)
    task = glue_task("mrpc")
    features = np.random.default_rng(0).normal(size=(64, 5)).astype("float32")
    labels = (features[:, 0] > 0).astype("int32")
    inputs = keras.Input(shape=(5,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=metrics_for(task),
    )
    model.fit(features, labels, batch_size=16, epochs=1, verbose=0)
    compiled = model.evaluate(features, labels, batch_size=16, verbose=0, return_dict=True)
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(16)
    scores = evaluate(model, dataset, task)
    assert list(scores) == ["f1", "accuracy"]
    p = model.predict(features, verbose=0).argmax(axis=1)
    assert scores["accuracy"] == pytest.approx(np.mean(p == labels), abs=1e-6)
    assert scores["accuracy"] == pytest.approx(compiled["accuracy"], abs=1e-6)
    assert scores["f1"] == pytest.approx(compiled["f1"], abs=1e-6)


def test_correlations_work_compiled():
    keras.utils.set_random_seed(0)
    features = np.random.default_rng(1).normal(size=(40, 3)).astype("float32")
    targets = features @ np.array([1.0, -2.0, 0.5], "float32")
    inputs = keras.Input(shape=(3,))
    model = keras.Model(inputs, keras.layers.Dense(1)(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=metrics_for(glue_task("stsb")))
    compiled = model.evaluate(features, targets, batch_size=8, verbose=0, return_dict=True)
    predictions = model.predict(features, verbose=0)[:, 0]
    assert compiled["pearson"] == pytest.approx(np.corrcoef(predictions, targets)[0, 1], abs=1e-5)
    expected = np.corrcoef(_ranks_reference(predictions), _ranks_reference(targets))[0, 1]
    assert compiled["spearman"] == pytest.approx(expected, abs=1e-5)
