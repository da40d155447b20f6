"""Bad settings and broken inputs on the command line: a message and exit code 2, never a
traceback, and the same checks as a config file."""

import re

import pytest

from recipe_tiny import tiny_teacher_preset
from tinybert_keras import cli

TRAINING = ["--task", "trec", "--train-examples", "16", "--dev-examples", "8",
            "--sequence-length", "16", "--batch-size", "8", "--no-jit-compile"]


@pytest.mark.parametrize("argv, message", [
    (["finetune-teacher", "--epochs", "-1"], "epochs must be > 0; got -1.0"),
    (["finetune-teacher", "--learning-rate", "-1"], "learning_rate must be > 0; got -1.0"),
    (["finetune-teacher", "--learning-rate", "inf"], "learning_rate must be a finite number"),
    (["finetune-teacher", "--batch-size", "0"], "batch_size must be >= 1; got 0"),
    (["finetune-teacher", "--sequence-length", "0"], "sequence_length must be >= 1; got 0"),
    (["general-distill", "--epochs", "-1"], "epochs must be >= 0; got -1.0"),
    (["general-distill", "--learning-rate", "nan"], "learning_rate must be a finite number"),
    (["general-distill", "--steps-per-checkpoint", "0"], "steps_per_checkpoint must be >= 1"),
    (["task-distill", "--teacher", "t", "--prediction-learning-rate", "-1"],
     "prediction_learning_rate must be > 0"),
    (["task-distill", "--teacher", "t", "--min-teacher-margin", "-1"],
     "min_teacher_margin must be >= 0"),
    (["task-distill", "--teacher", "t", "--layer-map", "3,1"],
     r"layer_map: The layer map [3, 1] goes down at student layer 2"),
    (["run", "--finetune.epochs", "-1"], "finetune.epochs must be > 0"),
    (["run", "--general.learning-rate", "inf"], "general.learning_rate must be a finite number"),
    (["run", "--distill.steps-per-checkpoint", "0"], "distill.steps_per_checkpoint must be >= 1"),
    (["run", "--baseline.learning-rate", "-1"], "baseline.learning_rate must be > 0"),
])
def test_settings_are_checked_on_the_command_line_as_in_a_config_file(argv, message, capsys):
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert message in error and "Traceback" not in error


def test_a_malformed_config_file_is_named(tmp_path, capsys):
    config = tmp_path / "recipe.yaml"
    config.write_text("distill: {temperature: 2\n")
    assert cli.main(["run", "--config", str(config)]) == 2
    assert f"{config} is not valid YAML" in capsys.readouterr().err


def test_an_unknown_dataset_option_is_named(isolated_cache, capsys):
    assert cli.main(["finetune-teacher", *TRAINING, "--dataset-options", "sed=1"]) == 2
    assert ("dataset_options: dataset 'trec' takes no option ['sed']; its options are ['seed']"
            in capsys.readouterr().err)


def test_truncated_preset_weights_are_named(tmp_path, isolated_cache, capsys):
    preset = tiny_teacher_preset(tmp_path / "pretrained")
    weights = tmp_path / "pretrained" / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:1000])
    code = cli.main(["finetune-teacher", "--teacher", preset, *TRAINING,
                     "--output-dir", str(tmp_path / "teacher")])
    assert code == 2
    error = capsys.readouterr().err
    assert f"The preset {preset} cannot be loaded" in error and str(weights) in error


def test_a_diverging_teacher_finetuning_exits_non_zero_without_a_preset(tmp_path, isolated_cache,
                                                                       capsys):
    preset = tiny_teacher_preset(tmp_path / "pretrained")
    output = tmp_path / "teacher"
    code = cli.main(["finetune-teacher", "--teacher", preset, *TRAINING, "--epochs", "10",
                     "--learning-rate", "1e6", "--output-dir", str(output)])
    assert code == 2
    assert re.search(r"loss is (nan|inf) at step \d+ of 20, the first step with a non-finite "
                     r"loss", capsys.readouterr().err)
    assert not (output / "preset").exists() and not (output / "summary.json").exists()
