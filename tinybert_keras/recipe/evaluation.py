"""Student versus teacher: task metrics, parameter counts, size on disk and measured latency."""

import pathlib
import statistics
import time

import keras_hub
import numpy as np
import tensorflow as tf

from tinybert_keras import data as data_lib
from tinybert_keras.config import DataSettings
from tinybert_keras.config import EvaluationSettings
from tinybert_keras.core import pairing
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets as preset_io


def compiled_forward(model):
    """The model's inference pass as one traced `tf.function`, for fast, fair evaluation.

    Args:
        model: a Keras model that maps the keras-hub input dict to logits.

    Returns:
        A callable `x -> logits`.

    Example:
    ```python
    forward = compiled_forward(classifier)
    logits = forward(x)
    ```
    """
    return tf.function(lambda x: model(x, training=False), reduce_retracing=True)


def task_metrics(model, dataset, task):
    """The task's metrics of a classifier on a dataset, main metric first.

    Args:
        model: a keras-hub classifier (preprocessor `None`) or any Keras model from the input
            dict to logits.
        dataset: a `tf.data.Dataset` of `(x, y)`, e.g. from `tinybert_keras.data.make_dataset`.
        task: the `Task`.

    Returns:
        A dict from metric name to float.

    Example:
    ```python
    scores = task_metrics(classifier, dev_dataset, data.task)  # {'accuracy': 0.84}
    ```
    """
    return data_lib.evaluate(compiled_forward(model), dataset, task)


def chance_score(task, labels):
    """The task's main metric for the best constant prediction: the floor a model must beat.

    Args:
        task: the `Task`.
        labels: the gold labels of the split, class ids or scores.

    Returns:
        A float: the best main-metric value over predicting every class in turn (0 for
        regression, whose correlations are undefined for a constant).

    Example:
    ```python
    chance_score(glue_task("sst2"), np.array([0, 1, 1, 1]))  # 0.75
    ```
    """
    if task.is_regression:
        return 0.0
    labels = np.asarray(labels)
    metric = data_lib.metrics_for(task)[0]
    best = -np.inf
    for class_id in range(task.num_classes):
        metric.reset_state()
        metric.update_state(labels, np.full(len(labels), class_id, dtype="int32"))
        best = max(best, float(metric.result()))
    return best


def size_on_disk(path):
    """Bytes used by a file or by every file under a folder (e.g. a preset directory).

    Args:
        path: a file or folder.

    Returns:
        An int.

    Example:
    ```python
    size_on_disk("tinybert_run/task/preset")
    ```
    """
    path = pathlib.Path(path)
    if path.is_file():
        return path.stat().st_size
    return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())


def measure_latency(model, x, repeats=20, warmup=3):
    """Median wall-clock seconds of one inference pass on one batch.

    The forward pass is traced once (`compiled_forward`) and warmed up before timing, so the
    number is the steady state, not the tracing.

    Args:
        model: a Keras model from the input dict to logits.
        x: one batch, e.g. the first `x` of the dev dataset.
        repeats: timed runs.
        warmup: untimed runs first.

    Returns:
        The median seconds per batch.

    Example:
    ```python
    x, _ = next(iter(dev_dataset))
    measure_latency(student, x) < measure_latency(teacher, x)
    ```
    """
    return _median_seconds(compiled_forward(model), x, repeats, warmup)


def _median_seconds(forward, x, repeats, warmup):
    for _ in range(warmup):
        forward(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        np.asarray(forward(x))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def compare_models(models, dataset, task, presets=None, latency_repeats=20):
    """Scores classifiers side by side: metrics, parameters, size on disk, latency.

    Args:
        models: a dict from a row name (`"teacher"`, `"student"`, ...) to a keras-hub classifier.
        dataset: the evaluation `tf.data.Dataset` of `(x, y)`; its first batch times latency.
        task: the `Task`.
        presets: optional dict from row name to the preset directory, for the size on disk.
        latency_repeats: timed runs per model.

    Returns:
        A dict from row name to `{"metrics", "parameters", "size_bytes", "latency_seconds"}`,
        plus `"speedup"` (each row's latency relative to the first row's).

    Example:
    ```python
    rows = compare_models({"teacher": teacher, "student": student}, dev_dataset, task)
    print(format_table(rows, task))
    ```
    """
    presets = presets or {}
    forwards = {name: compiled_forward(model) for name, model in models.items()}
    scores = {name: data_lib.evaluate(forward, dataset, task)
              for name, forward in forwards.items()}
    # Only after full passes: a `.cache()`d dataset read partly first can end up holding just
    # that part, and every model would be scored on one batch.
    x, _ = next(iter(dataset))
    rows = {name: {
        "metrics": scores[name],
        "parameters": model.count_params(),
        "size_bytes": size_on_disk(presets[name]) if name in presets else None,
        "latency_seconds": _median_seconds(forwards[name], x, latency_repeats, warmup=3),
    } for name, model in models.items()}
    reference = next(iter(rows.values()))["latency_seconds"]
    for row in rows.values():
        row["speedup"] = reference / row["latency_seconds"]
    return rows


def format_table(rows, task):
    """A Markdown table of `compare_models` rows.

    Args:
        rows: the dict `compare_models` returns.
        task: the `Task` (its main metric heads the first column).

    Returns:
        A string.

    Example:
    ```python
    print(format_table(rows, task))
    ```
    """
    metric = task.metrics[0]
    lines = [
        f"| model | dev {metric} | parameters | size on disk | batch latency | speedup |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in rows.items():
        size = "-" if row["size_bytes"] is None else f"{row['size_bytes'] / 2**20:.1f} MiB"
        lines.append(
            f"| {name} | {row['metrics'][metric]:.4f} | {row['parameters'] / 1e6:.2f}M | {size} "
            f"| {row['latency_seconds'] * 1000:.1f} ms | {row['speedup']:.2f}x |"
        )
    return "\n".join(lines)


def _saved_task_note(task, taken, preset):
    shown = {"text_columns": task.text_columns, "label_column": task.label_column,
             "label_names": task.label_names, "metrics": task.metrics,
             "sequence_length": task.sequence_length}
    parts = [f"{name} {shown[name]!r}" for name in taken if name in shown]
    parts += [text for name, text in (("regression", "regression"), ("task", "its name"))
              if name in taken]
    return (f"Task {task.name!r}: {', '.join(parts)} as saved with the teacher's preset "
            f"{preset}.\n\n")


def evaluate_presets(presets, data, settings=None, batch_size=32):
    """Loads classifier presets and compares them: metrics, parameters, size on disk, latency.

    With files of your own (a `DataSettings` with `train`, `dev` or `test`), whatever the
    settings leave unset (label names, metrics, sequence length, columns) is taken from the
    task saved with the first preset, the teacher (`inputs.saved_task_settings`), and a line
    above the table says so. Each model's saved label order is checked against the task's.

    Args:
        presets: a dict from row name (`"teacher"`, `"student"`, ...) to a classifier preset;
            the first row is the speed reference.
        data: a `TaskData`, a dataset name or a `DataSettings` (see `inputs.load_task`).
        settings: an `EvaluationSettings` (the split, the latency repeats).
        batch_size: examples per batch (also the latency batch).

    Returns:
        `(rows, table)`: `compare_models`' rows and their Markdown table.

    Example:
    ```python
    rows, table = evaluate_presets({"teacher": "runs/teacher/preset",
                                    "student": "runs/task/preset"}, "sst2")
    print(table)
    ```
    """
    settings = settings or EvaluationSettings()
    reference = next(iter(presets.values()))
    taken = []
    if isinstance(data, DataSettings):
        data, taken = inputs.saved_task_settings(data, reference)
    data = inputs.load_task(data)
    inputs.require_splits(data, (settings.split,))
    tokenizer = preset_io.load(keras_hub.tokenizers.Tokenizer, reference)
    # Cached: every model reads it.
    dataset = data_lib.make_dataset(
        data[settings.split], tokenizer, batch_size, sequence_length=data.task.sequence_length
    ).cache()
    models = {name: preset_io.load_classifier(preset) for name, preset in presets.items()}
    for name, model in models.items():
        data_lib.check_same_vocabulary(tokenizer, model.backbone, names=("first model", name))
        saved = preset_io.read_task(presets[name]) or {}
        data_lib.check_model_matches_task(model, data.task, label_names=saved.get("label_names"))
        pairing.check_length(pairing.shape_of(model), data.task.sequence_length,
                             f"the {name} model ({presets[name]})")
    rows = compare_models(models, dataset, data.task, presets, settings.latency_repeats)
    note = _saved_task_note(data.task, taken, reference) if taken else ""
    return rows, note + format_table(rows, data.task)
