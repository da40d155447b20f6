"""GLUE's metrics as Keras metrics that take logits, and an `evaluate` helper.

Classification metrics accumulate a confusion matrix, so they are exact over a whole dataset
(not averages of per-batch values). `y_pred` may be logits `[B, C]` (argmax), a single binary
logit `[B]` / `[B, 1]` (positive when > 0), or integer class ids. Correlations need every
prediction at once (Spearman ranks the whole set), so they keep the predictions in a buffer of
`capacity` entries; past that, `result()` is NaN rather than a wrong number.
"""

import keras
from keras import ops

METRIC_NAMES = ("accuracy", "f1", "matthews_correlation", "pearson", "spearman")


def _class_ids(y_pred):
    if "int" in keras.backend.standardize_dtype(y_pred.dtype):
        return ops.reshape(y_pred, (-1,))
    if len(y_pred.shape) >= 2 and y_pred.shape[-1] > 1:
        return ops.argmax(y_pred, axis=-1)
    return ops.cast(ops.reshape(y_pred, (-1,)) > 0, "int32")


class _ConfusionMetric(keras.metrics.Metric):
    """Accumulates a `[num_classes, num_classes]` confusion matrix, rows true, columns predicted."""

    def __init__(self, num_classes=2, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.num_classes = num_classes
        self.confusion = self.add_variable(
            shape=(num_classes, num_classes), initializer="zeros", dtype="float32",
            name="confusion",
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        y_pred = ops.cast(_class_ids(ops.convert_to_tensor(y_pred)), "int32")
        true = ops.one_hot(y_true, self.num_classes, dtype="float32")
        predicted = ops.one_hot(y_pred, self.num_classes, dtype="float32")
        if sample_weight is not None:
            true = true * ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1))
        self.confusion.assign_add(ops.matmul(ops.transpose(true), predicted))

    def reset_state(self):
        self.confusion.assign(ops.zeros_like(self.confusion))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def _safe_divide(numerator, denominator):
    return ops.where(denominator > 0, numerator / ops.maximum(denominator, 1e-12), 0.0)


@keras.saving.register_keras_serializable(package="tinybert_keras")
class TaskAccuracy(_ConfusionMetric):
    """Accuracy from logits (argmax), exact over the dataset.

    Args:
        num_classes: the number of classes (the logits' last dimension).
        name: the metric name, `"accuracy"` by default as Keras' own.
        dtype: the result dtype.

    Example:
    ```python
    metric = TaskAccuracy(num_classes=3)
    metric.update_state([0, 2], [[2.0, 0.1, 0.3], [0.0, 1.0, 0.5]])
    print(float(metric.result()))  # 0.5
    ```
    """

    def __init__(self, num_classes=2, name="accuracy", dtype=None):
        super().__init__(num_classes, name, dtype)

    def result(self):
        return _safe_divide(ops.trace(self.confusion), ops.sum(self.confusion))


@keras.saving.register_keras_serializable(package="tinybert_keras")
class BinaryF1(_ConfusionMetric):
    """F1 of the positive class, as GLUE scores MRPC and QQP.

    Args:
        positive_class: the class id whose F1 is reported (GLUE: 1).
        num_classes: the number of classes.
        name: the metric name.
        dtype: the result dtype.

    Example:
    ```python
    metric = BinaryF1()
    metric.update_state([1, 1, 0], [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    print(float(metric.result()))  # 0.5
    ```
    """

    def __init__(self, positive_class=1, num_classes=2, name="f1", dtype=None):
        super().__init__(num_classes, name, dtype)
        self.positive_class = positive_class

    def result(self):
        true_positive = self.confusion[self.positive_class, self.positive_class]
        predicted = ops.sum(self.confusion[:, self.positive_class])
        actual = ops.sum(self.confusion[self.positive_class, :])
        return _safe_divide(2.0 * true_positive, predicted + actual)

    def get_config(self):
        return {**super().get_config(), "positive_class": self.positive_class}


@keras.saving.register_keras_serializable(package="tinybert_keras")
class MatthewsCorrelation(_ConfusionMetric):
    """Matthews correlation coefficient (GLUE's CoLA metric); the multi-class R_K for C > 2.

    Args:
        num_classes: the number of classes; 2 gives the binary MCC.
        name: the metric name, as in `Task.metrics`.
        dtype: the result dtype.

    Example:
    ```python
    metric = MatthewsCorrelation()
    labels, logits = [1, 0, 1, 0], [[0.0, 1.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
    metric.update_state(labels, logits)
    round(float(metric.result()), 3)  # 0.577
    ```
    """

    def __init__(self, num_classes=2, name="matthews_correlation", dtype=None):
        super().__init__(num_classes, name, dtype)

    def result(self):
        total = ops.sum(self.confusion)
        correct = ops.trace(self.confusion)
        actual = ops.sum(self.confusion, axis=1)
        predicted = ops.sum(self.confusion, axis=0)
        numerator = correct * total - ops.sum(actual * predicted)
        denominator = ops.sqrt(
            (total**2 - ops.sum(predicted**2)) * (total**2 - ops.sum(actual**2))
        )
        return _safe_divide(numerator, denominator)


def _average_ranks(values, valid):
    """1-based ranks of the valid entries, ties sharing their average rank (as scipy's)."""
    ordered = ops.sort(ops.where(valid, values, float("inf")))
    below = ops.cast(ops.searchsorted(ordered, values, side="left"), "float32")
    up_to = ops.cast(ops.searchsorted(ordered, values, side="right"), "float32")
    return (below + up_to + 1.0) / 2.0


@keras.saving.register_keras_serializable(package="tinybert_keras")
class Correlation(keras.metrics.Metric):
    """Pearson or Spearman correlation over the whole dataset (GLUE's STS-B).

    Keeps up to `capacity` (prediction, target) pairs and correlates them in `result()`;
    Spearman ranks them first, ties sharing their average rank. `y_pred` is `[B]` or `[B, 1]`.

    Args:
        method: `"pearson"` or `"spearman"`.
        capacity: the most examples it can hold between resets (past it, `result()` is NaN).
        name: the metric name; defaults to `method`.
        dtype: the result dtype.

    Example:
    ```python
    metric = Correlation("spearman")
    metric.update_state([1.0, 2.0, 3.0], [0.1, 0.5, 0.4])
    print(float(metric.result()))  # 0.5
    ```
    """

    def __init__(self, method="pearson", capacity=65536, name=None, dtype=None):
        if method not in ("pearson", "spearman"):
            raise ValueError(f"method must be 'pearson' or 'spearman'; got {method!r}.")
        super().__init__(name=name or method, dtype=dtype)
        self.method = method
        self.capacity = capacity
        self.predictions = self.add_variable(
            shape=(capacity,), initializer="zeros", dtype="float32", name="predictions"
        )
        self.targets = self.add_variable(
            shape=(capacity,), initializer="zeros", dtype="float32", name="targets"
        )
        self.count = self.add_variable(shape=(), initializer="zeros", dtype="int32", name="count")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            raise ValueError("Correlation does not support sample weights.")
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "float32")
        y_pred = ops.cast(ops.reshape(y_pred, (-1,)), "float32")
        # Past capacity the write index is clamped; result() then reports NaN.
        start = ops.minimum(self.count, self.capacity - ops.shape(y_true)[0])
        self.predictions.assign(ops.slice_update(self.predictions, (start,), y_pred))
        self.targets.assign(ops.slice_update(self.targets, (start,), y_true))
        self.count.assign_add(ops.shape(y_true)[0])

    def reset_state(self):
        for variable in self.variables:
            variable.assign(ops.zeros_like(variable))

    def result(self):
        valid = ops.arange(self.capacity) < self.count
        x, y = self.predictions, self.targets
        if self.method == "spearman":
            x, y = _average_ranks(x, valid), _average_ranks(y, valid)
        weights = ops.cast(valid, "float32")
        n = ops.maximum(ops.sum(weights), 1.0)
        x = (x - ops.sum(x * weights) / n) * weights
        y = (y - ops.sum(y * weights) / n) * weights
        value = _safe_divide(ops.sum(x * y), ops.sqrt(ops.sum(x * x) * ops.sum(y * y)))
        return ops.where(self.count > self.capacity, float("nan"), value)

    def get_config(self):
        return {**super().get_config(), "method": self.method, "capacity": self.capacity}


def metrics_for(task, capacity=65536):
    """The Keras metrics of a task, main metric first, for `compile(metrics=...)`.

    Args:
        task: a `Task`.
        capacity: buffer size of the correlation metrics (regression tasks).

    Returns:
        A list of fresh metric objects named as in `task.metrics`.

    Example:
    ```python
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    model.compile(optimizer="adam", metrics=metrics_for(glue_task("mrpc")),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ```
    """
    makers = {
        "accuracy": lambda: TaskAccuracy(task.num_classes),
        "f1": lambda: BinaryF1(num_classes=task.num_classes),
        "matthews_correlation": lambda: MatthewsCorrelation(task.num_classes),
        "pearson": lambda: Correlation("pearson", capacity),
        "spearman": lambda: Correlation("spearman", capacity),
    }
    unknown = [name for name in task.metrics if name not in makers]
    if unknown:
        raise ValueError(f"Task {task.name!r}: unknown metrics {unknown}; known: {METRIC_NAMES}.")
    return [makers[name]() for name in task.metrics]


def evaluate(model, dataset, task, capacity=65536):
    """Scores a model (or any `x -> logits` function) on a dataset with the task's metrics.

    Args:
        model: a Keras model, or any callable from a batch `x` to logits (or scores).
        dataset: a `tf.data.Dataset` of `(x, y)`, e.g. from `make_dataset`, where `x` is
            the keras-hub input dict.
        task: the `Task`.
        capacity: buffer size of the correlation metrics.

    Returns:
        A dict from metric name to float, main metric first.

    Example:
    ```python
    inputs = keras.Input(shape=(4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    features, labels = np.ones((8, 4), "float32"), np.ones(8, "int32")
    dataset = tf.data.Dataset.from_tensor_slices((features, labels)).batch(4)
    print(evaluate(model, dataset, glue_task("sst2")))  # {'accuracy': ...}
    ```
    """
    metrics = metrics_for(task, capacity)
    for x, y in dataset:
        predictions = model(x)
        for metric in metrics:
            metric.update_state(y, predictions)
    return {metric.name: float(metric.result()) for metric in metrics}
