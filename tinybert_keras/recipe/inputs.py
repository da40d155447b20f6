"""A stage's inputs, resolved once at its entry: the task data, the teacher and the student.

What an argument is decides what a stage does with it, so it is decided here and nowhere else:
data is a `TaskData`, a dataset name or a `DataSettings`; a student is a shape (random), a
preset (trained) or a Keras model; a teacher is a classifier preset whose task, if saved with it,
gives the label order it was trained with.
"""

import dataclasses

import keras
import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.config import ConfigError
from tinybert_keras.config import DataSettings
from tinybert_keras.config import TrainingSettings
from tinybert_keras.config import split_overrides
from tinybert_keras.core.students import STUDENT_CONFIGS
from tinybert_keras.core.students import student_backbone
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe import presets
from tinybert_keras.recipe.runs import RecipeError


def _first(examples, count):
    if count is None or count >= len(examples):
        return examples
    return data_lib.Examples(examples.texts[:count], examples.labels[:count])


FILE_OPTIONS = ("encoding", "file_format")


def _load_files(settings):
    settings.check_files()
    unknown = sorted(set(settings.dataset_options) - set(FILE_OPTIONS))
    if unknown:
        raise ConfigError(
            f"dataset_options {unknown} do not apply to files of your own; they take "
            f"{', '.join(FILE_OPTIONS)} (e.g. encoding=latin-1)."
        )
    return data_lib.load_files(
        settings.train, settings.dev, settings.test, text_columns=settings.text_columns,
        label_column=settings.label_column, label_names=settings.label_names,
        regression=settings.regression, name=settings.task, metrics=settings.metrics,
        **settings.dataset_options,
    )


def load_task(data):
    """The `TaskData` a stage trains and scores on.

    Args:
        data: a `TaskData` (used as it is), a dataset name for
            `tinybert_keras.data.load_dataset`, or a `DataSettings`: a named dataset, or files
            of your own read by `tinybert_keras.data.load_files`, then the sequence length and
            example limits.

    Returns:
        A `TaskData` whose task's `sequence_length` is the one to pack examples to.

    Raises:
        ConfigError: for files that do not exist or whose columns are not named.

    Example:
    ```python
    data = load_task(DataSettings(task="rotten_tomatoes", sequence_length=48, dev_examples=256))
    data = load_task(DataSettings(train="reviews/train.csv", dev="reviews/dev.csv",
                                  text_columns=["review"], label_column="stars"))
    ```
    """
    if isinstance(data, data_lib.TaskData):
        return data
    settings = DataSettings(task=data) if isinstance(data, str) else data
    if settings.has_files:
        loaded = _load_files(settings)
    else:
        loaded = data_lib.load_dataset(settings.dataset, **settings.dataset_options)
    task = loaded.task
    if settings.sequence_length is not None:
        task = dataclasses.replace(task, sequence_length=settings.sequence_length)
    limits = {"train": settings.train_examples, "dev": settings.dev_examples}
    splits = {
        name: _first(examples, limits.get(name)) for name, examples in loaded.splits.items()
    }
    return data_lib.TaskData(task, splits)


def require_splits(data, splits):
    """Raises `RecipeError` unless a task has the splits a stage reads, before it starts.

    Args:
        data: a `TaskData`.
        splits: the split names, e.g. `("train", "dev")`.

    Example:
    ```python
    require_splits(load_task("rotten_tomatoes"), ("train", "dev"))
    ```
    """
    missing = [split for split in splits if split not in data.splits]
    if missing:
        raise RecipeError(
            f"Task {data.task.name!r} has no {' or '.join(missing)} split (it has "
            f"{sorted(data.splits)}); with files of your own, set {' and '.join(missing)} to "
            f"a labelled file (--{missing[0]} FILE)."
        )


def saved_task_settings(settings, preset):
    """Your files' settings, completed with the task a classifier preset was trained on.

    Whatever the settings leave unset (the columns, label names or regression, metrics,
    sequence length, the task's name) is taken from the preset's saved task
    (`tinybert_keras.recipe.presets.read_task`), so that a model is scored with the label order
    and the length it was trained with.

    Args:
        settings: a `DataSettings`.
        preset: a classifier preset, e.g. the teacher's.

    Returns:
        `(settings, taken)`: the completed `DataSettings` and the names of the settings taken
        from the preset (none for a named dataset, or for a preset without a saved task).

    Example:
    ```python
    settings, taken = saved_task_settings(DataSettings(dev="dev.csv"), "runs/teacher/preset")
    taken  # ['text_columns', 'label_column', 'label_names', 'metrics', 'sequence_length', 'task']
    ```
    """
    saved = presets.read_task(preset) if settings.has_files else None
    if not isinstance(saved, dict):
        return settings, []
    values = {name: saved.get(name) for name in ("text_columns", "label_column")}
    if not settings.regression and settings.label_names is None and "label_names" in saved:
        # A regression's task saves no label names.
        labels = saved["label_names"]
        values.update({"label_names": labels} if labels is not None else {"regression": True})
    values.update(metrics=saved.get("metrics"), sequence_length=saved.get("sequence_length"),
                  task=saved.get("name"))
    changes = {name: list(value) if isinstance(value, (list, tuple)) else value
               for name, value in values.items()
               if value is not None and getattr(settings, name) in (None, False)}
    return settings.replace(**changes), list(changes)


def stage_inputs(data, overrides, settings, training=None):
    """The data and settings a task stage starts from.

    Args:
        data: a `TaskData`, a dataset name or a `DataSettings` (see `load_task`).
        overrides: keyword settings, each applied to the group that declares it.
        settings: the stage's settings group.
        training: a `TrainingSettings`, or `None` for the defaults.

    Returns:
        `(data, settings, training)`: the `TaskData` and both groups with the overrides applied.

    Example:
    ```python
    data, settings, training = stage_inputs("sst2", {"epochs": 1.0}, FinetuneSettings())
    ```
    """
    settings, training = split_overrides(overrides, settings, training or TrainingSettings())
    data = load_task(data)
    require_splits(data, ("train", "dev"))
    return data, settings, training


def describe_data(data):
    """What identifies a `TaskData` in a stage's settings: its task and split sizes.

    Args:
        data: a `TaskData`.

    Returns:
        A JSON-ready dict.

    Example:
    ```python
    describe_data(load_task("rotten_tomatoes"))["sizes"]["train"]  # 10201
    ```
    """
    return {**dataclasses.asdict(data.task), "sizes": data.sizes()}


def student_kind(student):
    """Whether a student argument is a `"shape"` (random), a `"preset"` or a `"model"`.

    Args:
        student: a shape name (`"tinybert_4"`, `"tinybert_6"`), a shape dict, a preset (name,
            folder, handle) or a keras-hub `BertBackbone`.

    Returns:
        `"shape"`, `"preset"` or `"model"`.

    Example:
    ```python
    student_kind("tinybert_4")  # 'shape'
    student_kind("hf://huawei-noah/TinyBERT_General_4L_312D")  # 'preset'
    ```
    """
    if isinstance(student, dict) or student in STUDENT_CONFIGS:
        return "shape"
    if isinstance(student, keras.Model):
        return "model"
    return "preset"


def build_student(student, teacher, seed=0, embeddings_from_teacher=False):
    """A student backbone: random from a shape, or loaded from a preset (e.g. a general TinyBERT).

    Args:
        student: a shape, a preset or a `BertBackbone` (returned as it is); see `student_kind`.
        teacher: the teacher model whose vocabulary and sequence length a random student takes.
        seed: seeds a random student's weights.
        embeddings_from_teacher: give a random student the teacher's embeddings projected to
            its width (`tinybert_keras.core.students.project_teacher_embeddings`).

    Returns:
        A `keras_hub.models.BertBackbone`.

    Raises:
        ValueError: if `embeddings_from_teacher` is set for a preset or model student.

    Example:
    ```python
    teacher = keras_hub.models.BertBackbone.from_preset("bert_base_en_uncased")
    student = build_student("tinybert_4", teacher)
    ```
    """
    keras.utils.set_random_seed(seed)
    kind = student_kind(student)
    if kind == "shape":
        return student_backbone(
            student, teacher=teacher, embeddings_from_teacher=embeddings_from_teacher
        )
    if embeddings_from_teacher:
        raise ValueError(
            "embeddings_from_teacher starts a random student built from a shape; the student "
            f"{student if kind == 'preset' else student.name!r} already has trained "
            "embeddings. Drop the option, or pass a shape."
        )
    if kind == "preset":
        return presets.load(keras_hub.models.BertBackbone, student)
    return student


def check_teacher_classifier(preset, task):
    """Checks, from its files, that a teacher preset is a classifier fine-tuned for the task.

    Args:
        preset: the teacher's classifier preset.
        task: the `Task`.

    Returns:
        The class names the preset was trained with, or `None` when it does not say.

    Raises:
        RecipeError: if the preset has no classifier head (`task.json`), or a head for another
            number of classes or another label order.

    Example:
    ```python
    check_teacher_classifier("runs/teacher/preset", data.task)  # ('negative', 'positive')
    ```
    """
    head = presets.classifier_head(
        preset, "Fine-tune it on the task first (tinybert-keras finetune-teacher, or "
        "recipe.finetune) and pass that stage's preset as the teacher."
    )
    label_names = (presets.read_task(preset) or {}).get("label_names")
    label_names = None if label_names is None else tuple(label_names)
    try:
        data_lib.check_outputs_match_task(
            head.get("config", {}).get("num_classes"), task, label_names, source=str(preset)
        )
    except data_lib.DataError as error:
        raise RecipeError(f"The teacher does not fit task {task.name!r}: {error}") from error
    return label_names


def student_projections(student, settings):
    """The trained projections a student checkpoint carries, if the settings take them.

    Args:
        student: the stage's student argument (see `student_kind`).
        settings: a `GeneralSettings` or `DistillSettings`; its `checkpoint_projections`
            decides.

    Returns:
        A `tinybert_keras.recipe.checkpoints.Projections`, or `None` (a shape or model student,
        a preset without projections, or the setting off). Hand it to
        `checkpoints.start_projections` with the stage's `Distiller`.

    Example:
    ```python
    student_projections("hf://huawei-noah/TinyBERT_General_4L_312D", DistillSettings()).name
    # 'fit_dense'
    ```
    """
    if not settings.checkpoint_projections or student_kind(student) != "preset":
        return None
    return checkpoints.read_projections(student)


def load_teacher(preset, task):
    """A fine-tuned teacher classifier, checked against the task it is to teach.

    Args:
        preset: the teacher's classifier preset (`finetune`'s result, or any keras-hub
            `TextClassifier` preset).
        task: the `Task`.

    Returns:
        `(classifier, label_names)`: the `TextClassifier` and the class names it was trained
        with, or `None` when the preset does not say.

    Raises:
        RecipeError: if the preset is a pre-trained backbone rather than a fine-tuned
            classifier, or does not fit the task (see `check_teacher_classifier`).

    Example:
    ```python
    teacher, label_names = load_teacher("runs/teacher/preset", data.task)
    ```
    """
    label_names = check_teacher_classifier(preset, task)
    classifier = presets.load_classifier(preset)
    try:
        data_lib.check_model_matches_task(classifier, task, label_names=label_names)
    except data_lib.DataError as error:
        raise RecipeError(f"The teacher does not fit task {task.name!r}: {error}") from error
    return classifier, label_names
