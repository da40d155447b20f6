"""The teacher's logits, computed once per training example and kept in a phase's folder.

The prediction phase's teacher is frozen and runs without dropout, so its logits for an example
never change: one inference pass replaces a teacher pass in every training step of every epoch.

```
<phase_dir>/
  teacher_logits.npy    float32 [examples, classes], in the examples' order
  teacher_logits.json   the examples' fingerprint, the shape and the file's sha256
  teacher_logits/       parts of an unfinished pass (removed when it is complete)
```

Runs that share a teacher and data (an ablation grid) keep the same files once, in a folder of
a shared root named by what decides them (`shared_teacher_logits`).
"""

import hashlib
import json
import pathlib
import shutil

import numpy as np

from tinybert_keras.data import integrity
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe.runs import RecipeError

LOGITS_FILE = "teacher_logits.npy"
RECORD_FILE = "teacher_logits.json"
PARTS_DIR = "teacher_logits"
# Batches per part of an unfinished pass: what a kill may cost to recompute.
PART_BATCHES = 50


def examples_fingerprint(examples):
    """A sha256 of the texts and labels of some `Examples`, in their order.

    Args:
        examples: an `Examples`.

    Returns:
        A hex string.

    Example:
    ```python
    examples_fingerprint(data["train"])
    ```
    """
    digest = hashlib.sha256()
    for text, label in zip(examples.texts, examples.labels):
        digest.update(json.dumps([text, np.asarray(label).tolist()]).encode("utf-8"))
    return digest.hexdigest()


def _save(array, path):
    with integrity.replacing(path) as partial, open(partial, "wb") as file:
        np.save(file, array)


def _load_verified(directory, fingerprint, count):
    record_path, logits_path = directory / RECORD_FILE, directory / LOGITS_FILE
    record = json.loads(record_path.read_text(encoding="utf-8"))
    problem = None
    if record["fingerprint"] != fingerprint or record["shape"][0] != count:
        problem = "were computed for other training examples"
    elif not logits_path.is_file() or integrity.sha256_of(logits_path) != record["sha256"]:
        problem = f"do not match the checksum in {RECORD_FILE} (changed or damaged)"
    if problem is not None:
        raise RecipeError(
            f"The cached teacher logits in {directory} {problem}. Delete {LOGITS_FILE} and "
            f"{RECORD_FILE} there to compute them again, or choose a new output directory."
        )
    return np.load(logits_path)


def cached_teacher_logits(teacher, examples, batches, directory):
    """The teacher's logits for every example, computed once and kept in `directory`.

    A finished pass is read back after its checksum and the examples' fingerprint are checked.
    An interrupted one resumes from its last part of `PART_BATCHES` batches.

    Args:
        teacher: the teacher classifier, as the phase runs it (e.g. its bfloat16 copy).
        examples: the training `Examples`.
        batches: the examples as an unshuffled `tf.data.Dataset` of `(x, y)`, in their order.
        directory: the phase's folder.

    Returns:
        A float32 array `[len(examples), num_classes]`, row `i` for example `i`.

    Raises:
        RecipeError: if the stored logits belong to other examples or fail their checksum.

    Example:
    ```python
    logits = cached_teacher_logits(inputs.teacher, data["train"], inputs.batches(data["train"]),
                                   "runs/task/prediction")
    ```
    """
    fingerprint = examples_fingerprint(examples)
    directory = pathlib.Path(directory)
    if (directory / RECORD_FILE).is_file():
        return _load_verified(directory, fingerprint, len(examples))
    parts_dir = directory / PARTS_DIR
    parts_dir.mkdir(parents=True, exist_ok=True)
    parts = sorted(parts_dir.glob("part_*.npy"))
    forward = evaluation.compiled_forward(teacher)
    rows, part = [], len(parts)
    for x, _ in batches.skip(len(parts) * PART_BATCHES):
        rows.append(np.asarray(forward(x)).astype("float32"))
        if len(rows) == PART_BATCHES:
            _save(np.concatenate(rows), parts_dir / f"part_{part:06d}.npy")
            rows, part = [], part + 1
    logits = np.concatenate([np.load(path) for path in sorted(parts_dir.glob("part_*.npy"))] + rows)
    if logits.shape[0] != len(examples) or not np.all(np.isfinite(logits)):
        raise RecipeError(
            f"The teacher's logits in {parts_dir} cover {logits.shape[0]} of {len(examples)} "
            "examples or are not finite; delete that folder to compute them again."
        )
    _save(logits, directory / LOGITS_FILE)
    record = {"fingerprint": fingerprint, "shape": list(logits.shape),
              "sha256": integrity.sha256_of(directory / LOGITS_FILE)}
    integrity.write_json(directory / RECORD_FILE, record)
    shutil.rmtree(parts_dir)
    return logits


def shared_teacher_logits(teacher, examples, batches, root, identity):
    """`cached_teacher_logits` kept once for every run of one teacher on one dataset.

    The logits live in `<root>/<key>/`, the key a hash of `identity` and of the examples (an
    augmented set and the original split differ); a lock refuses a second process while the
    first computes them.

    Args:
        teacher: the teacher classifier, as the phase runs it.
        examples: the training `Examples`.
        batches: the examples as an unshuffled `tf.data.Dataset` of `(x, y)`, in their order.
        root: the shared folder.
        identity: a JSON-ready dict of all that decides the logits besides the examples (the
            teacher's identity, the data's description, its precision, the batch size).

    Returns:
        A float32 array `[len(examples), num_classes]`, row `i` for example `i`.

    Raises:
        RecipeError: if another process is computing them, or as `cached_teacher_logits`.

    Example:
    ```python
    logits = shared_teacher_logits(teacher, data["train"], inputs.batches(data["train"]),
                                   "study/shared/logits", {"teacher": "runs/teacher/preset"})
    ```
    """
    key = integrity.settings_key({**identity, "examples": examples_fingerprint(examples)})
    directory = pathlib.Path(root) / key[:16]
    directory.mkdir(parents=True, exist_ok=True)

    def busy(holder):
        return RecipeError(
            f"The teacher logits in {directory} are being computed by {holder}; wait for it, "
            "or give this run its own shared folder."
        )

    with integrity.exclusive(directory / "teacher_logits.lock", busy):
        return cached_teacher_logits(teacher, examples, batches, directory)
