import argparse
import json
import os
import re
import subprocess
import sys

import pytest

from tinybert_keras import cli
from tinybert_keras import recipe
from tinybert_keras.cli import commands
from tinybert_keras.cli.flags import setting_flag
from tinybert_keras.config import AblationSettings
from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import ExportSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

PARSER = cli.build_parser()
SUBCOMMANDS = dict(next(
    action for action in PARSER._actions if isinstance(action, argparse._SubParsersAction)
).choices)
# Flags that are not settings: what a command reads, writes or where it puts its folder.
NOT_SETTINGS = {"help", "verbose", "config", "stage_output_dir", "finetuned_teacher",
                "compared_teacher", "students", "json_path", "input", "output", "quick",
                "demo_output_dir", "preset", "output_dir"}


def test_every_subcommand_option_has_help():
    assert set(SUBCOMMANDS) == {"finetune-teacher", "general-distill", "task-distill",
                                "evaluate", "run", "demo", "ablate", "augment",
                                "prepare-corpus", "export"}
    for name, parser in SUBCOMMANDS.items():
        for action in parser._actions:
            assert action.help and action.help.strip(), (name, action.dest)


def test_top_level_help_lists_every_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    listing = capsys.readouterr().out.split("positional arguments:")[1]
    for name in SUBCOMMANDS:
        assert f"\n    {name}" in listing


def test_every_config_setting_is_a_run_flag_and_reaches_the_config():
    run_flags = {option for action in SUBCOMMANDS["run"]._actions
                 for option in action.option_strings}
    for path, field in leaves(RecipeConfig):
        section = path.rpartition(".")[0]
        assert setting_flag(field, f"{section}." if section else "") in run_flags, path
    argv = ["run", "--batch-size", "7", "--no-jit-compile", "--dataset-options", "seed=3",
            "--student", '{"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, '
            '"num_heads": 2}', "--distill.layer-map", "2,4", "--general.corpus", "a.txt", "b/",
            "--distill.min-teacher-margin", "none", "--no-distill.attention-loss",
            "--labels-only", "--baseline.epochs", "2"]
    config = commands._config(PARSER.parse_args(argv))
    assert config.batch_size == 7 and config.jit_compile is False
    assert config.dataset_options == {"seed": "3"} and config.student["num_layers"] == 2
    assert config.distill.layer_map == [2, 4] and config.general.corpus == ["a.txt", "b/"]
    assert config.distill.min_teacher_margin is None and config.distill.attention_loss is False
    assert config.labels_only and config.baseline.epochs == 2


def test_every_stage_flag_is_a_setting():
    settings = {path.replace(".", "__") for path, _ in leaves(RecipeConfig)}
    settings |= {f"augment__{name}" for name in AugmentFileSettings.names()}
    settings |= {f"ablation__{name}" for name in AblationSettings.names()}
    settings |= {f"corpus__{name}" for name in CorpusSettings.names()}
    settings |= {f"export__{name}" for name in ExportSettings.names()}
    for name, parser in SUBCOMMANDS.items():
        for action in parser._actions:
            if action.dest not in NOT_SETTINGS:
                assert action.dest in settings, (name, action.dest)


def test_help_and_argument_errors_come_before_tensorflow():
    script = """
import sys
from tinybert_keras.cli import main
try:
    main(["task-distill", "--help"])
except SystemExit:
    pass
assert main(["run", "--config", "demo", "--batch-size", "0"]) == 2
loaded = sorted(name for name in sys.modules if name.split(".")[0] in ("tensorflow", "keras"))
print(loaded)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().endswith("[]")
    assert "batch_size must be >= 1; got 0" in result.stderr


def _capture(monkeypatch, name):
    calls = []

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        return {"preset": f"{name}/preset"}

    monkeypatch.setattr(recipe, name, fake)
    return calls


def test_a_config_file_sets_a_stages_defaults_and_flags_win(monkeypatch, tmp_path, capsys):
    calls = _capture(monkeypatch, "task_distill")
    config = tmp_path / "recipe.yaml"
    RecipeConfig(task="mrpc", student="runs/general/preset", batch_size=16,
                 distill={"intermediate_epochs": 10, "temperature": 2.0, "layer_map": [2, 4]},
                 ).to_file(config)
    code = cli.main(["task-distill", "--config", str(config), "--teacher", "runs/teacher/preset",
                     "--temperature", "1.5", "--dataset-options", "source=glue_data"])
    assert code == 0
    (args, kwargs), = calls
    teacher, student, data, output_dir, settings, training = args
    assert (teacher, student, output_dir) == ("runs/teacher/preset", "runs/general/preset",
                                              "tinybert_run/task")
    assert data.task == "mrpc" and data.dataset_options == {"source": "glue_data"}
    assert settings.intermediate_epochs == 10 and settings.temperature == 1.5
    assert settings.layer_map == [2, 4] and training.batch_size == 16
    assert json.loads(capsys.readouterr().out) == {"preset": "task_distill/preset"}


def test_general_distill_flags(monkeypatch):
    calls = _capture(monkeypatch, "general_distill")
    shape = '{"num_layers": 2, "hidden_dim": 64, "intermediate_dim": 256, "num_heads": 4}'
    assert cli.main(["general-distill", "--student", shape, "--corpus", "a.txt", "b/",
                     "--max-steps", "7", "--layer-map", "3,6", "--no-jit-compile",
                     "--embeddings-from-teacher", "--output-dir", "runs/g"]) == 0
    (args, _), = calls
    teacher, student, output_dir, settings, training = args
    assert teacher == "bert_base_en_uncased" and student == json.loads(shape)
    assert output_dir == "runs/g" and settings.corpus == ["a.txt", "b/"]
    assert settings.max_steps == 7 and settings.layer_map == [3, 6]
    assert settings.embeddings_from_teacher is True and training.jit_compile is False


def test_prepare_corpus_and_augment_take_a_shard(monkeypatch, capsys):
    calls = _capture(monkeypatch, "prepare_corpus")
    assert cli.main(["prepare-corpus", "out/", "--corpus", "wiki/", "--tokenizer", "t",
                     "--num-files", "8", "--shard", "3/4"]) == 0
    (args, _), = calls
    assert args == ("out/", CorpusSettings(corpus=["wiki/"], tokenizer="t", num_files=8,
                                           shard="3/4"))
    for argv, message in (
        (["prepare-corpus", "out/", "--shard", "4/4"], "shard must be I/N with 0 <= I < N"),
        (["prepare-corpus", "out/", "--num-files", "2", "--shard", "0/3"],
         "raise num_files to at least the number of machines"),
        (["augment", "in.tsv", "out.tsv", "--shard", "1-2"], "shard must be I/N"),
    ):
        assert cli.main(argv) == 2
        assert message in capsys.readouterr().err


def test_errors_are_messages_not_tracebacks(capsys, tmp_path):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["task-distill", "--student", "tinybert_4"])
    assert exit_info.value.code == 2
    assert "--teacher" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("distill:\n  tempurature: 2\n")
    assert cli.main(["task-distill", "--config", str(bad), "--teacher", "t"]) == 2
    assert "Did you mean 'temperature'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["task-distill", "--teacher", "t", "--layer-map", "middle"])
    assert "uniform, top, bottom" in capsys.readouterr().err
    for flags, message in ((["--steps-per-checkpoint", "0"], "steps_per_checkpoint must be >= 1"),
                           (["--intermediate-epochs", "-1"], "intermediate_epochs must be >= 0"),
                           (["--min-teacher-margin", "-1"], "min_teacher_margin must be >= 0")):
        assert cli.main(["task-distill", "--teacher", "t", *flags]) == 2
        assert message in capsys.readouterr().err


def test_demo_runs_the_named_config(monkeypatch):
    configs = []
    monkeypatch.setattr(recipe, "run_recipe", configs.append)
    assert cli.main(["demo", "--quick", "--output-dir", "elsewhere"]) == 0
    assert configs == [RecipeConfig.named("demo_quick").replace(output_dir="elsewhere")]
    assert cli.main(["run", "--config", "demo"]) == 0
    assert configs[1] == RecipeConfig.named("demo")


# A line of absl/glog-format C++ logging ("I0000 00:00:17.. 123 port.cc:153] ..."), or absl's
# notice that logging is not initialised yet.
CPP_LOG = re.compile(r"^(WARNING: All log messages before absl|[IWEF]\d{4} \S+ +\d+ (\S+:\d+)\])",
                     re.M)


def _stderr(cwd, *argv):
    env = {name: value for name, value in os.environ.items() if name != "TF_CPP_MIN_LOG_LEVEL"}
    command = [sys.executable, *argv] if argv[0] == "-c" else [
        sys.executable, "-c", "import sys; from tinybert_keras.cli import main; sys.exit(main())",
        *argv]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd,
                            timeout=300)
    return result.returncode, result.stderr


def test_a_command_prints_no_tensorflow_start_up_messages_unless_verbose(tmp_path):
    _, plain_import = _stderr(tmp_path, "-c", "import tensorflow")
    printed = {match.group(0) if match.group(2) is None else match.group(2)
               for match in CPP_LOG.finditer(plain_import)}
    assert printed, f"`import tensorflow` printed no C++ log line to compare with: {plain_import!r}"
    # A known layout (--task), so the error comes from the file, after TensorFlow has started.
    files = [str(tmp_path / "missing.tsv"), str(tmp_path / "out.tsv"), "--task", "sst2"]
    code, quiet = _stderr(tmp_path, "augment", *files)
    assert code == 2 and "missing.tsv" in quiet
    assert CPP_LOG.findall(quiet) == [], quiet
    _, verbose = _stderr(tmp_path, "augment", *files, "--verbose")
    for line in printed:
        assert line in verbose


def test_export_flags(monkeypatch, capsys):
    calls = _capture(monkeypatch, "export_classifier")
    assert cli.main(["export", "--format", "onnx", "runs/task/preset", "runs/export",
                     "--precision", "int8", "--precision", "float32",
                     "--no-cls-only-last-layer"]) == 0
    (args, _), = calls
    assert args[:2] == ("runs/task/preset", "runs/export")
    assert args[2] == ExportSettings(formats=["onnx"], precisions=["int8", "float32"],
                                     cls_only_last_layer=False)
    capsys.readouterr()
    assert cli.main(["export", "p", "o", "--precision", "float32", "--precision", "int4"]) == 2
    assert "precisions[1] must be one of float32, int8; got 'int4'" in capsys.readouterr().err
