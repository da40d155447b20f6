"""The `tinybert-keras` command line: one subcommand per stage of the recipe, plus `demo`.

Every stage subcommand takes `--config recipe.yaml` (a `RecipeConfig` file) for its defaults;
flags given on the command line win. Rerunning a command with the same settings resumes an
interrupted stage, or returns a finished one.
"""

import argparse
import json
import sys

from tinybert_keras.config import ConfigError
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config import TASK_DISTILL_FIELDS

DESCRIPTION = """TinyBERT knowledge distillation with Keras and keras-hub.

The recipe: finetune-teacher (teacher on the task) -> general-distill (student on plain text,
optional: released general TinyBERTs can be used instead) -> task-distill (intermediate layers,
then prediction layer) -> evaluate. `demo` runs all of it offline on a CPU."""


def _student_value(text):
    return json.loads(text) if text.strip().startswith("{") else text


def _layer_map_value(text):
    if text in ("uniform", "top", "bottom"):
        return text
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r}: use uniform, top, bottom or comma-separated teacher layers like 2,4,6"
        ) from None


def _options_value(text):
    key, separator, value = text.partition("=")
    if not separator:
        raise argparse.ArgumentTypeError(f"{text!r}: use KEY=VALUE, e.g. source=glue_data")
    return key, value


def _add_common(parser, config_fields):
    parser.set_defaults(config_fields=config_fields)
    parser.add_argument("--config", help="A RecipeConfig .yaml/.json file whose settings are "
                        "this command's defaults (flags override them).")
    parser.add_argument("--batch-size", type=int, default=32, help="Examples per step (32).")
    parser.add_argument("--seed", type=int, default=0, help="Seeds weights, dropout, shuffling.")
    parser.add_argument("--no-jit", dest="jit_compile", action="store_false",
                        help="Do not XLA-compile the train step (compiling costs 30-40 s on a "
                        "CPU, then steps run faster).")
    parser.add_argument("--steps-per-checkpoint", type=int, default=None,
                        help="Steps between resumable backups (default: one epoch).")


def _add_task(parser):
    parser.add_argument("--task", default="sst2", help="A dataset for load_dataset: a GLUE "
                        "task (sst2, mnli, ...) or an offline one (rotten_tomatoes, ...).")
    parser.add_argument("--dataset-option", dest="dataset_options", type=_options_value,
                        action="append", default=[], metavar="KEY=VALUE",
                        help="Extra load_dataset argument, e.g. source=glue_data, "
                        "data_dir=glue_data (repeatable).")
    parser.add_argument("--sequence-length", type=int, default=None,
                        help="Packed length (default: the task's, 64 single / 128 pairs).")


def _add_embeddings_flag(parser):
    parser.add_argument("--embeddings-from-teacher", action="store_true",
                        help="Start a random student from the teacher's embeddings projected "
                        "to its width (not in the paper; helps a short general distillation).")


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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    finetune = commands.add_parser(
        "finetune-teacher", help="Fine-tune a BERT teacher on a task.",
        description="Fine-tune a keras-hub BERT (preset name, local or Hugging Face directory) "
        "on a task's labels; writes a TextClassifier preset to OUTPUT_DIR/preset.",
    )
    finetune.add_argument("--teacher", default="bert_base_en_uncased",
                          help="The pre-trained model's preset (default bert_base_en_uncased).")
    finetune.add_argument("--output-dir", default="tinybert_run/teacher", help="Stage folder.")
    finetune.add_argument("--epochs", type=float, default=3.0, help="Epochs (3).")
    finetune.add_argument("--learning-rate", type=float, default=2e-5, help="Peak rate (2e-5).")
    finetune.add_argument("--warmup-fraction", type=float, default=0.1, help="Warm-up share.")
    _add_task(finetune)
    _add_common(finetune, {"teacher": "teacher", "epochs": "teacher_epochs",
                           "learning_rate": "teacher_learning_rate"})

    general = commands.add_parser(
        "general-distill", help="General distillation on plain text.",
        description="Distill a pre-trained (not fine-tuned) teacher's embeddings, attention "
        "scores and hidden states into a student on a text corpus; writes a Backbone preset to "
        "OUTPUT_DIR/preset. Expensive at paper scale: released general TinyBERTs skip it.",
    )
    general.add_argument("--teacher", default="bert_base_en_uncased", help="Pre-trained teacher.")
    general.add_argument("--student", type=_student_value, default="tinybert_4",
                         help="tinybert_4, tinybert_6, a JSON shape like '{\"num_layers\": 4, "
                         "\"hidden_dim\": 312, \"intermediate_dim\": 1200, \"num_heads\": 12}', "
                         "or a preset to continue from.")
    general.add_argument("--output-dir", default="tinybert_run/general", help="Stage folder.")
    general.add_argument("--corpus", nargs="*", default=None,
                         help=".txt files or folders (default: the offline news corpus).")
    general.add_argument("--epochs", type=float, default=1.0, help="Passes over the corpus.")
    general.add_argument("--max-steps", type=int, default=None,
                         help="Train exactly this many steps instead of whole epochs.")
    general.add_argument("--learning-rate", type=float, default=1e-4, help="Rate (1e-4).")
    general.add_argument("--sequence-length", type=int, default=128, help="Packed length (128).")
    general.add_argument("--layer-map", type=_layer_map_value, default="uniform",
                         help="uniform, top, bottom, or teacher layers like 3,6,9,12.")
    general.add_argument("--formulation", choices=("paper", "official"), default="paper",
                         help="Loss averaging: the paper's or the official code's.")
    _add_embeddings_flag(general)
    _add_common(general, {"teacher": "teacher", "student": "student",
                          "corpus": "general_corpus", "epochs": "general_epochs",
                          "max_steps": "general_max_steps",
                          "learning_rate": "general_learning_rate",
                          "sequence_length": "general_sequence_length",
                          "layer_map": "layer_map", "formulation": "formulation",
                          "embeddings_from_teacher": "embeddings_from_teacher"})

    task = commands.add_parser(
        "task-distill", help="Task distillation: intermediate layers, then predictions.",
        description="Check the fine-tuned teacher on dev, distill its intermediate layers (on "
        "augmented data if given), then its predictions with warm-up and decay, keeping the "
        "best dev checkpoint; writes a TextClassifier preset to OUTPUT_DIR/preset.",
    )
    task.add_argument("--teacher", required=False, default=None,
                      help="The fine-tuned teacher's preset (finetune-teacher's "
                      "OUTPUT_DIR/preset).")
    task.add_argument("--student", type=_student_value, default="tinybert_4",
                      help="A general student preset (general-distill's output, or e.g. "
                      "hf://huawei-noah/TinyBERT_General_4L_312D), or a shape for a random one.")
    task.add_argument("--output-dir", default="tinybert_run/task", help="Stage folder.")
    task.add_argument("--augmented-train", default=None,
                      help="Augmented training file (tinybert-keras augment's output).")
    task.add_argument("--intermediate-epochs", type=float, default=20.0, help="Phase 1 (20).")
    task.add_argument("--intermediate-learning-rate", type=float, default=5e-5, help="(5e-5).")
    task.add_argument("--prediction-epochs", type=float, default=3.0, help="Phase 2 epochs (3).")
    task.add_argument("--prediction-learning-rate", type=float, default=3e-5, help="(3e-5).")
    task.add_argument("--warmup-fraction", type=float, default=0.1, help="Phase 2 warm-up.")
    task.add_argument("--layer-map", type=_layer_map_value, default="uniform",
                      help="uniform, top, bottom, or teacher layers like 3,6,9,12.")
    task.add_argument("--temperature", type=float, default=1.0, help="Prediction loss (1.0).")
    task.add_argument("--formulation", choices=("paper", "official"), default="paper",
                      help="Loss averaging: the paper's or the official code's.")
    task.add_argument("--min-teacher-margin", type=float, default=0.05,
                      help="Stop unless the teacher beats chance on dev by this much (0.05).")
    _add_embeddings_flag(task)
    _add_task(task)
    _add_common(task, {field: field for field in ("student",) + TASK_DISTILL_FIELDS})

    evaluate = commands.add_parser(
        "evaluate", help="Compare teacher and student: metrics, size, speed.",
        description="Score classifier presets on a task split and print a table of the main "
        "metric, parameters, size on disk, batch latency and speedup over the teacher.",
    )
    evaluate.add_argument("--teacher", required=True, help="The teacher's classifier preset.")
    evaluate.add_argument("--student", required=True, action="append",
                          help="A student's classifier preset (repeatable).")
    evaluate.add_argument("--split", default="dev", help="The split to score (dev).")
    evaluate.add_argument("--json", dest="json_path", help="Also write the rows to this file.")
    evaluate.add_argument("--batch-size", type=int, default=32, help="Batch (and latency) size.")
    _add_task(evaluate)

    run = commands.add_parser(
        "run", help="Every stage from one config file.",
        description="Run finetune-teacher, general-distill (for a student shape), task-distill "
        "and evaluate from a RecipeConfig YAML/JSON file, each in OUTPUT_DIR/<stage>.",
    )
    run.add_argument("config", help="The RecipeConfig .yaml/.json file.")

    demo = commands.add_parser(
        "demo", help="The whole recipe offline on a CPU (MiniLM teacher, Rotten Tomatoes).",
        description="Fine-tune MiniLM-L6-H384 on Rotten Tomatoes, general-distill a 3-layer "
        "192-wide student on news text, run both task phases, train the same student on labels "
        "alone, and print a table. Measured on 2 CPU cores: under 15 minutes, teacher "
        "fine-tuning included (about 11 once the fine-tuned teacher is cached); --quick (a "
        "smoke test) about 3.",
    )
    demo.add_argument("--quick", action="store_true", help="A few steps per stage (smoke test).")
    demo.add_argument("--output-dir", default=None,
                      help="Folder for the stages (default tinybert_demo or tinybert_demo_quick).")

    try:
        from tinybert_keras.augmentation import command as augment_command
    except ImportError:
        augment_command = None
    if augment_command is not None:
        augment = commands.add_parser(
            "augment", help="TinyBERT data augmentation of a training file.",
            description="Write augmented copies of a training file (BERT MLM and word-vector "
            "substitutions, the paper's Algorithm 1) for task-distill --augmented-train.",
        )
        augment_command.add_arguments(augment)
        augment.set_defaults(augment_run=augment_command.run)
    parser.subcommands = commands.choices
    return parser


def _apply_config(parser, argv):
    """Parses twice: once to find `--config`, then with the config's values as defaults."""
    args = parser.parse_args(argv)
    path = getattr(args, "config", None)
    if args.command == "run" or not path:
        return args
    config = RecipeConfig.from_file(path)
    subparser = parser.subcommands[args.command]
    defaults = {dest: getattr(config, field) for dest, field in args.config_fields.items()}
    defaults.update(batch_size=config.batch_size, seed=config.seed,
                    jit_compile=config.jit_compile)
    if args.command != "general-distill":
        defaults.update(task=config.task, dataset_options=list(config.dataset_options.items()))
    if args.command == "finetune-teacher":
        defaults.update(warmup_fraction=config.warmup_fraction,
                        sequence_length=config.sequence_length)
    subparser.set_defaults(**defaults)
    return parser.parse_args(argv)


def main(argv=None):
    """Runs `tinybert-keras` and returns its exit code.

    Args:
        argv: the arguments after the program name; `None` reads `sys.argv`.

    Returns:
        0 on success, 2 on a configuration or data error (with its message on stderr).

    Example:
    ```python
    main(["task-distill", "--help"])
    ```
    """
    parser = build_parser()
    try:
        args = _apply_config(parser, argv)
        return _run(args)
    except (ConfigError, ValueError, FileNotFoundError) as error:
        print(f"tinybert-keras: error: {error}", file=sys.stderr)
        return 2


def _run(args):
    from tinybert_keras import demo
    from tinybert_keras import recipe

    if args.command == "augment":
        return args.augment_run(args)
    if args.command == "demo":
        settings = demo.DEMO_QUICK if args.quick else demo.DEMO_DEFAULT
        output_dir = args.output_dir or ("tinybert_demo_quick" if args.quick else "tinybert_demo")
        demo.run_demo(output_dir, settings)
        return 0
    if args.command == "run":
        print(recipe.run_recipe(RecipeConfig.from_file(args.config))["table"])
        return 0
    options = dict(getattr(args, "dataset_options", ()))
    common = {"batch_size": args.batch_size}
    if args.command == "evaluate":
        presets = {"teacher": args.teacher}
        presets.update(
            {f"student {i}" if len(args.student) > 1 else "student": path
             for i, path in enumerate(args.student, 1)}
        )
        rows, table = recipe.evaluate_presets(
            presets, args.task, split=args.split, sequence_length=args.sequence_length,
            dataset_options=options, **common,
        )
        print(table)
        if args.json_path:
            with open(args.json_path, "w", encoding="utf-8") as file:
                json.dump(rows, file, indent=2)
        return 0
    common.update(seed=args.seed, jit_compile=args.jit_compile,
                  steps_per_checkpoint=args.steps_per_checkpoint)
    if args.command == "finetune-teacher":
        summary = recipe.finetune(
            args.teacher, args.task, args.output_dir, epochs=args.epochs,
            learning_rate=args.learning_rate, warmup_fraction=args.warmup_fraction,
            sequence_length=args.sequence_length, dataset_options=options, **common,
        )
    elif args.command == "general-distill":
        summary = recipe.general_distill(
            args.teacher, args.student, args.output_dir, corpus=args.corpus, epochs=args.epochs,
            max_steps=args.max_steps, learning_rate=args.learning_rate,
            sequence_length=args.sequence_length, layer_map=args.layer_map,
            formulation=args.formulation, embeddings_from_teacher=args.embeddings_from_teacher,
            **{**common, "steps_per_checkpoint": args.steps_per_checkpoint or 200},
        )
    else:
        if args.teacher is None:
            raise ConfigError("task-distill needs --teacher: the fine-tuned teacher's preset.")
        summary = recipe.task_distill(
            args.teacher, args.student, args.task, args.output_dir, dataset_options=options,
            **{name: getattr(args, name) for name in TASK_DISTILL_FIELDS}, **common,
        )
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
