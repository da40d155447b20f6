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
import numpy as np

from tinybert_keras import data as data_lib
from tinybert_keras.recipe import evaluation


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
    it restores them and the batches already consumed are skipped, so the run continues on the
    same data order and ends where an uninterrupted run ends. Losses are appended to
    `history.csv`. One line first says what the progress bars count (`interval_plan`), and
    each interval's bar is headed "Interval i/N" (`IntervalProgress`).

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
    intervals = max(1, math.ceil(steps / steps_per_checkpoint))
    interval_steps = math.ceil(steps / intervals)
    done = _completed_intervals(backup_dir)
    if verbose:
        print(interval_plan(name, steps, intervals, interval_steps, done))
    dataset = dataset.repeat().skip(done * interval_steps)
    return model.fit(
        dataset,
        epochs=intervals,
        steps_per_epoch=interval_steps,
        callbacks=[
            *callbacks,
            ResumableBackup(str(backup_dir)),
            keras.callbacks.CSVLogger(str(output_dir / "history.csv"), append=True),
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
