"""Resumable training: `model.fit` in checkpoint intervals that survives being killed.

Training runs in intervals of `steps_per_checkpoint` steps over a repeated dataset (Keras' epochs;
the progress bars say "Interval i/N"). After an interruption the same call restores the last
interval's weights, optimizer and dropout states, skips the batches already seen, and ends with
the weights an uninterrupted run ends with.
"""

import csv
import json
import math
import pathlib

import keras

from tinybert_keras import data as data_lib
from tinybert_keras.data import integrity
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe.backups import ResumableBackup
from tinybert_keras.recipe.backups import read_backup
from tinybert_keras.recipe.runs import RecipeError

BEST_WEIGHTS = "best.weights.h5"
BEST_RECORD = "best.json"


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stops training at the first step whose loss is not finite, naming the loss term.

    Keras' `TerminateOnNaN` stops quietly with a normal return; this raises, so that the stage
    saves nothing from the diverged interval: its backup stays at the last good interval and no
    preset is written.

    Args:
        output_dir: the stage folder, for the message.
        total_steps: the stage's number of steps, for the message.

    Raises:
        RecipeError: at the first non-finite loss, naming the term (`attention_loss`, ...; the
            total `loss` only when no term is named) and the step.

    Example:
    ```python
    model.fit(dataset, epochs=3, callbacks=[StopOnNonFiniteLoss("runs/teacher", 300)])
    ```
    """

    def __init__(self, output_dir, total_steps):
        super().__init__()
        self.output_dir = output_dir
        self.total_steps = total_steps
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        terms = [(name, value) for name, value in (logs or {}).items()
                 if name.endswith("loss") and not math.isfinite(float(value))]
        if not terms:
            return
        name, value = min(terms, key=lambda term: term[0] == "loss")
        step = self.epoch * self.params["steps"] + batch + 1
        kept = (f"the backup of the last good interval ({self.epoch}) is kept" if self.epoch
                else "no interval had finished, so there is no backup")
        raise RecipeError(
            f"Training in {self.output_dir} stopped: {name} is {float(value)} at step {step} of "
            f"{self.total_steps}, the first step with a non-finite loss. Nothing of this interval "
            f"was saved: {kept}, and no preset was written. Lower the learning rate (or check the "
            "data for broken examples) and run the stage in a new output directory."
        )


class IntervalProgress(keras.callbacks.Callback):
    """Keras' progress bar, with its epochs called what they are here: checkpoint intervals.

    `fit_resumable` passes `verbose=0` to `fit` and this callback instead, so that each interval
    starts with "Interval i/N" where Keras would print "Epoch i/N" (and a fractional number of
    epochs would show as odd-length "epochs").

    Args:
        verbose: the Keras progress-bar setting: `"auto"` or 1 (a bar per interval), 2 (one
            line per interval) or 0 (silent).

    Example:
    ```python
    model.fit(dataset, epochs=4, steps_per_epoch=96, verbose=0,
              callbacks=[IntervalProgress("auto")])
    ```
    """

    def __init__(self, verbose="auto"):
        super().__init__()
        self.verbose = 1 if verbose == "auto" else verbose
        self.progbar = None

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose:
            print(f"Interval {epoch + 1}/{self.params['epochs']}")
        self.progbar = keras.utils.Progbar(
            self.params["steps"], verbose=self.verbose, stateless_metrics=(), unit_name="step"
        )

    def on_train_batch_end(self, batch, logs=None):
        if self.verbose == 1:
            self.progbar.update(batch + 1, list((logs or {}).items()))

    def on_epoch_end(self, epoch, logs=None):
        if self.verbose:
            self.progbar.update(self.params["steps"], list((logs or {}).items()), finalize=True)


def fit_resumable(model, dataset, steps, output_dir, steps_per_checkpoint, callbacks=(),
                  verbose="auto", name="training"):
    """`model.fit` for `steps` steps that survives being killed and rerun.

    The dataset repeats; training runs in `ceil(steps / steps_per_checkpoint)` equal intervals
    (each at most `steps_per_checkpoint` steps, so a few steps may be added to make them equal).
    `ResumableBackup` saves weights, optimizer and dropout states after each interval; on a rerun
    it restores them, `history.csv` is cut back to the rows of the restored intervals, and the
    batches already consumed are skipped, so the run continues on the same data order and ends
    where an uninterrupted run ends. Losses are appended to `history.csv`. Training stops with
    a `RecipeError` at the first non-finite loss (`StopOnNonFiniteLoss`). One line first says
    what the progress bars count (`interval_plan`), and each interval's bar is headed
    "Interval i/N" (`IntervalProgress`).

    Args:
        model: a compiled, built Keras model.
        dataset: a finite `tf.data.Dataset` in a fixed order per epoch (seeded shuffling is).
        steps: the total number of training steps.
        output_dir: the stage folder (holds `backup/` and `history.csv`).
        steps_per_checkpoint: steps between backups.
        callbacks: more Keras callbacks; they run before the backup at each interval's end.
        verbose: the Keras progress-bar setting; 0 also leaves out the plan line.
        name: what is trained, to begin the plan line (`"phase 1 (intermediate layers)"`).

    Returns:
        The Keras `History` of this call.

    Example:
    ```python
    fit_resumable(model, train_dataset, steps=1000, output_dir="runs/teacher",
                  steps_per_checkpoint=250)
    ```
    """
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    backup_dir = output_dir / "backup"
    history = output_dir / "history.csv"
    intervals = max(1, math.ceil(steps / steps_per_checkpoint))
    interval_steps = math.ceil(steps / intervals)
    output_dir.mkdir(parents=True, exist_ok=True)
    state = read_backup(backup_dir)
    done = 0 if state is None else state["epoch"]
    # Rows written after the restored interval (a kill between a row and its backup) go: the
    # intervals they belong to are trained again and write them again.
    if history.is_file() and (state is None or state["history_bytes"] is not None):
        with open(history, "r+b") as file:
            file.truncate(0 if state is None else state["history_bytes"])
    if verbose:
        print(interval_plan(name, steps, intervals, interval_steps, done))
    dataset = dataset.repeat().skip(done * interval_steps)
    return model.fit(
        dataset,
        epochs=intervals,
        initial_epoch=done,
        steps_per_epoch=interval_steps,
        callbacks=[
            StopOnNonFiniteLoss(output_dir, intervals * interval_steps),
            *callbacks,
            keras.callbacks.CSVLogger(str(history), append=True),
            ResumableBackup(backup_dir, history),
            IntervalProgress(verbose),
        ],
        verbose=0,
        shuffle=False,
    )


def interval_plan(name, steps, intervals, interval_steps, done=0):
    """The line that names the unit of a stage's progress bars, printed before it trains.

    Args:
        name: what is trained.
        steps: the steps asked for.
        intervals: the number of checkpoint intervals.
        interval_steps: the steps of each.
        done: the intervals a previous run finished.

    Returns:
        A string.

    Example:
    ```python
    line = interval_plan("phase 1", 383, 4, 96)
    line.startswith("phase 1: 384 steps in 4 intervals of 96 steps (checkpoint after each")  # True
    ```
    """
    total = intervals * interval_steps
    notes = ["checkpoint after each"]
    if total != steps:
        notes.append(f"{steps} rounded up to equal intervals")
    if done:
        notes.append(f"resuming after interval {done}")
    return (f"{name}: {total} steps in {intervals} interval{'s' * (intervals > 1)} of "
            f"{interval_steps} steps ({'; '.join(notes)})")


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


def adamw(learning_rate):
    """The official code's optimizer: AdamW, decay 0.01 except on biases and LayerNorm, eps 1e-6.

    Args:
        learning_rate: a float or a `keras.optimizers.schedules.LearningRateSchedule`.

    Returns:
        A `keras.optimizers.AdamW`.

    Example:
    ```python
    optimizer = adamw(5e-5)
    ```
    """
    optimizer = keras.optimizers.AdamW(learning_rate, weight_decay=0.01, epsilon=1e-6)
    optimizer.exclude_from_weight_decay(var_names=["bias", "gamma", "beta"])
    return optimizer


def steps_for(epochs, batches_per_epoch):
    """The number of steps of `epochs` passes (fractions allowed), at least one.

    Args:
        epochs: passes over the data.
        batches_per_epoch: batches in one pass.

    Returns:
        `ceil(epochs * batches_per_epoch)`, at least 1.

    Example:
    ```python
    steps_for(0.4, 319)  # 128
    ```
    """
    return max(1, math.ceil(epochs * batches_per_epoch))


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
        record = self.directory / BEST_RECORD
        return json.loads(record.read_text(encoding="utf-8")) if record.is_file() else None

    def on_epoch_end(self, epoch, logs=None):
        scores = data_lib.evaluate(self.forward, self.dataset, self.task)
        main = self.task.metrics[0]
        if logs is not None:
            logs[f"val_{main}"] = scores[main]
        best = self.best
        if best is None or scores[main] > best["metrics"][main]:
            # Weights first, then the record: after a kill between the two, the rerun of this
            # interval scores the same and writes both again.
            with integrity.replacing(self.directory / BEST_WEIGHTS) as partial:
                self.student.save_weights(str(partial))
            record = {"interval": epoch + 1, "metrics": scores}
            integrity.write_text(self.directory / BEST_RECORD, json.dumps(record) + "\n")

    def restore_best(self):
        """Loads the best weights into the student and returns the best record."""
        self.student.load_weights(str(self.directory / BEST_WEIGHTS))
        return self.best
