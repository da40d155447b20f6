"""Custom tasks from records: rows of named columns from files (`files`), DataFrames or lists.

The user names the text column(s) and the label column. Labels may be strings or integers; the
class names are given (`label_names=`, in the teacher's output order) or inferred from the train
split (sorted, numerically when they are all integers). Every problem is reported as a
`DataError` naming the file, line and column, before any training starts.
"""

import numpy as np

from tinybert_keras.data.tasks import DataError, Examples, Task, TaskData

SPLITS = ("train", "dev", "test")


def _is_integer_key(key):
    return key.lstrip("-").isdigit()


def label_key(raw, source, line, column):
    """One raw label as the string that is looked up among (or becomes) a task's label names.

    Args:
        raw: the label as read: a string, an integer, or a float that is a whole number.
        source, line, column: where it was read, for the error.

    Returns:
        A str: the stripped string, or the integer's digits.

    Raises:
        DataError: for a fractional number (a regression's label) or an empty label.

    Example:
    ```python
    label_key(1.0, "train.jsonl", 3, "label")  # '1'
    ```
    """
    if isinstance(raw, (bool, np.bool_, int, np.integer)):
        return str(int(raw))
    if isinstance(raw, (float, np.floating)):
        if float(raw).is_integer():
            return str(int(raw))
        raise DataError(
            f"label {raw!r} is not a class; pass regression=True for real-valued labels.",
            source, line, column,
        )
    if isinstance(raw, str) and raw.strip():
        return raw.strip()
    raise DataError(f"label {raw!r} is neither a class name nor a class id.", source, line, column)


def read_records(rows, source, text_columns, label_column, skip_incomplete=False):
    """Turns `(line, mapping)` rows into `(text, raw_label, line)` records.

    Args:
        rows: an iterable of `(line_number, dict)`.
        source: the file or object name used in error messages.
        text_columns: one or two column names.
        label_column: the label column name.
        skip_incomplete: skip rows that lack a field or have an empty text instead of raising
            (GLUE's QQP has a few).

    Returns:
        A list of `(text or (text_a, text_b), raw_label, line)` tuples.

    Example:
    ```python
    records = read_records([(2, {"text": "hi", "label": "1"})], "toy.csv", ("text",), "label")
    ```
    """
    records = []
    wanted = (*text_columns, label_column)
    for line, row in rows:
        missing = [column for column in wanted if row.get(column) is None]
        if missing:
            if skip_incomplete:
                continue
            problem = (
                f"no value for column {missing[0]!r} (a row shorter than the header, or null)"
                if missing[0] in row
                else f"missing column {missing[0]!r}; the row has columns {sorted(map(str, row))}"
            )
            raise DataError(f"{problem}.", source, line, missing[0])
        texts = tuple(str(row[column]) for column in text_columns)
        empty = [column for column, text in zip(text_columns, texts) if not text.strip()]
        if empty:
            if skip_incomplete:
                continue
            raise DataError(
                "empty text: an example needs words to learn from. Fill in the field or delete "
                "the row.", source, line, empty[0],
            )
        records.append((texts if len(texts) == 2 else texts[0], row[label_column], line))
    if not records:
        raise DataError("no examples: the file or object is empty.", source)
    return records


def _infer_label_names(records, source, column):
    keys = {}
    for _, raw, line in records:
        keys.setdefault(label_key(raw, source, line, column), line)
    first_is_id = _is_integer_key(next(iter(keys)))
    for key, line in keys.items():
        if _is_integer_key(key) != first_is_id:
            raise DataError(
                f"inconsistent labels: {key!r} mixed with "
                f"{'class ids' if first_is_id else 'class names'} such as {next(iter(keys))!r}.",
                source, line, column,
            )
    if len(keys) < 2:
        raise DataError(
            f"the train split has only the label {sorted(keys)}; a classifier needs at least two.",
            source, column=column,
        )
    return tuple(sorted(keys, key=int if first_is_id else str))


def _encode(records, task, source, inferred_from):
    column = task.label_column
    if task.is_regression:
        labels = []
        for _, raw, line in records:
            try:
                labels.append(float(raw))
            except (TypeError, ValueError):
                raise DataError(
                    f"label {raw!r} is not a number, and task {task.name!r} is a regression.",
                    source, line, column,
                ) from None
        return np.asarray(labels, dtype="float32")
    index = {name: i for i, name in enumerate(task.label_names)}
    # Integer labels may stand for class ids only when the names were given and are not numbers.
    ids_allowed = inferred_from is None and not any(map(_is_integer_key, task.label_names))
    labels = []
    for _, raw, line in records:
        key = label_key(raw, source, line, column)
        if key in index:
            labels.append(index[key])
        elif ids_allowed and _is_integer_key(key) and 0 <= int(key) < task.num_classes:
            labels.append(int(key))
        elif inferred_from is not None:
            raise DataError(
                f"label {key!r} does not occur in the train split ({inferred_from}), whose "
                f"labels are {task.label_names}.",
                source, line, column,
            )
        else:
            raise DataError(
                f"unknown label {key!r}; task {task.name!r} has labels {task.label_names}.",
                source, line, column,
            )
    return np.asarray(labels, dtype="int32")


def build_task_data(split_records, sources, *, name, text_columns, label_column,
                    label_names=None, regression=False, metrics=None, sequence_length=None):
    """Builds a `TaskData` from records, inferring the label names from "train" if not given.

    Args:
        split_records: a dict from split name to records from `read_records`.
        sources: a dict from split name to the source name used in errors.
        name, text_columns, label_column, metrics, sequence_length: as for `Task`.
        label_names: the class names in class-id order; `None` infers them from the train split.
        regression: whether labels are real-valued.

    Returns:
        A `TaskData`.

    Example:
    ```python
    rows = [(2, {"text": "hi", "label": "yes"}), (3, {"text": "no", "label": "no"})]
    records = read_records(rows, "toy.csv", ("text",), "label")
    data = build_task_data({"train": records}, {"train": "toy.csv"}, name="toy",
                           text_columns=("text",), label_column="label")
    ```
    """
    if regression and label_names is not None:
        raise ValueError(f"Task {name!r}: a regression task takes no label_names.")
    inferred_from = None
    if not regression and label_names is None:
        if "train" not in split_records:
            raise DataError(
                "label names cannot be inferred without a train split: give label_names (or a "
                "train file).", name,
            )
        label_names = _infer_label_names(split_records["train"], sources["train"], label_column)
        inferred_from = sources["train"]
    task = Task(name, text_columns, label_column, label_names, metrics, sequence_length)
    splits = {}
    for split, records in split_records.items():
        labels = _encode(records, task, sources[split], inferred_from)
        splits[split] = Examples([text for text, _, _ in records], labels)
    return TaskData(task, splits)


def from_dataframe(train, dev=None, test=None, *, text_columns, label_column, label_names=None,
                   regression=False, name="custom", metrics=None, sequence_length=None):
    """Builds a custom task from pandas DataFrames (or anything with `to_dict("records")`).

    Row numbers in errors count from 1 in the frame's order.

    Args:
        train: the train DataFrame.
        dev: optional dev DataFrame.
        test: optional labelled test DataFrame.
        text_columns: the text column name, or two names for a sentence-pair task.
        label_column: the label column name.
        label_names: class names in class-id order; `None` infers them from `train`.
        regression: whether the labels are real-valued scores.
        name: the task name.
        metrics: metric names, see `Task`.
        sequence_length: see `Task`.

    Returns:
        A `TaskData`.

    Example:
    ```python
    import pandas as pd
    frame = pd.DataFrame({"text": ["good", "bad"], "label": ["pos", "neg"]})
    data = from_dataframe(frame, text_columns="text", label_column="label")
    ```
    """
    frames = {split: frame for split, frame in zip(SPLITS, (train, dev, test)) if frame is not None}
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    sources = {split: f"{split} DataFrame" for split in frames}
    records = {
        split: read_records(
            enumerate(frame.to_dict("records"), start=1), sources[split], text_columns,
            label_column,
        )
        for split, frame in frames.items()
    }
    return build_task_data(
        records, sources, name=name, text_columns=text_columns, label_column=label_column,
        label_names=label_names, regression=regression, metrics=metrics,
        sequence_length=sequence_length,
    )


def from_lists(train, dev=None, test=None, **options):
    """Builds a custom task from Python lists.

    Args:
        train: a `(texts, labels)` pair; texts are strings, or `(text_a, text_b)` tuples for a
            sentence-pair task; labels are class names, class ids or (regression) numbers.
        dev: optional `(texts, labels)`.
        test: optional `(texts, labels)`.
        **options: `label_names`, `regression`, `name` (default `"custom"`), `metrics` and
            `sequence_length`, as for `from_dataframe`.

    Returns:
        A `TaskData`.

    Example:
    ```python
    data = from_lists((["great film", "dull"], ["positive", "negative"]),
                      dev=(["fine"], ["positive"]))
    ```
    """
    splits = {split: pair for split, pair in zip(SPLITS, (train, dev, test)) if pair is not None}
    is_pair = bool(train[0]) and isinstance(train[0][0], (tuple, list))
    text_columns = ("text_a", "text_b") if is_pair else ("text",)
    sources = {split: f"{split} list" for split in splits}
    records = {}
    for split, (texts, labels) in splits.items():
        if len(texts) != len(labels):
            raise DataError(f"{len(texts)} texts but {len(labels)} labels.", sources[split])
        rows = (
            (row, {**dict(zip(text_columns, text if is_pair else (text,))), "label": label})
            for row, (text, label) in enumerate(zip(texts, labels), start=1)
        )
        records[split] = read_records(rows, sources[split], text_columns, "label")
    options.setdefault("name", "custom")
    return build_task_data(
        records, sources, text_columns=text_columns, label_column="label", **options
    )
