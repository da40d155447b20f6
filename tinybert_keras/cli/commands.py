"""What each `tinybert-keras` subcommand does with its parsed flags.

Each command first builds its settings (the `--config` file or the defaults, then the flags,
all checked), and only then imports the recipe, so that a wrong setting is reported before
TensorFlow starts, and without what TensorFlow prints while it starts (unless `--verbose`).
"""

import dataclasses
import importlib
import json
import os
import pathlib
import re
import sys
import tempfile

from tinybert_keras.cli.flags import given
from tinybert_keras.cli.flags import merged
from tinybert_keras.config import AblationSettings
from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import DistillSettings
from tinybert_keras.config import ExportSettings
from tinybert_keras.config import FinetuneSettings
from tinybert_keras.config import GeneralSettings
from tinybert_keras.config import RecipeConfig


# TensorFlow's C++ libraries log while they load, before absl logging is initialised, whatever
# TF_CPP_MIN_LOG_LEVEL says, and once per extension module that links them (TF 2.21 has two:
# _pywrap_cpu_feature_guard and _pywrap_profiler_plugin), hence every message twice.
STARTUP_NOISE = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IWEF]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
    r"|To enable the following instructions: ")


def import_quietly(module, verbose=False):
    """Imports a module that starts TensorFlow, keeping TensorFlow's start-up messages off stderr.

    `TF_CPP_MIN_LOG_LEVEL=3` (unless already set) silences what TensorFlow's C++ code logs once
    it runs (CUDA probes, XLA notices). What its libraries log while they load ignores that
    variable, so during the import file descriptor 2 points at a temporary file; afterwards every
    captured line that is not such a message (a Python warning, a traceback) goes to stderr.

    Args:
        module: the module's name, e.g. `"tinybert_keras.recipe"`.
        verbose: import it plainly, every message shown.

    Returns:
        The module.

    Example:
    ```python
    recipe = import_quietly("tinybert_keras.recipe")
    ```
    """
    if verbose:
        return importlib.import_module(module)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr to keep clean
        return importlib.import_module(module)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            return importlib.import_module(module)
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode(errors="replace").splitlines(keepends=True)
            sys.stderr.write("".join(line for line in lines if not STARTUP_NOISE.match(line)))


@dataclasses.dataclass(frozen=True)
class Stage:
    """A stage subcommand: its settings section, inputs, folder and the recipe function it runs.

    Args:
        section: the `RecipeConfig` section of the stage's settings.
        settings: that section's `Settings` class.
        folder: the stage's sub-folder of the config's `output_dir`.
        models: the model arguments, each with what its help adds to the setting's declared
            help (for `finetuned_teacher`, not a setting, its whole help).
        data: whether the stage reads the task's data.
        function: the name of the `tinybert_keras.recipe` function.
        help: the one-line help.
        description: the command's description.

    Example:
    ```python
    STAGES["task-distill"].section  # 'distill'
    ```
    """

    section: str
    settings: type
    folder: str
    models: dict
    data: bool
    function: str
    help: str
    description: str


STAGES = {
    "finetune-teacher": Stage(
        "finetune", FinetuneSettings, "teacher",
        {"teacher": "Fine-tuned here on the task's labels."},
        True, "finetune", "Fine-tune a BERT teacher on a task.",
        "Fine-tune a keras-hub BERT on a task's labels; writes a TextClassifier preset to "
        "OUTPUT_DIR/preset.",
    ),
    "general-distill": Stage(
        "general", GeneralSettings, "general",
        {"teacher": "Pre-trained, not fine-tuned on a task.",
         "student": "A preset is continued from."},
        False, "general_distill", "General distillation on plain text.",
        "Distill a pre-trained teacher's embeddings, attention scores and hidden states into a "
        "student on a text corpus; writes a Backbone preset to OUTPUT_DIR/preset. Expensive at "
        "paper scale: released general TinyBERTs skip it.",
    ),
    "task-distill": Stage(
        "distill", DistillSettings, "task",
        {"finetuned_teacher": "The fine-tuned teacher's classifier preset (finetune-teacher's "
                              "OUTPUT_DIR/preset).",
         "student": "A general student (e.g. hf://huawei-noah/TinyBERT_General_4L_312D) is "
                    "continued from; a shape starts random."},
        True, "task_distill", "Task distillation: intermediate layers, then predictions.",
        "Check the fine-tuned teacher on dev, distill its intermediate layers (on augmented data "
        "if given), then its predictions with warm-up and decay, keeping the best dev "
        "checkpoint; writes a TextClassifier preset to OUTPUT_DIR/preset.",
    ),
}


def _base_config(args):
    """The `--config` file, or the defaults."""
    return RecipeConfig.from_file(args.config) if args.config else RecipeConfig()


def _config(args):
    """The `--config` file (or the defaults) with every flag laid over it.

    `--train` without `--task` leaves the config's dataset name behind: the files' task is then
    named by the train file's folder, not by the named config's dataset.
    """
    values = given(args, RecipeConfig, sections=True)
    if values.get("train") is not None and "task" not in values:
        values["task"] = None
    return merged(_base_config(args), values)


def _settings(args, cls, section):
    """A command's own settings: `cls`'s defaults with its `section.` flags laid over them."""
    return merged(cls(), given(args, cls, prefix=f"{section}."))


def _print_json(value):
    print(json.dumps(value, indent=2))


def stage_command(stage):
    """The function that runs one stage subcommand.

    Args:
        stage: a `Stage`.

    Returns:
        A function `args -> exit code`.

    Example:
    ```python
    run = stage_command(STAGES["task-distill"])
    ```
    """

    def run(args):
        config = _config(args)
        data = config.data_settings() if stage.data else None
        if data is not None:
            data.check_files()
        output_dir = args.stage_output_dir or str(pathlib.Path(config.output_dir) / stage.folder)
        recipe = import_quietly("tinybert_keras.recipe", args.verbose)
        models = [getattr(args, "finetuned_teacher", None) or config.teacher]
        if "student" in stage.models:
            models.append(config.student)
        if data is not None:
            models.append(data)
        function = getattr(recipe, stage.function)
        _print_json(function(*models, output_dir, getattr(config, stage.section),
                             config.training_settings()))
        return 0

    return run


def evaluate(args):
    """`tinybert-keras evaluate`: the comparison table of a teacher and its students; files of
    your own take what their settings leave unset from the teacher's saved task.

    Args:
        args: the flags: `--teacher`, each `--student`, the task's settings and `--json`.

    Returns:
        0, once the table is printed.

    Example:
    ```python
    evaluate(build_parser().parse_args(["evaluate", "--teacher", "runs/teacher/preset",
                                        "--student", "runs/task/preset", "--task", "sst2"]))  # 0
    ```
    """
    config = _config(args)
    recipe = import_quietly("tinybert_keras.recipe", args.verbose)
    presets = {"teacher": args.compared_teacher}
    for number, path in enumerate(args.students, 1):
        presets[f"student {number}" if len(args.students) > 1 else "student"] = path
    rows, table = recipe.evaluate_presets(
        presets, config.data_settings(), config.evaluation, batch_size=config.batch_size
    )
    print(table)
    if args.json_path:
        pathlib.Path(args.json_path).write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


def _run_recipe(config, verbose):
    config.data_settings().check_files()
    import_quietly("tinybert_keras.recipe", verbose).run_recipe(config)
    return 0


def run_config(args):
    """`tinybert-keras run`: every stage of a config.

    Args:
        args: `--config` and any setting of `RecipeConfig` as a flag.

    Returns:
        0 when every stage has finished.

    Example:
    ```python
    run_config(build_parser().parse_args(["run", "--config", "demo_quick"]))  # 0
    ```
    """
    return _run_recipe(_config(args), args.verbose)


def demo(args):
    """`tinybert-keras demo`: the named config `demo` (or `demo_quick`).

    Args:
        args: `--quick` and `--output-dir`.

    Returns:
        0 after the comparison table.

    Example:
    ```python
    demo(build_parser().parse_args(["demo", "--quick"]))  # 0
    ```
    """
    config = RecipeConfig.named("demo_quick" if args.quick else "demo")
    if args.demo_output_dir:
        config = config.replace(output_dir=args.demo_output_dir)
    return _run_recipe(config, args.verbose)


def ablate(args):
    """`tinybert-keras ablate`: an ablation study, then its report.

    Args:
        args: `--config` (the base `RecipeConfig`, else the defaults) and any setting of
            `AblationSettings` as a flag.

    Returns:
        0 once the report is written.

    Example:
    ```python
    ablate(build_parser().parse_args(["ablate", "--config", "ablation", "--variants", "full",
                                      "no_attn", "--seeds", "0", "1", "--tasks", "trec"]))  # 0
    ```
    """
    config = _base_config(args)
    settings = _settings(args, AblationSettings, "ablation")
    ablation = import_quietly("tinybert_keras.ablation", args.verbose)
    rows = ablation.run_ablation(config, settings)
    print("\n" + ablation.write_report(rows, settings.output_dir))
    return 0


def augment(args):
    """`tinybert-keras augment`: TinyBERT data augmentation of a training file.

    Args:
        args: the input and output file, and any setting of `AugmentFileSettings` as a flag.

    Returns:
        0 when the output file is complete.

    Example:
    ```python
    augment(build_parser().parse_args(["augment", "train.tsv", "more_aug.tsv",
                                       "--text-column", "sentence", "--label-column", "label",
                                       "--masked-lm", "none", "--num-augmentations", "2"]))  # 0
    ```
    """
    settings = _settings(args, AugmentFileSettings, "augment")
    settings.check_input()
    augmentation = import_quietly("tinybert_keras.augmentation", args.verbose)
    rows = augmentation.augment_file(args.input, args.output, settings)
    print(f"Wrote {rows} rows to {args.output}.")
    return 0


def export(args):
    """`tinybert-keras export`: a classifier preset as ONNX and LiteRT files.

    Args:
        args: the preset, the output folder and any setting of `ExportSettings` as a flag.

    Returns:
        0 once the files and the preprocessor are written.

    Example:
    ```python
    export(build_parser().parse_args(["export", "runs/task/preset", "runs/export",
                                      "--format", "onnx", "--precision", "float32"]))  # 0
    ```
    """
    settings = _settings(args, ExportSettings, "export")
    recipe = import_quietly("tinybert_keras.recipe", args.verbose)

    _print_json(recipe.export_classifier(args.preset, args.output_dir, settings))
    return 0


def prepare_corpus(args):
    """`tinybert-keras prepare-corpus`: a text corpus tokenized once into TFRecord parts.

    Args:
        args: the output folder and any setting of `CorpusSettings` as a flag.

    Returns:
        0 once the parts and their manifest are written.

    Example:
    ```python
    prepare_corpus(build_parser().parse_args(["prepare-corpus", "prepared", "--corpus", "wiki/",
                                              "--tokenizer", "bert_base_en_uncased"]))  # 0
    ```
    """
    settings = _settings(args, CorpusSettings, "corpus")
    recipe = import_quietly("tinybert_keras.recipe", args.verbose)

    _print_json(recipe.prepare_corpus(args.output, settings))
    return 0
