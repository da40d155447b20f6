"""Running an ablation grid: every variant, task and seed through the ordinary recipe stages.

```
<output_dir>/
  shared/<task>/teacher/      the fine-tuned teacher of a task (or the shared-teacher cache)
  shared/<task>/augmented/    its augmented training set
  shared/general/<layer map>/ the general students (task-independent)
  runs/<task>/<variant>/seed<k>/   one run: its stage folder(s) and result.json
  results.csv                 one row per run and metric, rebuilt after every run
```
Every folder is a resumable run folder: a killed grid, run again, reuses what finished and
resumes what did not.
"""

import dataclasses
import functools
import json
import pathlib
import time

from tinybert_keras.ablation import results as results_lib
from tinybert_keras.config import AblationSettings
from tinybert_keras.config import ConfigError
from tinybert_keras.config.ablation import VARIANTS
from tinybert_keras.data import integrity
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe.augment import augment_task
from tinybert_keras.recipe.finetune import finetune
from tinybert_keras.recipe.general import general_distill
from tinybert_keras.recipe.run import labels_only_student
from tinybert_keras.recipe.run import teacher_folder
from tinybert_keras.recipe.runs import RecipeError
from tinybert_keras.recipe.task import task_distill

RESULT_FILE = "result.json"
# Fine-tuning on labels collapses to the majority class at a poor learning rate: each variant
# trained that way gets the sweep, so that no row is a floor that learned nothing.
SWEPT_PROCEDURES = ("labels_only", "finetune_general")


def planned_runs(settings):
    """The runs of a study, in the order they are made: seed by seed, so that a stopped study
    already holds whole seeds.

    Args:
        settings: an `AblationSettings`.

    Returns:
        A list of `(task, variant name, seed, learning rate or None)`, the task `None` when the
        settings name none (the base config's task); the variants trained on labels alone
        (labels-only, w/o TD) have one run per learning rate of the sweep.

    Example:
    ```python
    planned_runs(AblationSettings(tasks=["trec"], variants=["full"], seeds=[0, 1]))
    # [('trec', 'full', 0, None), ('trec', 'full', 1, None)]
    ```
    """
    runs = []
    for seed in settings.seeds:
        for task in settings.tasks or [None]:
            for name in settings.variants:
                swept = VARIANTS[name].procedure in SWEPT_PROCEDURES
                rates = settings.baseline_learning_rates if swept else [None]
                runs.extend((task, name, seed, rate) for rate in rates)
    return runs


class _Shared:
    """The work every variant of a study reuses, made once on first need."""

    def __init__(self, config, root, verbose):
        self.config, self.root, self.verbose = config, root, verbose

    def config_for(self, task):
        """The base config, on `task` when one is named."""
        return self.config if task is None else self.config.replace(task=task)

    @functools.cache
    def data(self, task):
        return inputs.load_task(self.config_for(task).data_settings())

    def name(self, task):
        """The task's name, for folders and results."""
        return self.data(task).task.name

    @functools.cache
    def teacher(self, task):
        config = self.config_for(task)
        folder = (teacher_folder(config, self.data(task)) if config.share_teacher
                  else self.root / "shared" / self.name(task) / "teacher")
        return finetune(config.teacher, self.data(task), folder, config.finetune,
                        config.training_settings(), verbose=self.verbose)["preset"]

    @functools.cache
    def augmented(self, task):
        return augment_task(self.data(task), self.root / "shared" / self.name(task) / "augmented",
                            self.config.augmentation, verbose=self.verbose != 0)["path"]

    @functools.cache
    def general(self, layer_map):
        config = self.config
        return general_distill(
            config.teacher, config.student, self.root / "shared" / "general" / layer_map,
            config.general.replace(layer_map=layer_map), config.training_settings(),
            verbose=self.verbose)["preset"]


def _run(shared, task, variant, seed, rate, run_dir):
    """One run of the grid; returns the student's dev metrics."""
    config = shared.config_for(task).replace(seed=seed)
    data, training = shared.data(task), config.training_settings()
    if rate is not None:
        config = config.replace(baseline=config.baseline.replace(learning_rate=rate))
    if variant.procedure == "labels_only":
        return labels_only_student(config, data, run_dir, verbose=shared.verbose)["dev"]
    if variant.procedure == "finetune_general":
        return labels_only_student(config, data, run_dir, student=shared.general(variant.layer_map),
                                   verbose=shared.verbose)["dev"]
    distill = config.distill.replace(
        layer_map=variant.layer_map,
        augmented_train=shared.augmented(task) if variant.augment else None,
        **variant.distill,
    )
    student = shared.general(variant.layer_map) if variant.general else config.student
    summary = task_distill(shared.teacher(task), student, data, run_dir, distill, training,
                           verbose=shared.verbose,
                           shared_logits_dir=shared.root / "shared" / "teacher_logits")
    return summary["student_dev"]


def run_ablation(config, settings=None, *, verbose=0, progress=print, **overrides):
    """Runs an ablation study: each variant, task and seed through the recipe's stages.

    The teacher of each task, its augmented training set, the general students (one per layer
    map) and, with `cache_teacher_logits`, phase 2's teacher logits (`<output_dir>/shared/
    teacher_logits`) are made once and shared by every run that uses them. Each run writes
    `result.json` (its dev metrics and seconds) in its own resumable folder, and
    `<output_dir>/results.csv` is rebuilt after every run: rerun the same call after an
    interruption and only the missing runs are made.

    Args:
        config: the base `RecipeConfig`: teacher, student shape, and every stage's settings.
            Its `student` must be a shape (the variants start from general, random or
            labels-only students of that shape).
        settings: an `AblationSettings` (variants, seeds, tasks, the learning-rate sweep of the
            students trained on labels, folder).
        verbose: the Keras progress-bar setting of each stage.
        progress: a function that receives one line per run.
        **overrides: any setting of `settings` by name.

    Returns:
        The rows of `results.csv` (see `tinybert_keras.ablation.results.COLUMNS`).

    Example:
    ```python
    rows = run_ablation(RecipeConfig.named("ablation"), variants=["full", "no_attn"],
                        seeds=[0, 1], tasks=["trec"])
    ```
    """
    settings = (settings or AblationSettings()).replace(**overrides)
    if inputs.student_kind(config.student) != "shape":
        raise ConfigError(
            f"An ablation study needs a student shape (tinybert_4, or a mapping of num_layers, "
            f"hidden_dim, intermediate_dim, num_heads); the config's student is "
            f"{config.student!r}."
        )
    root = pathlib.Path(settings.output_dir)
    shared = _Shared(config, root, verbose)
    runs = planned_runs(settings)
    for number, (task, name, seed, rate) in enumerate(runs, 1):
        variant = VARIANTS[name]
        label = name if rate is None else f"{name}@{rate:g}"
        task_name = shared.name(task)
        run_dir = root / "runs" / task_name / label / f"seed{seed}"
        key = integrity.settings_key(
            [shared.config_for(task).replace(seed=seed).to_dict(), dataclasses.asdict(variant),
             rate])
        record = {"task": task_name, "variant": label, "seed": seed,
                  "settings_hash": key[:12]}
        result_file = run_dir / RESULT_FILE
        reused = result_file.is_file()
        if reused:
            try:
                saved = json.loads(result_file.read_text(encoding="utf-8"))
            except ValueError as error:
                raise RecipeError(
                    f"{result_file} cannot be read ({error}). Delete it and rerun: the run's "
                    "finished stages are reused, so only its scores are computed again."
                ) from None
            if saved["settings_hash"] != record["settings_hash"]:
                raise RecipeError(
                    f"{run_dir} holds a run of other settings (settings hash "
                    f"{saved['settings_hash']}, now {record['settings_hash']}): the base config "
                    "changed. Choose another output_dir for the new study; nothing was "
                    "overwritten."
                )
            record = saved
        else:
            start = time.perf_counter()
            record["metrics"] = _run(shared, task, variant, seed, rate, run_dir)
            record["seconds"] = round(time.perf_counter() - start, 1)
            integrity.write_json(result_file, record)
        main = next(iter(record["metrics"]))
        progress(f"[{number}/{len(runs)}] {task_name} {label} seed {seed}: {main} "
                 f"{record['metrics'][main]:.4f} ({record['seconds']:.0f} s"
                 f"{', reused' if reused else ''})")
        rows = results_lib.collect(root / "runs")
        results_lib.write_csv(root / "results.csv", rows)
    return results_lib.collect(root / "runs")
