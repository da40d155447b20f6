"""`run_recipe` on tiny models: every stage in its folder, reused when run again."""

import json

from recipe_tiny import tiny_teacher_preset
from tinybert_keras import recipe
from tinybert_keras.config import RecipeConfig
from tinybert_keras.recipe import run as run_lib


def tiny_config(tmp_path, **changes):
    values = {
        "task": "trec", "train_examples": 64, "dev_examples": 32, "sequence_length": 12,
        "batch_size": 8, "jit_compile": False,
        "teacher": tiny_teacher_preset(tmp_path / "pretrained"),
        "student": {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        "output_dir": str(tmp_path / "run"), "labels_only": True,
        "finetune": {"epochs": 1.0, "learning_rate": 1e-3},
        "general": {"max_steps": 2, "sequence_length": 12,
                    "corpus": [str(tmp_path / "pretrained" / "config.json")]},
        "distill": {"intermediate_epochs": 0.5, "prediction_epochs": 0.5,
                    "min_teacher_margin": None},
        "evaluation": {"latency_repeats": 1},
    }
    return RecipeConfig.from_dict({**values, **changes})


def test_every_stage_then_a_table_and_a_rerun_reuses_them(tmp_path, isolated_cache, capsys):
    config = tiny_config(tmp_path)
    report = recipe.run_recipe(config, verbose=0)
    root = tmp_path / "run"
    for stage in ("teacher", "general", "task", "labels_only"):
        assert (root / stage / "summary.json").is_file(), stage
    assert report["task"]["student_dev"] == report["rows"]["TinyBERT student"]["metrics"]
    assert "% of the teacher's dev accuracy" in report["table"]
    assert "best constant prediction's dev accuracy" in report["table"]
    assert json.loads((root / "report.json").read_text())["config"] == config.to_dict()
    capsys.readouterr()
    again = recipe.run_recipe(config, verbose=0)
    assert again["task"] == report["task"] and again["teacher"] == report["teacher"]
    assert "Epoch" not in capsys.readouterr().out


def test_a_shared_teacher_is_fine_tuned_once_for_its_settings(tmp_path, isolated_cache):
    config = tiny_config(tmp_path, share_teacher=True)
    data = recipe.load_task(config.data_settings())
    folder = run_lib.teacher_folder(config, data)
    assert folder.parent == isolated_cache / "teachers"
    other_run = config.replace(output_dir=str(tmp_path / "other"), distill=config.distill)
    assert run_lib.teacher_folder(other_run, data) == folder
    other_teacher = config.replace(finetune=config.finetune.replace(epochs=2.0))
    assert run_lib.teacher_folder(other_teacher, data) != folder


def test_notes_without_a_share_when_the_teacher_scores_zero():
    from tinybert_keras.data import glue_task

    rows = {"teacher": {"metrics": {"f1": 0.0}}, "student": {"metrics": {"f1": 0.25}}}
    notes = run_lib.comparison_notes(rows, glue_task("mrpc"), [0, 1, 1]).splitlines()
    assert notes[0] == "student: dev f1 0.2500; no share, the teacher scores 0.0000"
    assert notes[1].endswith(": 0.8000")
