"""Preset I/O and identity: what the stages write, what they read back, and what names a model.

Every stage's result is an ordinary keras-hub preset. A classifier preset also carries
`tinybert_task.json`: the task's name, columns, label names, metrics and sequence length, so that
a later stage (or `evaluate`) knows the label order and the length it was trained with, wherever
the preset was loaded from (a folder, `hf://`, `kaggle://`).
"""

import dataclasses
import json
import pathlib

import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.core import compat
from tinybert_keras.data import registry
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe.runs import RecipeError

TASK_FILE = "tinybert_task.json"
# The weights of a keras-hub preset, or of a Hugging Face one.
WEIGHT_FILES = ("model.weights.h5", "model.safetensors")
# Written by tinybert-keras 0.1.0 before the whole task was saved: label names only.
LEGACY_LABELS_FILE = "tinybert_labels.json"


def save_classifier(classifier, tokenizer, task, directory):
    """Saves a classifier as a keras-hub preset with its preprocessor and its task.

    A fresh copy is saved, so the preset holds the model alone (no optimizer state).

    Args:
        classifier: a keras-hub `TextClassifier`.
        tokenizer: its keras-hub tokenizer.
        task: the `Task` it was trained on (its sequence length sets the preprocessor's).
        directory: the preset folder to write.

    Example:
    ```python
    save_classifier(student, tokenizer, data.task, "runs/task/preset")
    keras_hub.models.TextClassifier.from_preset("runs/task/preset").predict(["a fine film"])
    ```
    """
    clean = type(classifier).from_config(classifier.get_config())
    clean.set_weights(classifier.get_weights())
    clean.preprocessor = data_lib.make_preprocessor(tokenizer, task.sequence_length)
    clean.save_to_preset(str(directory))
    (pathlib.Path(directory) / TASK_FILE).write_text(
        json.dumps(dataclasses.asdict(task)) + "\n", encoding="utf-8"
    )


def read_task(preset):
    """The task a classifier preset was trained on, as saved next to it.

    Args:
        preset: a classifier preset (folder or hub handle).

    Returns:
        A dict of `Task` fields (`name`, `label_names`, `metrics`, `sequence_length`, ...), only
        `label_names` for presets of tinybert-keras 0.1.0, or `None` if the preset has none.

    Example:
    ```python
    read_task("runs/teacher/preset")["label_names"]  # ['negative', 'positive']
    ```
    """
    preset = checkpoints.resolve(preset)
    for name in (TASK_FILE, LEGACY_LABELS_FILE):
        path = compat.preset_file(preset, name)
        if path is not None:
            return json.loads(pathlib.Path(path).read_text(encoding="utf-8"))
    return None


def load(cls, preset, **kwargs):
    """`cls.from_preset` for any preset argument: offline names and released TinyBERTs too.

    Args:
        cls: a keras-hub class with `from_preset` (`keras_hub.tokenizers.Tokenizer`,
            `keras_hub.models.Backbone`, ...).
        preset: a preset name, folder or handle, a name in
            `tinybert_keras.data.registry.OFFLINE_PRESETS`, or a released TinyBERT checkpoint
            (`tinybert_keras.recipe.checkpoints.resolve`).
        **kwargs: passed to `from_preset`.

    Returns:
        What `cls.from_preset` returns.

    Raises:
        RecipeError: if a file of the preset cannot be read (a truncated weights file, say),
            naming the preset and its weights file.

    Example:
    ```python
    tokenizer = load(keras_hub.tokenizers.Tokenizer, "all_minilm_l6_v2")
    ```
    """
    resolved = checkpoints.resolve(preset)
    try:
        return cls.from_preset(resolved, **kwargs)
    except OSError as error:
        folder = pathlib.Path(resolved)
        weights = [str(folder / name) for name in WEIGHT_FILES if (folder / name).is_file()]
        raise RecipeError(
            f"The preset {preset} cannot be loaded: {error}. One of its files "
            f"{'(' + ', '.join(weights) + ') ' if weights else ''}is missing, truncated or "
            "damaged, say by an interrupted copy or download: copy or download the preset again. "
            "If a tinybert-keras stage wrote it, delete that stage's folder and run it again."
        ) from None


def load_classifier(preset, num_classes=None):
    """A keras-hub `TextClassifier` from a preset, without its preprocessor.

    Args:
        preset: a classifier preset, or a backbone preset with `num_classes` (then the head is
            new and random).
        num_classes: the number of outputs of a new head.

    Returns:
        A `keras_hub.models.TextClassifier`.

    Example:
    ```python
    teacher = load_classifier("runs/teacher/preset")
    ```
    """
    kwargs = {} if num_classes is None else {"num_classes": num_classes}
    return load(keras_hub.models.TextClassifier, preset, preprocessor=None, **kwargs)


def classifier_head(preset, instead):
    """The `task.json` of a fine-tuned classifier preset, or a clear error naming the preset.

    Args:
        preset: a preset name, folder or handle.
        instead: what the error tells the user to pass instead.

    Returns:
        The parsed `task.json`.

    Raises:
        RecipeError: if the preset has no `task.json` (a pre-trained backbone, whose head is
            not trained).

    Example:
    ```python
    classifier_head("runs/teacher/preset", "Pass a task stage's preset.")["config"]["num_classes"]
    ```
    """
    head = preset_json(preset, "task.json")
    if head is None:
        raise RecipeError(
            f"{preset} is not a fine-tuned classifier (its preset has no task.json: a "
            f"pre-trained backbone, whose head is not trained). {instead}"
        )
    return head


def describe_model(model):
    """What decides a model argument's result, for a stage's `run.json` and cache keys.

    Args:
        model: a preset name or handle, a local directory (named by its content, see
            `tinybert_keras.data.registry.preset_identity`), a shape dict, or a Keras model.

    Returns:
        A JSON-ready value: the name, the directory's identity, the dict, or the model's config
        without its automatic name (which counts the models built before it in the process).

    Example:
    ```python
    describe_model("bert_base_en_uncased")  # "bert_base_en_uncased"
    ```
    """
    if isinstance(model, (str, pathlib.Path)):
        return registry.preset_identity(str(model))
    if isinstance(model, dict):
        return model
    config = model.get_config()
    config.pop("name", None)
    return config


def preset_json(preset, name):
    """A JSON file of a preset (`config.json`, `task.json`), or `None` if it has none.

    Args:
        preset: a preset name, folder or handle (offline registry names included).
        name: the file's name in the preset.

    Returns:
        The parsed JSON, or `None`.

    Example:
    ```python
    preset_json("runs/teacher/preset", "task.json")["config"]["num_classes"]  # 2
    ```
    """
    path = compat.preset_file(checkpoints.resolve(preset), name)
    return None if path is None else json.loads(pathlib.Path(path).read_text("utf-8"))
