"""A task description, its labelled examples, and the checks that keep labels consistent.

Every loader in `tinybert_keras.data` returns a `TaskData`: a `Task` that says what the columns,
labels, metrics and sequence length are, and one `Examples` per split. Labels are always class ids
(`int32`, indices into `Task.label_names`) or float32 scores for regression, so the rest of the
package never sees raw label strings.
"""

import dataclasses

import numpy as np

SINGLE_SENTENCE_LENGTH = 64
PAIR_LENGTH = 128


class DataError(ValueError):
    """Bad input data, with the file, line and column it was found at.

    Args:
        message: what is wrong and, if known, how to fix it.
        source: the file (or other source) the problem was found in.
        line: the 1-based line number, if known.
        column: the column name, if it matters.

    Example:
    ```python
    try:
        raise DataError("unknown label 'maybe'", source="train.csv", line=3, column="label")
    except DataError as error:
        print(error)  # train.csv, line 3, column 'label': unknown label 'maybe'
    ```
    """

    def __init__(self, message, source=None, line=None, column=None):
        self.source = source
        self.line = line
        self.column = column
        where = [str(source)] if source is not None else []
        if line is not None:
            where.append(f"line {line}")
        if column is not None:
            where.append(f"column {column!r}")
        super().__init__(f"{', '.join(where)}: {message}" if where else message)


@dataclasses.dataclass(frozen=True)
class Task:
    """What a classification or regression task looks like to the rest of the package.

    Args:
        name: a short name, e.g. `"sst2"`.
        text_columns: one column name (single sentence) or two (sentence pair).
        label_column: the name of the label column.
        label_names: the class names in class-id order, or `None` for regression.
        metrics: metric names, the first one being the task's main metric. Known names:
            `"accuracy"`, `"f1"`, `"matthews_correlation"`, `"pearson"`, `"spearman"`.
            Defaults to `("accuracy",)` for classification and `("pearson", "spearman")` for
            regression.
        sequence_length: the packed length; defaults to 64 for single sentences and 128 for
            pairs, as in the TinyBERT paper.

    Example:
    ```python
    task = Task("review", text_columns=("text",), label_column="label",
                label_names=("negative", "positive"))
    print(task.num_classes, task.sequence_length)  # 2 64
    ```
    """

    name: str
    text_columns: tuple
    label_column: str
    label_names: tuple = None
    metrics: tuple = None
    sequence_length: int = None

    def __post_init__(self):
        columns = (
            (self.text_columns,) if isinstance(self.text_columns, str) else tuple(self.text_columns)
        )
        if len(columns) not in (1, 2):
            raise ValueError(
                f"Task {self.name!r}: text_columns must name one or two columns, got {columns}."
            )
        object.__setattr__(self, "text_columns", columns)
        if self.label_names is not None:
            names = tuple(str(name) for name in self.label_names)
            if len(names) < 2 or len(set(names)) != len(names):
                raise ValueError(
                    f"Task {self.name!r}: label_names must hold at least two distinct names, "
                    f"got {names}."
                )
            object.__setattr__(self, "label_names", names)
        if self.metrics is None:
            default = ("pearson", "spearman") if self.is_regression else ("accuracy",)
            object.__setattr__(self, "metrics", default)
        object.__setattr__(self, "metrics", tuple(self.metrics))
        if self.sequence_length is None:
            length = PAIR_LENGTH if self.is_pair else SINGLE_SENTENCE_LENGTH
            object.__setattr__(self, "sequence_length", length)

    @property
    def is_pair(self):
        """Whether each example is a pair of texts."""
        return len(self.text_columns) == 2

    @property
    def is_regression(self):
        """Whether labels are real-valued scores rather than classes."""
        return self.label_names is None

    @property
    def num_classes(self):
        """The number of classes, or 1 for regression (one output unit)."""
        return 1 if self.is_regression else len(self.label_names)


@dataclasses.dataclass(frozen=True)
class Examples:
    """The labelled examples of one split.

    Args:
        texts: a list of strings, or of `(text_a, text_b)` tuples for pair tasks.
        labels: class ids (`int32`) or regression targets (`float32`), one per text.

    Example:
    ```python
    examples = Examples(["good", "bad"], np.array([1, 0], dtype="int32"))
    print(len(examples))  # 2
    ```
    """

    texts: list
    labels: np.ndarray

    def __post_init__(self):
        if len(self.texts) != len(self.labels):
            raise ValueError(f"{len(self.texts)} texts but {len(self.labels)} labels.")

    def __len__(self):
        return len(self.texts)

    @property
    def is_pair(self):
        """Whether the texts are `(text_a, text_b)` pairs."""
        return bool(self.texts) and isinstance(self.texts[0], tuple)


@dataclasses.dataclass(frozen=True)
class TaskData:
    """A task and its splits.

    Args:
        task: the `Task`.
        splits: a dict from split name (`"train"`, `"dev"`, `"test"`, MNLI's
            `"dev_mismatched"`) to `Examples`.

    Example:
    ```python
    task = Task("toy", ("text",), "label", ("no", "yes"))
    data = TaskData(task, {"train": Examples(["a", "b"], np.array([0, 1], "int32"))})
    print(data["train"].labels)
    ```
    """

    task: Task
    splits: dict

    def __post_init__(self):
        if self.task.is_regression:
            return
        classes = self.task.num_classes
        for name, examples in self.splits.items():
            labels = np.asarray(examples.labels)
            if labels.size and not np.issubdtype(labels.dtype, np.integer):
                raise DataError(
                    f"labels of type {labels.dtype}: task {self.task.name!r} is a classification, "
                    "whose labels are class ids (ints). Pass class names or ids.",
                    f"split {name!r}",
                )
            outside = np.flatnonzero((labels < 0) | (labels >= classes))
            if outside.size:
                raise DataError(
                    f"example {outside[0] + 1} has label id {labels[outside[0]]}, outside 0.."
                    f"{classes - 1}: task {self.task.name!r} has {classes} classes "
                    f"{self.task.label_names}. Fix the labels, or the task's label_names.",
                    f"split {name!r}",
                )

    def __getitem__(self, split):
        if split not in self.splits:
            raise KeyError(
                f"Task {self.task.name!r} has no split {split!r}; it has {sorted(self.splits)}."
            )
        return self.splits[split]

    def sizes(self):
        """The number of examples per split, e.g. `{"train": 8000, "dev": 1000}`."""
        return {name: len(examples) for name, examples in self.splits.items()}

    def label_counts(self):
        """Per split, the number of examples of each class name (classification only)."""
        if self.task.is_regression:
            raise ValueError(f"Task {self.task.name!r} is a regression: it has no classes.")
        return {
            name: {
                label: int(np.sum(examples.labels == index))
                for index, label in enumerate(self.task.label_names)
            }
            for name, examples in self.splits.items()
        }


def check_model_matches_task(model, task, label_names=None):
    """Checks that a (teacher) model's output fits a task, before any training starts.

    A teacher fine-tuned with another label order silently ruins distillation (MNLI is the usual
    victim: the original scripts order it contradiction/entailment/neutral, tfds
    entailment/neutral/contradiction). Pass the label names the teacher was trained with, if
    known, to catch that too.

    Args:
        model: a Keras model whose last output dimension is the class count, such as a
            keras-hub `TextClassifier` (its `num_classes` is used when present).
        task: the `Task`.
        label_names: optional, the teacher's class names in its output order.

    Raises:
        DataError: if the class count or the label names differ from the task's.

    Example:
    ```python
    inputs = keras.Input(shape=(8,))
    teacher = keras.Model(inputs, keras.layers.Dense(3)(inputs))
    check_model_matches_task(teacher, glue_task("mnli"),
                             label_names=("contradiction", "entailment", "neutral"))
    ```
    """
    outputs = getattr(model, "num_classes", None)
    if outputs is None:
        outputs = model.outputs[0].shape[-1]
    check_outputs_match_task(outputs, task, label_names, source=getattr(model, "name", "model"))


def check_outputs_match_task(outputs, task, label_names=None, source="model"):
    """Checks a classifier's output count and label order against a task, without the model.

    Args:
        outputs: the number of outputs of the classifier's head, or `None` if unknown.
        task: the `Task`.
        label_names: optional, the classifier's class names in its output order.
        source: what to name in the message (the model or its preset).

    Raises:
        DataError: if the output count or the label names differ from the task's.

    Example:
    ```python
    check_outputs_match_task(3, glue_task("mnli"))
    ```
    """
    if outputs is not None and outputs != task.num_classes:
        raise DataError(
            f"the model has {outputs} outputs but task {task.name!r} has {task.num_classes} "
            f"{'output (regression)' if task.is_regression else f'classes {task.label_names}'}.",
            source=source,
        )
    if label_names is not None and tuple(label_names) != task.label_names:
        raise DataError(
            f"the model's labels are {tuple(label_names)} but task {task.name!r} orders them "
            f"{task.label_names}; fine-tune the teacher with the task's order or remap the task.",
            source=source,
        )
