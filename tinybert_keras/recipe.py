"""The two-stage TinyBERT recipe as resumable stage functions.

Each stage works on its own and writes one folder:

```
<output_dir>/
  run.json       the stage's settings; a rerun with other settings is refused
  backup/        Keras BackupAndRestore state while training (removed when the stage ends)
  history.csv    one row of losses per checkpoint interval, appended across restarts
  preset/        the result, a keras-hub preset (loads without tinybert_keras)
  summary.json   written last: the stage is finished and a rerun returns it at once
```

Training runs in intervals of `steps_per_checkpoint` steps (one epoch by default), which Keras
calls epochs. After an interruption the same call restores the last interval's weights and
optimizer state, skips the batches already seen, and ends with the weights an uninterrupted run
ends with.
"""

import csv
import json
import math
import pathlib
import shutil

import keras
import keras_hub
import numpy as np
import tensorflow as tf

from tinybert_keras import data as data_lib
from tinybert_keras import evaluation
from tinybert_keras.config import TASK_DISTILL_FIELDS
from tinybert_keras.data import registry
from tinybert_keras.distiller import Distiller
from tinybert_keras.schedules import WarmupLinearDecay
from tinybert_keras.students import STUDENT_CONFIGS
from tinybert_keras.students import student_backbone

RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
LABELS_FILE = "tinybert_labels.json"
PRESET = "preset"


class RecipeError(ValueError):
    """A stage cannot start or continue; the message says what to change.

    Args:
        message: what is wrong and how to fix it.

    Example:
    ```python
    try:
        raise RecipeError("the teacher is near chance")
    except RecipeError as error:
        print(error)
    ```
    """


def default_strategy():
    """`MirroredStrategy` over every GPU when there are several, else the default strategy.

    Returns:
        A `tf.distribute.Strategy`; build models and optimizers inside its `scope()`.

    Example:
    ```python
    with default_strategy().scope():
        model = keras_hub.models.BertBackbone.from_preset("bert_tiny_en_uncased")
    ```
    """
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    return tf.distribute.get_strategy()


def _normalize(settings):
    return json.loads(json.dumps(settings, default=str))


def open_run(output_dir, settings):
    """Claims `output_dir` for a stage, or finds the same stage there to resume or return.

    Args:
        output_dir: the stage's folder.
        settings: a JSON-ready dict of everything that determines the stage's result.

    Returns:
        The stage's summary dict if it already finished with these settings, else `None`
        (start, or resume from the folder's backup).

    Raises:
        RecipeError: if the folder holds another run or files this package did not write.

    Example:
    ```python
    summary = open_run("runs/teacher", {"stage": "finetune", "epochs": 3})
    ```
    """
    output_dir = pathlib.Path(output_dir)
    settings = _normalize(settings)
    run_file = output_dir / RUN_FILE
    # A run that stopped before training wrote anything (say, on a wrong teacher path) holds no
    # work to lose, so it may be started again with corrected settings.
    untouched = run_file.is_file() and [path.name for path in output_dir.iterdir()] == [RUN_FILE]
    if run_file.is_file() and not untouched:
        saved = json.loads(run_file.read_text(encoding="utf-8"))
        if saved != settings:
            changed = sorted(
                key for key in set(saved) | set(settings) if saved.get(key) != settings.get(key)
            )
            raise RecipeError(
                f"{output_dir} holds a run with other settings (changed: {changed}). Rerun with "
                "the same settings to resume or reuse it, or choose a new output directory; "
                "nothing was overwritten."
            )
        summary_file = output_dir / SUMMARY_FILE
        if summary_file.is_file():
            return json.loads(summary_file.read_text(encoding="utf-8"))
        return None
    if output_dir.exists() and any(output_dir.iterdir()) and not untouched:
        raise RecipeError(
            f"{output_dir} already holds files that are not a tinybert-keras run; choose a new "
            "or empty output directory so that nothing is overwritten."
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return None


def _finish_run(output_dir, summary):
    output_dir = pathlib.Path(output_dir)
    (output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(output_dir / "backup", ignore_errors=True)
    return summary


class ResumableBackup(keras.callbacks.BackupAndRestore):
    """Keras' `BackupAndRestore`, plus the dropout random-number states.

    `save_weights` leaves out the layers' `SeedGenerator` states, so a restored run would draw
    other dropout masks than an uninterrupted one. They are saved next to the weights, one file
    per interval (written before the weights, so a kill between the two cannot pair new states
    with old weights), and the file of the restored interval is loaded.

    Args:
        backup_dir: the backup folder.

    Example:
    ```python
    model.fit(dataset, epochs=3, callbacks=[ResumableBackup("runs/teacher/backup")])
    ```
    """

    def __init__(self, backup_dir):
        super().__init__(backup_dir, delete_checkpoint=False)

    def _seed_states(self):
        return [v for v in self.model.variables if v.name == "seed_generator_state"]

    def _states_path(self, interval):
        return pathlib.Path(self.backup_dir) / f"seed_states_{interval}.npy"

    def _save_model(self):
        pathlib.Path(self.backup_dir).mkdir(parents=True, exist_ok=True)
        states = [np.asarray(v).reshape(-1) for v in self._seed_states()]
        np.save(self._states_path(self._current_epoch), np.array(states, dtype="int64"))
        super()._save_model()
        for old in pathlib.Path(self.backup_dir).glob("seed_states_*.npy"):
            if old != self._states_path(self._current_epoch):
                old.unlink()

    def _load_model(self):
        super()._load_model()
        path = self._states_path(_completed_intervals(self.backup_dir))
        if path.is_file():
            for variable, value in zip(self._seed_states(), np.load(path)):
                variable.assign(value.reshape(variable.shape))


def _completed_intervals(backup_dir):
    metadata = pathlib.Path(backup_dir) / "training_metadata.json"
    if not metadata.is_file():
        return 0
    return json.loads(metadata.read_text(encoding="utf-8"))["epoch"]


def fit_resumable(model, dataset, steps, output_dir, steps_per_checkpoint, callbacks=(),
                  verbose="auto"):
    """`model.fit` for `steps` steps that survives being killed and rerun.

    The dataset repeats; training runs in `ceil(steps / steps_per_checkpoint)` equal intervals
    (each at most `steps_per_checkpoint` steps, so a few steps may be added to make them equal).
    `ResumableBackup` saves weights, optimizer and dropout states after each interval; on a rerun
    it restores them and the batches already consumed are skipped, so the run continues on the
    same data order and ends where an uninterrupted run ends. Losses are appended to
    `history.csv`.

    Args:
        model: a compiled, built Keras model.
        dataset: a finite `tf.data.Dataset` in a fixed order per epoch (seeded shuffling is).
        steps: the total number of training steps.
        output_dir: the stage folder (holds `backup/` and `history.csv`).
        steps_per_checkpoint: steps between backups.
        callbacks: more Keras callbacks; they run before the backup at each interval's end.
        verbose: the Keras progress-bar setting.

    Returns:
        The Keras `History` of this call.

    Example:
    ```python
    fit_resumable(model, train_dataset, steps=1000, output_dir="runs/teacher",
                  steps_per_checkpoint=250)
    ```
    """
    output_dir = pathlib.Path(output_dir)
    backup_dir = output_dir / "backup"
    intervals = max(1, math.ceil(steps / steps_per_checkpoint))
    interval_steps = math.ceil(steps / intervals)
    done = _completed_intervals(backup_dir)
    dataset = dataset.repeat().skip(done * interval_steps)
    return model.fit(
        dataset,
        epochs=intervals,
        steps_per_epoch=interval_steps,
        callbacks=[
            *callbacks,
            ResumableBackup(str(backup_dir)),
            keras.callbacks.CSVLogger(str(output_dir / "history.csv"), append=True),
        ],
        verbose=verbose,
        shuffle=False,
    )


def read_history(output_dir):
    """The per-interval losses and metrics a stage appended to its `history.csv`.

    Args:
        output_dir: the stage folder.

    Returns:
        A dict from column name (`"loss"`, `"attention_loss"`, ...) to a list of floats.

    Example:
    ```python
    history = read_history("runs/task/intermediate")
    history["hidden_loss"][-1]
    ```
    """
    path = pathlib.Path(output_dir) / "history.csv"
    if not path.is_file():
        return {}
    with open(path, newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    columns = [column for column in (rows[0] if rows else {}) if column != "epoch"]
    # CSVLogger writes "NA" for a value missing from an interval's logs.
    history = {
        column: [float("nan") if row[column] == "NA" else float(row[column]) for row in rows]
        for column in columns
    }
    return {
        column: values for column, values in history.items()
        if not all(map(math.isnan, values))
    }


def _task_data(data, dataset_options=None):
    if isinstance(data, data_lib.TaskData):
        return data
    return data_lib.load_dataset(data, **(dataset_options or {}))


def _data_settings(data):
    return {"task": data.task.name, "label_names": data.task.label_names, "sizes": data.sizes()}


def _adamw(learning_rate):
    """The official code's optimizer: AdamW, decay 0.01 except on biases and LayerNorm, eps 1e-6."""
    optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=0.01, epsilon=1e-6)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def _steps(epochs, batches_per_epoch):
    return max(1, math.ceil(epochs * batches_per_epoch))


def _save_classifier(classifier, tokenizer, sequence_length, task, directory):
    # A fresh copy carries no optimizer state, so the preset holds only the model.
    clean = type(classifier).from_config(classifier.get_config())
    clean.set_weights(classifier.get_weights())
    clean.preprocessor = data_lib.make_preprocessor(tokenizer, sequence_length)
    clean.save_to_preset(str(directory))
    labels = {"task": task.name, "label_names": task.label_names}
    (pathlib.Path(directory) / LABELS_FILE).write_text(json.dumps(labels) + "\n", encoding="utf-8")


def _load_classifier(preset, num_classes=None):
    kwargs = {} if num_classes is None else {"num_classes": num_classes}
    return keras_hub.models.TextClassifier.from_preset(preset, preprocessor=None, **kwargs)


def finetune(model, data, output_dir, *, tokenizer=None, epochs=3.0, learning_rate=2e-5,
             warmup_fraction=0.1, batch_size=32, sequence_length=None, seed=0, jit_compile=True,
             steps_per_checkpoint=None, dataset_options=None, strategy=None, verbose="auto"):
    """Fine-tunes a BERT classifier on a task's labels: the teacher, or a labels-only baseline.

    TinyBERT's task distillation needs a teacher fine-tuned on the task (a pre-trained one is
    the most common reason its results do not reproduce). Cross-entropy (MSE for regression),
    AdamW with linear warm-up and decay, then the dev metrics.

    Args:
        model: a keras-hub preset (name, directory, `hf://...`) of a BERT backbone or classifier,
            or a `BertBackbone` / `BertTextClassifier` object (then pass `tokenizer`).
        data: a `TaskData` or a dataset name for `load_dataset`.
        output_dir: the stage folder; the classifier is saved to `<output_dir>/preset`.
        tokenizer: the keras-hub tokenizer; read from the preset when `model` is one.
        epochs: passes over the training split (fractions allowed).
        learning_rate: the peak learning rate.
        warmup_fraction: the share of steps spent warming up.
        batch_size: examples per step.
        sequence_length: the packed length; `None` takes the task's.
        seed: seeds the head's initialisation, dropout and shuffling.
        jit_compile: XLA-compile the train step.
        steps_per_checkpoint: steps between backups; `None` is one epoch.
        dataset_options: extra `load_dataset` arguments when `data` is a name.
        strategy: a `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.

    Returns:
        The summary dict: `preset`, `dev` metrics, `steps`.

    Example:
    ```python
    summary = finetune("bert_base_en_uncased", "sst2", "runs/teacher", epochs=3)
    teacher = keras_hub.models.TextClassifier.from_preset(summary["preset"])
    ```
    """
    data = _task_data(data, dataset_options)
    task = data.task
    sequence_length = sequence_length or task.sequence_length
    settings = {
        "stage": "finetune", "model": describe_model(model),
        "data": _data_settings(data), "epochs": epochs, "learning_rate": learning_rate,
        "warmup_fraction": warmup_fraction, "batch_size": batch_size,
        "sequence_length": sequence_length, "seed": seed,
        "steps_per_checkpoint": steps_per_checkpoint,
    }
    finished = open_run(output_dir, settings)
    if finished is not None:
        return finished
    output_dir = pathlib.Path(output_dir)
    strategy = strategy or default_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        if isinstance(model, str):
            tokenizer = tokenizer or keras_hub.tokenizers.Tokenizer.from_preset(model)
            classifier = _load_classifier(model, num_classes=task.num_classes)
        elif isinstance(model, keras_hub.models.TextClassifier):
            classifier = model
        else:
            classifier = keras_hub.models.BertTextClassifier(
                model, num_classes=task.num_classes, preprocessor=None
            )
        if tokenizer is None:
            raise RecipeError("Pass the model's tokenizer (tokenizer=...) with a model object.")
        data_lib.check_model_matches_task(classifier, task)
        data_lib.check_same_vocabulary(tokenizer, classifier, names=("tokenizer", "model"))
        train = data_lib.make_dataset(
            data["train"], tokenizer, batch_size, sequence_length=sequence_length, shuffle=True,
            seed=seed,
        )
        steps = _steps(epochs, math.ceil(len(data["train"]) / batch_size))
        schedule = WarmupLinearDecay(learning_rate, steps, int(warmup_fraction * steps))
        loss = (
            keras.losses.MeanSquaredError() if task.is_regression
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        classifier.compile(
            optimizer=_adamw(schedule), loss=loss, metrics=data_lib.metrics_for(task),
            jit_compile=jit_compile,
        )
    fit_resumable(
        classifier, train, steps, output_dir,
        steps_per_checkpoint or math.ceil(len(data["train"]) / batch_size), verbose=verbose,
    )
    dev = data_lib.make_dataset(data["dev"], tokenizer, batch_size, sequence_length=sequence_length)
    _save_classifier(classifier, tokenizer, sequence_length, task, output_dir / PRESET)
    return _finish_run(output_dir, {
        "stage": "finetune", "preset": str(output_dir / PRESET), "steps": steps,
        "dev": evaluation.task_metrics(classifier, dev, task),
    })


def build_student(student, teacher, seed=0, embeddings_from_teacher=False):
    """A student backbone: random from a shape, or loaded from a preset (e.g. a general TinyBERT).

    Args:
        student: a shape (`"tinybert_4"`, `"tinybert_6"`, a dict for `student_backbone`), a
            preset (name, directory, `hf://...`), or a `BertBackbone` (returned as is).
        teacher: the teacher model whose vocabulary and sequence length a random student takes.
        seed: seeds a random student's weights.
        embeddings_from_teacher: give a random student the teacher's embeddings projected to
            its width (`tinybert_keras.students.project_teacher_embeddings`).

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
    if isinstance(student, dict) or student in STUDENT_CONFIGS:
        return student_backbone(
            student, teacher=teacher, embeddings_from_teacher=embeddings_from_teacher
        )
    if embeddings_from_teacher:
        raise ValueError(
            "embeddings_from_teacher starts a random student built from a shape; the student "
            f"{student if isinstance(student, str) else student.name!r} already has trained "
            "embeddings. Drop the option, or pass a shape."
        )
    if isinstance(student, str):
        return keras_hub.models.BertBackbone.from_preset(student)
    return student


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
    if isinstance(model, str):
        return registry.preset_identity(model)
    if isinstance(model, dict):
        return model
    config = model.get_config()
    config.pop("name", None)
    return config


def general_distill(teacher, student, output_dir, *, corpus=None, epochs=1.0, max_steps=None,
                    learning_rate=1e-4, sequence_length=128, batch_size=32, layer_map="uniform",
                    formulation="paper", embeddings_from_teacher=False, seed=0,
                    jit_compile=True, steps_per_checkpoint=200, strategy=None, verbose="auto"):
    """General distillation: a student learns a pre-trained teacher's layers on plain text.

    Embedding, attention and hidden-state losses only, on packed corpus sequences, with a
    pre-trained (not fine-tuned) teacher. The paper runs 3 epochs of English Wikipedia (about
    2,240 V100 GPU-hours for TinyBERT-4); most users start instead from a released general
    checkpoint and go straight to `task_distill`.

    Args:
        teacher: the pre-trained teacher's preset (name, directory or `hf://...`).
        student: a shape (`"tinybert_4"`, `"tinybert_6"`, or a dict for `student_backbone`) for
            a random student, or a preset to continue from.
        output_dir: the stage folder; the student backbone and the teacher's tokenizer are saved
            to `<output_dir>/preset`.
        corpus: `.txt` files or folders; `None` for the offline news corpus.
        epochs: passes over the corpus (counted once before training).
        max_steps: train exactly this many steps instead (the corpus repeats if shorter).
        learning_rate: the constant learning rate.
        sequence_length: the packed length (the paper: 128).
        batch_size: sequences per step.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        formulation: `"paper"` or `"official"` loss averaging.
        embeddings_from_teacher: start a random student from the teacher's embeddings projected
            to its width (not in the paper; helps when general distillation is short).
        seed: seeds the student's initialisation.
        jit_compile: XLA-compile the train step.
        steps_per_checkpoint: steps between backups.
        strategy: a `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.

    Returns:
        The summary dict: `preset`, `steps`, the last interval's `losses`.

    Example:
    ```python
    summary = general_distill("bert_base_en_uncased", "tinybert_4", "runs/general",
                              corpus="wiki_txt/", epochs=3)
    backbone = keras_hub.models.Backbone.from_preset(summary["preset"])
    ```
    """
    settings = {
        "stage": "general", "teacher": describe_model(teacher),
        "student": describe_model(student),
        "corpus": corpus, "epochs": epochs, "max_steps": max_steps,
        "learning_rate": learning_rate, "sequence_length": sequence_length,
        "batch_size": batch_size, "layer_map": layer_map, "formulation": formulation,
        "embeddings_from_teacher": embeddings_from_teacher, "seed": seed,
        "steps_per_checkpoint": steps_per_checkpoint,
    }
    finished = open_run(output_dir, settings)
    if finished is not None:
        return finished
    output_dir = pathlib.Path(output_dir)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(teacher)
    corpus_dataset = data_lib.text_corpus_dataset(corpus, tokenizer, sequence_length, batch_size)
    if max_steps is None:
        steps = _steps(epochs, sum(1 for _ in corpus_dataset))
    else:
        steps = max_steps
    strategy = strategy or default_strategy()
    with strategy.scope():
        teacher_model = keras_hub.models.Backbone.from_preset(teacher)
        student_model = build_student(student, teacher_model, seed, embeddings_from_teacher)
        data_lib.check_same_vocabulary(tokenizer, student_model, names=("tokenizer", "student"))
        distiller = Distiller(
            teacher_model, student_model, stage="general", layer_map=layer_map,
            formulation=formulation,
        )
        distiller.compile(optimizer=_adamw(learning_rate), jit_compile=jit_compile)
    fit_resumable(
        distiller, corpus_dataset, steps, output_dir, min(steps_per_checkpoint, steps),
        verbose=verbose,
    )
    student_model.save_to_preset(str(output_dir / PRESET))
    tokenizer.save_to_preset(str(output_dir / PRESET))
    history = read_history(output_dir)
    return _finish_run(output_dir, {
        "stage": "general", "preset": str(output_dir / PRESET), "steps": steps,
        "losses": {name: values[-1] for name, values in history.items()},
    })


class KeepBestCheckpoint(keras.callbacks.Callback):
    """Scores the student on dev after each interval and keeps its best weights, across restarts.

    The best score so far lives in `best.json` next to the weights, so a resumed run compares
    against it instead of starting over. The dev score is added to the logs as `val_<metric>`.

    Args:
        student: the student classifier being trained.
        dataset: the dev `tf.data.Dataset`.
        task: the `Task`; its first metric decides.
        directory: where `best.weights.h5` and `best.json` go.

    Example:
    ```python
    keep = KeepBestCheckpoint(student, dev_dataset, task, "runs/task/prediction")
    distiller.fit(train, epochs=3, callbacks=[keep])
    keep.restore_best()
    ```
    """

    def __init__(self, student, dataset, task, directory):
        super().__init__()
        self.student = student
        self.dataset = dataset
        self.task = task
        self.directory = pathlib.Path(directory)
        self.forward = evaluation.compiled_forward(student)

    @property
    def best(self):
        """The best record so far, `{"interval", "metrics"}`, or `None`."""
        record = self.directory / "best.json"
        return json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None

    def on_epoch_end(self, epoch, logs=None):
        scores = data_lib.evaluate(self.forward, self.dataset, self.task)
        main = self.task.metrics[0]
        if logs is not None:
            logs[f"val_{main}"] = scores[main]
        best = self.best
        if best is None or scores[main] > best["metrics"][main]:
            self.student.save_weights(str(self.directory / "best.weights.h5"))
            record = {"interval": epoch + 1, "metrics": scores}
            (self.directory / "best.json").write_text(json.dumps(record) + "\n", encoding="utf-8")

    def restore_best(self):
        """Loads the best weights into the student and returns the best record."""
        self.student.load_weights(str(self.directory / "best.weights.h5"))
        return self.best


def check_teacher(teacher, dataset, task, labels, margin=0.05, label_names=None):
    """Stops task distillation early when the teacher cannot teach the task.

    A teacher that was never fine-tuned, or was fine-tuned with another label order, scores
    near (or below) the best constant prediction; distilling it wastes the run.

    Args:
        teacher: the teacher classifier.
        dataset: the dev `tf.data.Dataset`.
        task: the `Task`.
        labels: the dev labels (for the chance level).
        margin: how far above chance the main metric must be.
        label_names: the teacher's class names in output order, if known.

    Returns:
        The teacher's dev metrics.

    Raises:
        RecipeError: if the label names differ or the teacher is within `margin` of chance.

    Example:
    ```python
    scores = check_teacher(teacher, dev_dataset, data.task, data["dev"].labels)
    ```
    """
    try:
        data_lib.check_model_matches_task(teacher, task, label_names=label_names)
    except data_lib.DataError as error:
        raise RecipeError(f"The teacher does not fit task {task.name!r}: {error}") from error
    scores = evaluation.task_metrics(teacher, dataset, task)
    main = task.metrics[0]
    chance = evaluation.chance_score(task, labels)
    if scores[main] < chance + margin:
        raise RecipeError(
            f"The teacher scores {main}={scores[main]:.4f} on {task.name!r} dev, within {margin} "
            f"of chance ({chance:.4f}, the best constant prediction). Fine-tune it on the task "
            "first (`tinybert-keras finetune-teacher`), and check that its label order is the "
            f"task's {task.label_names} (a score below chance usually means swapped labels). "
            "To distill anyway, lower min_teacher_margin."
        )
    return scores


def _read_augmented(path, task):
    loaders = {
        ".csv": data_lib.load_csv, ".jsonl": data_lib.load_jsonl, ".json": data_lib.load_jsonl,
    }
    load = loaders.get(pathlib.Path(path).suffix, data_lib.load_tsv)
    return load(
        path, text_columns=task.text_columns, label_column=task.label_column,
        label_names=task.label_names, regression=task.is_regression,
    )["train"]


def task_distill(teacher, student, data, output_dir, *, augmented_train=None,
                 intermediate_epochs=20.0, intermediate_learning_rate=5e-5, prediction_epochs=3.0,
                 prediction_learning_rate=3e-5, warmup_fraction=0.1, batch_size=32,
                 sequence_length=None, layer_map="uniform", temperature=1.0, formulation="paper",
                 min_teacher_margin=0.05, embeddings_from_teacher=False, seed=0,
                 jit_compile=True, steps_per_checkpoint=None,
                 dataset_options=None, strategy=None, verbose="auto"):
    """Task distillation: intermediate layers, then the prediction layer, best dev kept.

    First the teacher is checked on dev (`check_teacher`). Phase 1 (`<output_dir>/intermediate`)
    matches embeddings, attention scores and hidden states on the (augmented) training set at
    a constant learning rate; phase 2 (`<output_dir>/prediction`) matches the teacher's logits
    (soft cross-entropy at `temperature`) with linear warm-up and decay, scoring the student on
    dev after every interval and keeping the best weights, which end in `<output_dir>/preset`.

    Args:
        teacher: the fine-tuned teacher's classifier preset (e.g. `finetune`'s `preset`).
        student: a general student preset (a `general_distill` result, or a released one such
            as `"hf://huawei-noah/TinyBERT_General_4L_312D"`), or a shape for a random student
            (the paper's "w/o GD" ablation).
        data: a `TaskData` or a dataset name.
        output_dir: the stage folder.
        augmented_train: a TSV/CSV/JSONL of augmented training examples (the `augment`
            command's output) for phase 1; `None` uses the training split.
        intermediate_epochs: phase 1 epochs (paper 20; 10 for MNLI/QQP/QNLI); 0 skips it.
        intermediate_learning_rate: phase 1's constant learning rate.
        prediction_epochs: phase 2 epochs (paper 3), over the training split.
        prediction_learning_rate: phase 2's peak learning rate.
        warmup_fraction: phase 2's warm-up share.
        batch_size: examples per step.
        sequence_length: the packed length; `None` takes the task's.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        temperature: the prediction loss's temperature.
        formulation: `"paper"` or `"official"` loss averaging.
        min_teacher_margin: see `check_teacher`; `None` skips the check.
        embeddings_from_teacher: start a random student (a shape) from the teacher's embeddings
            projected to its width.
        seed: seeds initialisation, dropout and shuffling.
        jit_compile: XLA-compile the train steps.
        steps_per_checkpoint: steps between backups (and dev scores in phase 2); `None` is one
            epoch of the phase's data.
        dataset_options: extra `load_dataset` arguments when `data` is a name.
        strategy: a `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.

    Returns:
        The summary dict: `preset`, `teacher_dev`, `student_dev`, `best_interval`.

    Example:
    ```python
    summary = task_distill("runs/teacher/preset", "runs/general/preset", "sst2", "runs/task")
    student = keras_hub.models.TextClassifier.from_preset(summary["preset"])
    ```
    """
    data = _task_data(data, dataset_options)
    task = data.task
    sequence_length = sequence_length or task.sequence_length
    settings = {
        "stage": "task", "teacher": describe_model(teacher),
        "student": describe_model(student),
        "data": _data_settings(data), "augmented_train": augmented_train,
        "intermediate_epochs": intermediate_epochs,
        "intermediate_learning_rate": intermediate_learning_rate,
        "prediction_epochs": prediction_epochs,
        "prediction_learning_rate": prediction_learning_rate,
        "warmup_fraction": warmup_fraction, "batch_size": batch_size,
        "sequence_length": sequence_length, "layer_map": layer_map, "temperature": temperature,
        "formulation": formulation, "embeddings_from_teacher": embeddings_from_teacher,
        "seed": seed, "steps_per_checkpoint": steps_per_checkpoint,
    }
    finished = open_run(output_dir, settings)
    if finished is not None:
        return finished
    output_dir = pathlib.Path(output_dir)
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(teacher)
    labels_file = pathlib.Path(teacher) / LABELS_FILE
    teacher_labels = (
        json.loads(labels_file.read_text(encoding="utf-8"))["label_names"]
        if labels_file.is_file() else None
    )

    def batches(examples, shuffle=False):
        return data_lib.make_dataset(
            examples, tokenizer, batch_size, sequence_length=sequence_length, shuffle=shuffle,
            seed=seed,
        )

    dev = batches(data["dev"])
    strategy = strategy or default_strategy()
    with strategy.scope():
        teacher_model = _load_classifier(teacher)
    teacher_dev = (
        evaluation.task_metrics(teacher_model, dev, task) if min_teacher_margin is None
        else check_teacher(
            teacher_model, dev, task, data["dev"].labels, min_teacher_margin,
            None if teacher_labels is None else tuple(teacher_labels),
        )
    )
    print(f"Teacher dev {task.metrics[0]}: {teacher_dev[task.metrics[0]]:.4f}")
    with strategy.scope():
        backbone = build_student(student, teacher_model, seed, embeddings_from_teacher)
        data_lib.check_same_vocabulary(tokenizer, backbone, names=("teacher", "student"))
        classifier = keras_hub.models.BertTextClassifier(
            backbone, num_classes=task.num_classes, preprocessor=None
        )
    phases = {"intermediate": intermediate_epochs > 0, "prediction": prediction_epochs > 0}
    if not any(phases.values()):
        raise RecipeError(
            "Both phases have 0 epochs: set intermediate_epochs or prediction_epochs."
        )
    common = {"layer_map": layer_map, "formulation": formulation}
    if phases["intermediate"]:
        train = data["train"] if augmented_train is None else _read_augmented(augmented_train, task)
        per_epoch = math.ceil(len(train) / batch_size)
        steps = _steps(intermediate_epochs, per_epoch)
        phase_dir = output_dir / "intermediate"
        if open_run(phase_dir, {**settings, "phase": "intermediate"}) is None:
            with strategy.scope():
                distiller = Distiller(teacher_model, classifier, stage="intermediate", **common)
                distiller.compile(
                    optimizer=_adamw(intermediate_learning_rate), jit_compile=jit_compile
                )
            fit_resumable(
                distiller, batches(train, shuffle=True), steps, phase_dir,
                steps_per_checkpoint or per_epoch, verbose=verbose,
            )
            classifier.save_weights(str(phase_dir / "student.weights.h5"))
            _finish_run(phase_dir, {"phase": "intermediate", "steps": steps})
        classifier.load_weights(str(phase_dir / "student.weights.h5"))
    phase_dir = output_dir / "prediction"
    keep = None
    if phases["prediction"]:
        per_epoch = math.ceil(len(data["train"]) / batch_size)
        steps = _steps(prediction_epochs, per_epoch)
        if open_run(phase_dir, {**settings, "phase": "prediction"}) is None:
            with strategy.scope():
                distiller = Distiller(
                    teacher_model, classifier, stage="prediction", temperature=temperature,
                    **common,
                )
                schedule = WarmupLinearDecay(
                    prediction_learning_rate, steps, int(warmup_fraction * steps)
                )
                distiller.compile(optimizer=_adamw(schedule), jit_compile=jit_compile)
            keep = KeepBestCheckpoint(classifier, dev, task, phase_dir)
            fit_resumable(
                distiller, batches(data["train"], shuffle=True), steps, phase_dir,
                steps_per_checkpoint or per_epoch, callbacks=[keep], verbose=verbose,
            )
            _finish_run(phase_dir, {"phase": "prediction", "steps": steps, "best": keep.best})
        keep = KeepBestCheckpoint(classifier, dev, task, phase_dir)
        best = keep.restore_best()
    else:
        best = {"interval": None, "metrics": evaluation.task_metrics(classifier, dev, task)}
    _save_classifier(classifier, tokenizer, sequence_length, task, output_dir / PRESET)
    return _finish_run(output_dir, {
        "stage": "task", "preset": str(output_dir / PRESET), "teacher_dev": teacher_dev,
        "student_dev": best["metrics"], "best_interval": best["interval"],
    })


def evaluate_presets(presets, data, *, batch_size=32, sequence_length=None, split="dev",
                     dataset_options=None, latency_repeats=20):
    """Loads classifier presets and compares them: metrics, parameters, size on disk, latency.

    Args:
        presets: a dict from row name (`"teacher"`, `"student"`, ...) to a classifier preset
            directory; the first row is the speed reference.
        data: a `TaskData` or a dataset name.
        batch_size: examples per batch (also the latency batch).
        sequence_length: the packed length; `None` takes the task's.
        split: the split to score.
        dataset_options: extra `load_dataset` arguments when `data` is a name.
        latency_repeats: timed runs per model.

    Returns:
        `(rows, table)`: `evaluation.compare_models`' rows and their Markdown table.

    Example:
    ```python
    rows, table = evaluate_presets({"teacher": "runs/teacher/preset",
                                    "student": "runs/task/preset"}, "sst2")
    print(table)
    ```
    """
    data = _task_data(data, dataset_options)
    first = next(iter(presets.values()))
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(first)
    dataset = data_lib.make_dataset(
        data[split], tokenizer, batch_size,
        sequence_length=sequence_length or data.task.sequence_length,
    )
    models = {name: _load_classifier(preset) for name, preset in presets.items()}
    for name, model in models.items():
        data_lib.check_same_vocabulary(tokenizer, model.backbone, names=("first model", name))
        data_lib.check_model_matches_task(model, data.task)
    rows = evaluation.compare_models(models, dataset, data.task, presets, latency_repeats)
    return rows, evaluation.format_table(rows, data.task)


def run_recipe(config, verbose="auto"):
    """Runs every stage of a `RecipeConfig`, each in its own folder under `config.output_dir`.

    `teacher/` (fine-tuning), `general/` (only when the student is a shape and
    `general_epochs > 0`), `task/` (both phases) and `report.json` (teacher vs student). Rerun
    the same config after an interruption and finished stages are reused.

    Args:
        config: a `tinybert_keras.config.RecipeConfig`.
        verbose: the Keras progress-bar setting.

    Returns:
        A dict with each stage's summary and the comparison `rows` and `table`.

    Example:
    ```python
    from tinybert_keras.config import RecipeConfig
    result = run_recipe(RecipeConfig.from_file("recipe.yaml"))
    print(result["table"])
    ```
    """
    root = pathlib.Path(config.output_dir)
    data = _task_data(config.task, config.dataset_options)
    common = {"batch_size": config.batch_size, "seed": config.seed,
              "jit_compile": config.jit_compile, "verbose": verbose}
    teacher = finetune(
        config.teacher, data, root / "teacher", epochs=config.teacher_epochs,
        learning_rate=config.teacher_learning_rate, warmup_fraction=config.warmup_fraction,
        sequence_length=config.sequence_length, **common,
    )
    student = config.student
    general = None
    is_shape = isinstance(student, dict) or student in STUDENT_CONFIGS
    if is_shape and config.general_epochs > 0:
        general = general_distill(
            config.teacher, student, root / "general", corpus=config.general_corpus,
            epochs=config.general_epochs, max_steps=config.general_max_steps,
            learning_rate=config.general_learning_rate,
            sequence_length=config.general_sequence_length, layer_map=config.layer_map,
            formulation=config.formulation, embeddings_from_teacher=config.embeddings_from_teacher,
            **common,
        )
        student = general["preset"]
    options = {name: getattr(config, name) for name in TASK_DISTILL_FIELDS}
    if general is not None:
        # The general stage built the random student, so its embeddings came from the teacher.
        options["embeddings_from_teacher"] = False
    task = task_distill(teacher["preset"], student, data, root / "task", **options, **common)
    rows, table = evaluate_presets(
        {"teacher": teacher["preset"], "student": task["preset"]}, data,
        batch_size=config.batch_size, sequence_length=config.sequence_length,
    )
    report = {"teacher": teacher, "general": general, "task": task, "rows": rows, "table": table}
    root.mkdir(parents=True, exist_ok=True)
    (root / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report
