"""The backup of a training stage: what a killed run resumes from.

```
<output_dir>/backup/
  interval_<k>.weights.h5        weights and optimizer state after interval k
  interval_<k>.seed_states.npy   the dropout layers' random-number states
  training_metadata.json         written last: k, those two files, the length of history.csv
```

A kill at any moment leaves the metadata naming a complete interval: the files of interval k are
written whole before the metadata that names them replaces the old one, and the files of
interval k - 1 are removed only after that.
"""

import json
import pathlib

import keras
import numpy as np

from tinybert_keras.data import integrity
from tinybert_keras.recipe.runs import RecipeError

METADATA = "training_metadata.json"


class ResumableBackup(keras.callbacks.Callback):
    """Saves the training state after each interval, so that a killed run resumes exactly.

    Like Keras' `BackupAndRestore`, plus what an exact resume also needs: the layers'
    `SeedGenerator` states (which `save_weights` leaves out, so a restored run would draw other
    dropout masks) and the length of `history.csv` at that interval. A kill at any moment leaves
    the last complete state readable: each interval's weights and seed states go to files of
    their own (written whole, see `tinybert_keras.data.integrity`), then `training_metadata.json`
    (replaced in one step, last) names them, and only then are the older interval's files removed.

    Args:
        backup_dir: the backup folder.
        history: the `history.csv` whose length is recorded with each interval (its rows are
            written before the backup, by a `CSVLogger` placed earlier in the callbacks).

    Example:
    ```python
    model.fit(dataset, epochs=3, callbacks=[ResumableBackup("runs/teacher/backup")])
    ```
    """

    def __init__(self, backup_dir, history=None):
        super().__init__()
        self.backup_dir = pathlib.Path(backup_dir)
        self.history = None if history is None else pathlib.Path(history)

    def on_train_begin(self, logs=None):
        state = read_backup(self.backup_dir)
        if state is None:
            return
        optimizer = self.model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(self.model.trainable_variables)
        try:
            load_state(self.model, self.backup_dir / state["weights"],
                       self.backup_dir / state["seed_states"])
        except (OSError, ValueError) as error:
            raise RecipeError(
                f"The backup in {self.backup_dir} cannot be restored ({error}). Delete "
                f"{self.backup_dir} to train the stage again from its start."
            ) from None

    def on_epoch_end(self, epoch, logs=None):
        interval = epoch + 1
        self.backup_dir.mkdir(parents=True, exist_ok=True)
        names = {"weights": f"interval_{interval}.weights.h5",
                 "seed_states": f"interval_{interval}.seed_states.npy"}
        save_state(self.model, self.backup_dir / names["weights"],
                   self.backup_dir / names["seed_states"])
        history_bytes = 0
        if self.history is not None and self.history.is_file():
            integrity.sync(self.history)
            history_bytes = self.history.stat().st_size
        metadata = {"epoch": interval, **names, "history_bytes": history_bytes}
        integrity.write_text(self.backup_dir / METADATA, json.dumps(metadata) + "\n")
        for path in self.backup_dir.iterdir():
            if path.name not in (METADATA, *names.values()):
                path.unlink()


def _seed_states(model):
    return [v for v in model.variables if v.name == "seed_generator_state"]


def save_state(model, weights, seed_states):
    """Writes a model's weights and its layers' `SeedGenerator` states, each file whole.

    `save_weights` leaves the dropout layers' random-number states out; a model restored from
    its weights alone would draw other dropout masks than the model that went on training.

    Args:
        model: a built Keras model.
        weights: the `.weights.h5` file to write.
        seed_states: the `.npy` file of the seed states.

    Example:
    ```python
    save_state(student, "runs/task/intermediate/student.weights.h5",
               "runs/task/intermediate/student.seed_states.npy")
    ```
    """
    with integrity.replacing(weights) as partial:
        model.save_weights(str(partial))
    states = [np.asarray(v).reshape(-1) for v in _seed_states(model)]
    with integrity.replacing(seed_states) as partial:
        with open(partial, "wb") as file:
            np.save(file, np.array(states, dtype="int64"))


def load_state(model, weights, seed_states):
    """Loads what `save_state` wrote: the weights, then the seed states if their file exists.

    Args:
        model: the same Keras model, built.
        weights: the `.weights.h5` file.
        seed_states: the `.npy` file (skipped when missing: results of older versions).

    Example:
    ```python
    load_state(student, "runs/task/intermediate/student.weights.h5",
               "runs/task/intermediate/student.seed_states.npy")
    ```
    """
    model.load_weights(str(weights))
    if pathlib.Path(seed_states).is_file():
        for variable, value in zip(_seed_states(model), np.load(seed_states)):
            variable.assign(value.reshape(variable.shape))


def read_backup(backup_dir):
    """The state `ResumableBackup` saved last in a folder, or `None` if it saved none.

    Args:
        backup_dir: the backup folder.

    Returns:
        `{"epoch": completed intervals, "weights": file, "seed_states": file,
        "history_bytes": length of history.csv (`None` for a backup of an older version)}`, or
        `None` when the folder holds no backup.

    Raises:
        RecipeError: if the folder holds weights but no readable metadata naming them (a backup
            this version did not write, or one damaged by hand): restarting at interval 0 on
            those weights would silently train on the wrong data.

    Example:
    ```python
    state = read_backup("runs/teacher/backup")
    ```
    """
    backup_dir = pathlib.Path(backup_dir)
    metadata = backup_dir / METADATA
    saved = [path.name for path in backup_dir.glob("*.h5")] if backup_dir.is_dir() else []
    if not metadata.is_file() and not saved:
        return None
    try:
        state = json.loads(metadata.read_text(encoding="utf-8"))
        if "weights" not in state:
            # Written by tinybert-keras before its backups were atomic (Keras' own layout).
            state.update(weights="latest.weights.h5", history_bytes=None,
                         seed_states=f"seed_states_{state['epoch']}.npy")
        names = [state["weights"], state["seed_states"]]
        int(state["epoch"])
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise RecipeError(
            f"The backup in {backup_dir} has no readable {METADATA} ({error}) next to "
            f"{saved or 'its files'}, so the interval it reached is unknown. Delete {backup_dir} "
            "to train the stage again from its start."
        ) from None
    missing = [name for name in names if not (backup_dir / name).is_file()]
    if missing:
        raise RecipeError(
            f"The backup in {backup_dir} lacks {missing}, named by its {METADATA}. Delete "
            f"{backup_dir} to train the stage again from its start."
        )
    return state
