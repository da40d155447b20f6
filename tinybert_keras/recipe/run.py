"""The whole recipe from one `RecipeConfig`: every stage in its folder, then one table."""

import pathlib
import time

import keras_hub

from tinybert_keras.data import integrity
from tinybert_keras.data import registry
from tinybert_keras.recipe import checks
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets
from tinybert_keras.recipe.augment import augment_task
from tinybert_keras.recipe.finetune import finetune
from tinybert_keras.recipe.finetune import run_settings
from tinybert_keras.recipe.general import general_distill
from tinybert_keras.recipe.task import task_distill


def teacher_folder(config, data):
    """Where `run_recipe` fine-tunes the teacher: `<output_dir>/teacher`, or with
    `share_teacher` a cache folder named by the fine-tuning's settings.

    Args:
        config: the `RecipeConfig`.
        data: the task's `TaskData`.

    Returns:
        A `pathlib.Path`.

    Example:
    ```python
    folder = teacher_folder(RecipeConfig.named("demo"), data)
    folder.parent == registry.cache_dir() / "teachers"  # True
    ```
    """
    if not config.share_teacher:
        return pathlib.Path(config.output_dir) / "teacher"
    settings = run_settings(config.teacher, data, config.finetune, config.training_settings())
    return registry.cache_dir() / "teachers" / integrity.settings_key(settings)[:16]


def baseline_epochs(config, data):
    """The labels-only student's epochs: `config.baseline.epochs`, or as many training steps as
    both task-distillation phases together (a phase counted in steps when `intermediate_steps`
    or `prediction_steps` sets it, since an augmented set is larger than the training split).

    Args:
        config: the `RecipeConfig`.
        data: the task's `TaskData`.

    Returns:
        A float number of epochs of the training split.

    Example:
    ```python
    baseline_epochs(RecipeConfig.named("demo"), data)  # 1.6
    ```
    """
    distill = config.distill
    if config.baseline.epochs is not None:
        return config.baseline.epochs

    def epochs(phase_epochs, phase_steps):
        if phase_steps is None:
            return phase_epochs
        return phase_steps * config.batch_size / len(data["train"])

    return (epochs(distill.intermediate_epochs, distill.intermediate_steps)
            + epochs(distill.prediction_epochs, distill.prediction_steps))


def labels_only_student(config, data, output_dir, student=None, verbose="auto"):
    """The no-distillation baseline: the student's shape (or preset) fine-tuned on the labels.

    It starts as the distilled student would before any distillation (random for a shape) and
    trains with `config.baseline`, by default for as many steps as both task phases together
    (`baseline_epochs`).

    Args:
        config: the `RecipeConfig`.
        data: the task's `TaskData`.
        output_dir: the stage folder.
        student: a student to start from instead of `config.student` (for example a general-
            distilled preset: the paper's "w/o TD").
        verbose: the Keras progress-bar setting.

    Returns:
        `finetune`'s summary.

    Example:
    ```python
    summary = labels_only_student(config, data, "runs/labels_only")
    ```
    """
    training = config.training_settings()
    student = config.student if student is None else student
    if inputs.student_kind(student) == "shape":
        # A random student takes only the teacher's vocabulary and lengths: no weights needed.
        teacher = presets.load(keras_hub.models.Backbone, config.teacher, load_weights=False)
        student = inputs.build_student(student, teacher, training.seed)
    settings = config.baseline.replace(epochs=baseline_epochs(config, data))
    return finetune(student, data, output_dir, settings, training, verbose=verbose,
                    tokenizer=presets.load(keras_hub.tokenizers.Tokenizer, config.teacher))


def comparison_notes(rows, task, labels):
    """The lines under the table: each student's share of the teacher, and the floor.

    Args:
        rows: `evaluation.compare_models` rows, the teacher first.
        task: the `Task`.
        labels: the scored split's labels.

    Returns:
        A string.

    Example:
    ```python
    print(comparison_notes(rows, data.task, data["dev"].labels))
    ```
    """
    metric = task.metrics[0]
    scores = {name: row["metrics"][metric] for name, row in rows.items()}
    teacher = next(iter(scores.values()))
    lines = [
        f"{name}: {100 * score / teacher:.1f}% of the teacher's dev {metric}" if teacher > 0
        else f"{name}: dev {metric} {score:.4f}; no share, the teacher scores {teacher:.4f}"
        for name, score in list(scores.items())[1:]
    ]
    floor = evaluation.chance_score(task, labels)
    lines.append(f"best constant prediction's dev {metric} (the floor every model must beat): "
                 f"{floor:.4f}")
    return "\n".join(lines)


def run_recipe(config, verbose="auto"):
    """Runs every stage of a `RecipeConfig`, each in its own folder under `config.output_dir`.

    `teacher/` (fine-tuning; in the cache with `share_teacher`), `general/` (only when the
    student is a shape and `general.epochs > 0`), `augmented/` (with `data_augmentation`),
    `task/` (both phases), `labels_only/` (with `labels_only`), then `report.json` with the
    comparison table. Rerun the same config after an
    interruption and finished stages are reused, an interrupted one resumed.

    Args:
        config: a `tinybert_keras.config.RecipeConfig`.
        verbose: the Keras progress-bar setting.

    Returns:
        The report: each stage's summary, the comparison `rows` and `table`, the `seconds` each
        stage took in this call, and the `config`.

    Example:
    ```python
    from tinybert_keras.config import RecipeConfig
    report = run_recipe(RecipeConfig.named("demo_quick"))
    print(report["table"])
    ```
    """
    root = pathlib.Path(config.output_dir)
    data = inputs.load_task(config.data_settings())
    training = config.training_settings()
    # Every stage's checks first, so that a wrong setting of a late stage stops the run before
    # the early stages spend their time.
    checks.check_model_length(config.teacher, data.task.sequence_length)
    if inputs.student_kind(config.student) == "shape" and config.general.epochs > 0:
        checks.check_models(config.teacher, config.student, config.general,
                            config.general.sequence_length)
    checks.check_models(config.teacher, config.student, config.distill, data.task.sequence_length)
    seconds = {}

    def timed(name, function, *args, **kwargs):
        print(f"\n=== {name} ===")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds[name] = round(time.perf_counter() - start, 1)
        return result

    report = {"config": config.to_dict()}
    report["teacher"] = timed(
        "teacher fine-tuning", finetune, config.teacher, data, teacher_folder(config, data),
        config.finetune, training, verbose=verbose,
    )
    student = config.student
    report["general"] = None
    if inputs.student_kind(student) == "shape" and config.general.epochs > 0:
        report["general"] = timed(
            "general distillation", general_distill, config.teacher, student, root / "general",
            config.general, training, verbose=verbose,
        )
        student = report["general"]["preset"]
    distill = config.distill
    if config.data_augmentation:
        report["augmentation"] = timed(
            "data augmentation", augment_task, data, root / "augmented", config.augmentation,
            verbose=verbose != 0,
        )
        distill = distill.replace(augmented_train=report["augmentation"]["path"])
    report["task"] = timed(
        "task distillation", task_distill, report["teacher"]["preset"], student, data,
        root / "task", distill, training, verbose=verbose,
    )
    compared = {"teacher": report["teacher"]["preset"],
                "TinyBERT student": report["task"]["preset"]}
    if config.labels_only:
        report["labels_only"] = timed(
            "labels-only student", labels_only_student, config, data, root / "labels_only",
            verbose=verbose,
        )
        compared["labels-only student"] = report["labels_only"]["preset"]
    rows, table = timed(
        "evaluation", evaluation.evaluate_presets, compared, data, config.evaluation,
        batch_size=training.batch_size,
    )
    labels = data[config.evaluation.split].labels
    report.update(rows=rows, seconds=seconds,
                  table=f"{table}\n\n{comparison_notes(rows, data.task, labels)}")
    root.mkdir(parents=True, exist_ok=True)
    integrity.write_json(root / "report.json", report)
    print("\n" + report["table"])
    print(f"\nSeconds per stage: {seconds}")
    return report
