"""Run folders: one folder per stage, claimed with its settings, finished with a summary.

```
<output_dir>/
  run.json       the stage's settings; a rerun with other settings is refused
  backup/        the last interval's weights, optimizer and dropout states (while training)
  history.csv    one row of losses per checkpoint interval, appended across restarts
  preset/        the result, a keras-hub preset (loads without tinybert_keras)
  summary.json   written last: the stage is finished and a rerun returns it at once
```
"""

import json
import pathlib
import shutil

RUN_FILE = "run.json"
SUMMARY_FILE = "summary.json"
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


def finish_run(output_dir, summary):
    """Marks a stage finished: writes `summary.json` and removes the backup.

    Args:
        output_dir: the stage's folder.
        summary: a JSON-ready dict, returned by every later `open_run` with the same settings.

    Returns:
        `summary`.

    Example:
    ```python
    finish_run("runs/teacher", {"stage": "finetune", "preset": "runs/teacher/preset"})
    ```
    """
    output_dir = pathlib.Path(output_dir)
    (output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(output_dir / "backup", ignore_errors=True)
    return summary
