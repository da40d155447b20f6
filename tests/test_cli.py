import json

import pytest

from tinybert_keras import cli
from tinybert_keras import recipe
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config import TASK_DISTILL_FIELDS

SUBCOMMANDS = ("finetune-teacher", "general-distill", "task-distill", "evaluate", "run", "demo")


@pytest.mark.parametrize("command", SUBCOMMANDS)
def test_help_explains_each_option(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main([command, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert text.startswith(f"usage: tinybert-keras {command}")
    for line in text.splitlines():
        if line.strip().startswith("--") and "  " in line.strip():
            assert line.strip().split("  ", 1)[1].strip(), line


def test_top_level_help_lists_stages(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    text = capsys.readouterr().out
    for command in SUBCOMMANDS:
        assert command in text


def _capture(monkeypatch, name):
    calls = []

    def fake(*args, **kwargs):
        calls.append((args, kwargs))
        return {"preset": f"{name}/preset"}

    monkeypatch.setattr(recipe, name, fake)
    return calls


def test_config_file_sets_defaults_and_flags_win(monkeypatch, tmp_path, capsys):
    calls = _capture(monkeypatch, "task_distill")
    config = tmp_path / "recipe.yaml"
    RecipeConfig(task="mrpc", student="runs/general/preset", intermediate_epochs=10,
                 temperature=2.0, batch_size=16, layer_map=[2, 4],
                 embeddings_from_teacher=True).to_file(config)
    code = cli.main(["task-distill", "--config", str(config), "--teacher", "runs/teacher/preset",
                     "--temperature", "1.5", "--dataset-option", "source=glue_data"])
    assert code == 0
    (args, kwargs), = calls
    assert args == ("runs/teacher/preset", "runs/general/preset", "mrpc", "tinybert_run/task")
    assert kwargs["intermediate_epochs"] == 10 and kwargs["batch_size"] == 16
    assert kwargs["temperature"] == 1.5 and kwargs["layer_map"] == [2, 4]
    assert kwargs["dataset_options"] == {"source": "glue_data"}
    assert kwargs["embeddings_from_teacher"] is True
    assert set(TASK_DISTILL_FIELDS) <= set(kwargs)
    assert json.loads(capsys.readouterr().out) == {"preset": "task_distill/preset"}


def test_general_distill_flags(monkeypatch):
    calls = _capture(monkeypatch, "general_distill")
    shape = '{"num_layers": 2, "hidden_dim": 64, "intermediate_dim": 256, "num_heads": 4}'
    assert cli.main(["general-distill", "--student", shape, "--corpus", "a.txt", "b/",
                     "--max-steps", "7", "--layer-map", "3,6", "--no-jit",
                     "--embeddings-from-teacher"]) == 0
    (args, kwargs), = calls
    assert args[1] == json.loads(shape)
    assert kwargs["corpus"] == ["a.txt", "b/"] and kwargs["max_steps"] == 7
    assert kwargs["layer_map"] == [3, 6] and kwargs["jit_compile"] is False
    assert kwargs["embeddings_from_teacher"] is True


def test_errors_are_messages_not_tracebacks(capsys, tmp_path):
    assert cli.main(["task-distill", "--student", "tinybert_4"]) == 2
    assert "needs --teacher" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    bad.write_text("tempurature: 2\n")
    assert cli.main(["task-distill", "--config", str(bad)]) == 2
    assert "Did you mean 'temperature'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["task-distill", "--layer-map", "middle"])
    assert "uniform, top, bottom" in capsys.readouterr().err


def test_run_chains_the_stages(monkeypatch, tmp_path):
    calls = {name: _capture(monkeypatch, name)
             for name in ("finetune", "general_distill", "task_distill")}
    monkeypatch.setattr(recipe, "evaluate_presets", lambda presets, data, **kwargs: (
        {"presets": presets}, "TABLE"))
    monkeypatch.setattr(recipe, "_task_data", lambda name, options: name)
    config = RecipeConfig(task="rotten_tomatoes", output_dir=str(tmp_path), general_epochs=0.5,
                          embeddings_from_teacher=True)
    report = recipe.run_recipe(config)
    assert calls["general_distill"][0][0][:2] == ("bert_base_en_uncased", "tinybert_4")
    assert calls["task_distill"][0][0][:2] == ("finetune/preset", "general_distill/preset")
    # The stage that builds the random student takes the option; the next one gets a preset.
    assert calls["general_distill"][0][1]["embeddings_from_teacher"] is True
    assert calls["task_distill"][0][1]["embeddings_from_teacher"] is False
    assert report["rows"] == {"presets": {"teacher": "finetune/preset",
                                          "student": "task_distill/preset"}}
    assert json.loads((tmp_path / "report.json").read_text())["table"] == "TABLE"

    released = RecipeConfig(student="hf://huawei-noah/TinyBERT_General_4L_312D",
                            output_dir=str(tmp_path / "released"))
    recipe.run_recipe(released)
    assert len(calls["general_distill"]) == 1
    assert calls["task_distill"][1][0][1] == "hf://huawei-noah/TinyBERT_General_4L_312D"


def test_augment_subcommand_is_wired_when_present(capsys):
    pytest.importorskip("tinybert_keras.augmentation.command")
    with pytest.raises(SystemExit):
        cli.main(["augment", "--help"])
    assert capsys.readouterr().out.startswith("usage: tinybert-keras augment")
