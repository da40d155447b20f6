"""The `tinybert-keras` command: one subcommand per stage of the recipe, plus `run`, `demo`,
`evaluate`, `augment`, `prepare-corpus` and `export`.

Every flag is generated from the settings declared in `tinybert_keras.config`, so the command
line, `RecipeConfig` files and the Python API take the same settings with the same checks. Help
and argument errors come at once: TensorFlow is imported only when a command runs.
"""

import argparse
import sys

from tinybert_keras.cli import commands
from tinybert_keras.cli.flags import add_setting
from tinybert_keras.cli.flags import add_settings
from tinybert_keras.config import AblationSettings
from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import DataSettings
from tinybert_keras.config import EvaluationSettings
from tinybert_keras.config import ExportSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config import TrainingSettings

DESCRIPTION = """TinyBERT knowledge distillation with Keras and keras-hub.

The recipe: finetune-teacher (teacher on the task) -> general-distill (student on plain text,
optional: released general TinyBERTs can be used instead) -> task-distill (intermediate layers,
then prediction layer) -> evaluate. `run` does all of it from one config, `demo` offline on a
CPU."""

AUGMENT_DESCRIPTION = """Write augmented copies of a training file (BERT MLM and word-vector
substitutions, the paper's Algorithm 1) for task-distill --augmented-train, in the task's text and
label columns with class names as labels. The input is a GLUE task's file (--task mrpc
glue_data/MRPC/train.tsv) or your own (--text-column, --label-column). With --shard I/N a machine
augments only its block of the examples; the outputs of N machines, concatenated in order, are
the file of one."""

CONFIG_HELP = ("A RecipeConfig .yaml/.json file, or a named config (paper, demo, demo_quick, "
               "ablation, cpu: the budget recommended for your own data on a CPU), whose "
               "settings are the defaults here; flags override them.")


def _command(subcommands, parent, name, run, help, description, config=True):
    parser = subcommands.add_parser(name, parents=[parent], help=help, description=description)
    if config:
        parser.add_argument("--config", help=CONFIG_HELP)
    parser.set_defaults(run=run)
    return parser


def _file_command(subcommands, parent, name, run, help, description, arguments, settings,
                  section):
    """A command on files and folders: `arguments` ({name: help}), then `settings`' flags."""
    parser = _command(subcommands, parent, name, run, help, description, config=False)
    for argument, argument_help in arguments.items():
        parser.add_argument(argument, help=argument_help)
    add_settings(parser, settings, prefix=f"{section}.", bare=True)


def _add_stage(subcommands, parent, name, stage):
    parser = _command(subcommands, parent, name, commands.stage_command(stage), stage.help,
                      stage.description)
    parser.add_argument("--output-dir", dest="stage_output_dir",
                        help=f"The stage folder (default: the config's output_dir/{stage.folder}).")
    for model, help_text in stage.models.items():
        if model == "finetuned_teacher":
            parser.add_argument("--teacher", dest=model, required=True, help=help_text)
        else:
            add_setting(parser, RecipeConfig.__dataclass_fields__[model], more_help=help_text)
    if stage.data:
        add_settings(parser, DataSettings)
    add_settings(parser, TrainingSettings)
    add_settings(parser, stage.settings, prefix=f"{stage.section}.", bare=True)


def build_parser():
    """The `tinybert-keras` argument parser with every subcommand.

    Returns:
        An `argparse.ArgumentParser`.

    Example:
    ```python
    args = build_parser().parse_args(["demo", "--quick"])
    ```
    """
    parser = argparse.ArgumentParser(
        prog="tinybert-keras", description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--verbose", action="store_true",
                        help="Show TensorFlow's start-up messages too.")
    subcommands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, stage in commands.STAGES.items():
        _add_stage(subcommands, parent, name, stage)

    evaluate = _command(
        subcommands, parent, "evaluate", commands.evaluate,
        "Compare teacher and students: metrics, size, speed.",
        "Score classifier presets on a task split and print a table of the main metric, "
        "parameters, size on disk, batch latency and speedup over the teacher.",
    )
    evaluate.add_argument("--teacher", required=True, dest="compared_teacher",
                          help="The teacher's classifier preset.")
    evaluate.add_argument("--student", required=True, action="append", dest="students",
                          help="A student's classifier preset (repeatable).")
    evaluate.add_argument("--json", dest="json_path", help="Also write the rows to this file.")
    add_settings(evaluate, DataSettings)
    add_settings(evaluate, TrainingSettings, names=("batch_size",))
    add_settings(evaluate, EvaluationSettings, prefix="evaluation.", bare=True)

    run = _command(
        subcommands, parent, "run", commands.run_config, "Every stage from one config.",
        "Run finetune-teacher, general-distill (for a student shape), data augmentation (with "
        "--data-augmentation), task-distill, the labels-only student (with --labels-only) and "
        "evaluate, each in OUTPUT_DIR/<stage>. Every setting of the config is a flag: top-level "
        "ones as --name, a section's as --section.name.",
    )
    add_settings(run, RecipeConfig, sections=True)

    demo = _command(
        subcommands, parent, "demo", commands.demo,
        "The whole recipe offline on a CPU (MiniLM teacher, Rotten Tomatoes).",
        "Run the named config demo (or demo_quick): fine-tune the real pretrained "
        "all-MiniLM-L6-v2 on Rotten Tomatoes, general-distill a 3-layer 192-wide student on news "
        "text, run both task phases, train the same student on labels alone, and print a table. "
        "Measured on 2 CPU cores, teacher fine-tuning included: 10 to 13 minutes for the full "
        "demo (all 10,201 training reviews; the student reaches about 97% of the teacher on "
        "the 1,275 dev reviews), 3.5 to 6 minutes for --quick (2,048 reviews, 256 dev; the "
        "student clearly above the majority class and the labels-only student, but a few "
        "points further below the teacher). Equivalent to `run --config demo` (or "
        "demo_quick).", config=False,
    )
    demo.add_argument("--quick", action="store_true",
                      help="The named config demo_quick: 3.5 to 6 minutes, 2,048 reviews.")
    demo.add_argument("--output-dir", dest="demo_output_dir",
                      help="Folder for the stages (default tinybert_demo or tinybert_demo_quick).")

    ablate = _command(
        subcommands, parent, "ablate", commands.ablate,
        "The paper's ablations: a grid of recipe runs.",
        "Run ablation variants (w/o GD, w/o Attn, top mapping, labels only, ...) of a base "
        "config over tasks and seeds, each in its own resumable folder, then write "
        "OUTPUT_DIR/results.csv, report.md (the scores and the paper's claims with 95% "
        "intervals over seeds) and ablations.png. A killed study, run again, makes only the "
        "missing runs.",
    )
    add_settings(ablate, AblationSettings, prefix="ablation.", bare=True)

    _file_command(
        subcommands, parent, "augment", commands.augment,
        "TinyBERT data augmentation of a training file.", AUGMENT_DESCRIPTION,
        {"input": "The training file: .tsv, .csv or .jsonl by extension.",
         "output": "Output file: .jsonl for JSON lines, else TSV."},
        AugmentFileSettings, "augment",
    )

    _file_command(
        subcommands, parent, "prepare-corpus", commands.prepare_corpus,
        "Tokenize a text corpus once into TFRecord files for general-distill.",
        "Tokenize and pack a text corpus into NUM_FILES TFRecord parts that general-distill "
        "--corpus OUTPUT reads. With --shard I/N a machine writes only its block of the parts; "
        "the parts of N machines are the files of one run, merged by giving general-distill "
        "every machine's folder (or one shared folder).",
        {"output": "The folder of the prepared corpus."}, CorpusSettings, "corpus",
    )

    _file_command(
        subcommands, parent, "export", commands.export,
        "A distilled student as ONNX / LiteRT files for deployment.",
        "Export a classifier preset (task-distill's OUTPUT_DIR/preset) with Keras' "
        "model.export to ONNX and LiteRT, float32 and dynamic-range int8 (each runtime's own "
        "quantization), with its keras-hub preprocessor next to the files. Needs "
        "pip install tinybert-keras[export].",
        {"preset": "The classifier preset to export.",
         "output_dir": "The folder to write (new or empty)."}, ExportSettings, "export",
    )
    return parser


def main(argv=None):
    """Runs `tinybert-keras` and returns its exit code.

    Args:
        argv: the arguments after the program name; `None` reads `sys.argv`.

    Returns:
        0 on success, 2 on a configuration or data error (with its message on stderr).

    Example:
    ```python
    main(["demo", "--quick"])
    ```
    """
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"tinybert-keras: error: {error}", file=sys.stderr)
        return 2
