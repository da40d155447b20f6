"""Run folders: one folder per stage, claimed with its settings, locked while a run works in it,
finished with a summary that records what it wrote.

```
<output_dir>/
  run.json       the stage's settings; a rerun with other settings is refused
  run.lock       held by the process working in the folder (released by the OS when it dies)
  backup/        the last interval's weights, optimizer and dropout states (while training)
  history.csv    one row of losses per checkpoint interval, appended across restarts
  preset/        the result, a keras-hub preset (loads without tinybert_keras)
  summary.json   written last: the stage is finished and a rerun returns it at once, after
                 checking the size and sha256 of the files it lists
```

Every file here is written whole (`tinybert_keras.data.integrity`): a kill at any moment leaves
the folder as it was before the write or after it.
"""

import contextlib
import json
import pathlib
import shutil

from tinybert_keras.data import integrity

RUN_FILE = "run.json"
LOCK_FILE = "run.lock"
SUMMARY_FILE = "summary.json"
# The key of `summary.json` that holds the results' records (`finish_run`), apart from the
# summary's own keys.
RECORDS_KEY = "result_records"
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


def _normalize(settings):
    return json.loads(json.dumps(settings, default=str))


def _read_json(path, what_to_do):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise RecipeError(f"{path} cannot be read ({error}); {what_to_do}") from None


def _untouched(folder):
    """Whether a run folder holds no work: only its settings, its lock and untouched phases."""
    for path in folder.iterdir():
        if path.name in (RUN_FILE, LOCK_FILE):
            continue
        if path.is_dir() and (path / RUN_FILE).is_file() and _untouched(path):
            continue
        return False
    return True


def _locked(output_dir):
    return integrity.exclusive(output_dir / LOCK_FILE, lambda holder: RecipeError(
        f"{output_dir} is in use by another run ({holder}); two runs in one folder would "
        "overwrite each other's backups. Wait for that run to end (its lock goes when its "
        "process ends, even if killed), or choose another output directory."
    ))


def _finished(output_dir):
    summary_file = output_dir / SUMMARY_FILE
    if not summary_file.is_file():
        return None
    summary = _read_json(summary_file, f"delete {output_dir} and run the stage again.")
    files = summary.pop(RECORDS_KEY, {})
    problems = [problem for name, expected in files.items()
                for problem in integrity.differences(output_dir / name, expected)]
    if problems:
        raise RecipeError(
            f"{output_dir} holds a finished stage whose results changed after it finished: "
            f"{'; '.join(problems)}. Delete the folder {output_dir} and run the stage again "
            "(its result cannot be rebuilt without training)."
        )
    return summary


@contextlib.contextmanager
def open_run(output_dir, settings):
    """Claims `output_dir` for a stage while the `with` block runs, or finds the same stage there.

    The folder is locked for the block (`run.lock`, an OS lock that a killed process releases),
    so a second run into it is refused instead of mixing its backups with the first's.

    Args:
        output_dir: the stage's folder.
        settings: a JSON-ready dict of everything that determines the stage's result.

    Yields:
        The stage's summary dict if it already finished with these settings (its files checked
        against the sizes and sha256 recorded when it finished), else `None` (start, or resume
        from the folder's backup).

    Raises:
        RecipeError: if the folder holds another run, files this package did not write, a
            finished result that changed since, or is in use by another process.

    Example:
    ```python
    with open_run("runs/teacher", {"stage": "finetune", "epochs": 3}) as summary:
        if summary is None:
            ...  # train, then finish_run("runs/teacher", {...})
    ```
    """
    output_dir = pathlib.Path(output_dir)
    settings = _normalize(settings)
    run_file = output_dir / RUN_FILE
    ours = {RUN_FILE, LOCK_FILE}
    if output_dir.is_dir() and not run_file.is_file() and any(
        path.name not in ours for path in output_dir.iterdir()
    ):
        raise RecipeError(
            f"{output_dir} already holds files that are not a tinybert-keras run; choose a new "
            "or empty output directory so that nothing is overwritten."
        )
    output_dir.mkdir(parents=True, exist_ok=True)
    with _locked(output_dir):
        if run_file.is_file():
            saved = _read_json(run_file, f"delete {output_dir} and run the stage again.")
            # A run that stopped before training wrote anything (say, on a wrong teacher path)
            # holds no work to lose, so it may be started again with corrected settings.
            if saved != settings and not _untouched(output_dir):
                changed = sorted(key for key in set(saved) | set(settings)
                                 if saved.get(key) != settings.get(key))
                raise RecipeError(
                    f"{output_dir} holds a run with other settings (changed: {changed}). Rerun "
                    "with the same settings to resume or reuse it, or choose a new output "
                    "directory; nothing was overwritten."
                )
            if saved == settings:
                yield _finished(output_dir)
                return
        integrity.write_json(run_file, settings)
        yield None


def finish_run(output_dir, summary, results=()):
    """Marks a stage finished: writes `summary.json` and removes the backup.

    Args:
        output_dir: the stage's folder.
        summary: a JSON-ready dict, returned by every later `open_run` with the same settings.
        results: paths inside `output_dir` (files or folders, e.g. `"preset"`) whose size and
            sha256 are recorded, and checked before a later `open_run` returns the stage.

    Returns:
        `summary`.

    Example:
    ```python
    finish_run("runs/teacher", {"stage": "finetune", "preset": "runs/teacher/preset"},
               results=["preset"])
    ```
    """
    output_dir = pathlib.Path(output_dir)
    files = {name: integrity.record(output_dir / name) for name in results}
    integrity.write_json(output_dir / SUMMARY_FILE, {**summary, RECORDS_KEY: files})
    shutil.rmtree(output_dir / "backup", ignore_errors=True)
    return summary
