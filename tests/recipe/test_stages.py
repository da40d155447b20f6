import json
import shutil
import subprocess
import sys

import keras_hub
import numpy as np
import pytest

from checkpoint_tiny import HUB
from checkpoint_tiny import serve_hub
from checkpoint_tiny import write_checkpoint
from recipe_tiny import CORPUS
from recipe_tiny import FAST
from recipe_tiny import STUDENT
from recipe_tiny import task_distill_tiny
from tinybert_keras import recipe
from tinybert_keras.config import EvaluationSettings
from tinybert_keras.recipe import presets
from tinybert_keras.recipe import training


def test_finetuned_teacher_and_distilled_student_learn_the_task(runs):
    assert runs["teacher"]["dev"]["accuracy"] >= 0.9
    assert runs["teacher"]["steps"] == 10 * 9
    # A student stuck at one class would let float noise decide the evaluation tests below.
    assert runs["task"]["student_dev"]["accuracy"] >= 0.9


def test_results_load_in_a_process_without_tinybert_keras(runs, tmp_path):
    task = runs["task"]
    script = f"""
import sys, keras_hub
classifier = keras_hub.models.TextClassifier.from_preset({task["preset"]!r})
print(classifier.predict(["the movie was good", "a dull plot"], verbose=0).shape)
teacher = keras_hub.models.TextClassifier.from_preset({runs["teacher"]["preset"]!r})
print(teacher.predict(["the film was great"], verbose=0).shape)
backbone = keras_hub.models.Backbone.from_preset({runs["general"]["preset"]!r})
print(backbone.num_layers, type(backbone).__name__)
assert not [name for name in sys.modules if name.startswith("tinybert_keras")]
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=240,
        cwd=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["(2,", "2)", "(1,", "2)", "1", "BertBackbone"]


def test_rerun_returns_the_finished_stage_and_refuses_other_settings(runs):
    again = recipe.finetune(
        runs["pretrained"], runs["data"], runs["root"] / "teacher", epochs=10,
        learning_rate=1e-2, **FAST,
    )
    assert again == runs["teacher"]
    with pytest.raises(recipe.RecipeError, match=r"other settings \(changed: \['epochs'\]\)"):
        recipe.finetune(runs["pretrained"], runs["data"], runs["root"] / "teacher", epochs=3,
                        learning_rate=1e-2, **FAST)


def test_refuses_a_folder_with_foreign_files(runs, tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(recipe.RecipeError, match="not a tinybert-keras run"):
        recipe.finetune(runs["pretrained"], runs["data"], tmp_path, epochs=1, **FAST)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_phase_two_keeps_the_best_dev_checkpoint(runs):
    history = recipe.read_history(runs["root"] / "task" / "prediction")
    dev = history["val_accuracy"]
    assert len(dev) == 6 * 9 // 3
    assert runs["task"]["student_dev"]["accuracy"] == pytest.approx(max(dev), abs=1e-6)
    assert runs["task"]["best_interval"] == int(np.argmax(dev)) + 1
    assert {"prediction_loss", "loss"} <= set(history)
    assert "attention_loss" in recipe.read_history(runs["root"] / "task" / "intermediate")


def _copy_of_teacher(runs, tmp_path, label_names=None, zero_head=False):
    copy = tmp_path / "teacher_copy"
    shutil.copytree(runs["teacher"]["preset"], copy)
    if label_names is not None:
        saved = json.loads((copy / presets.TASK_FILE).read_text())
        saved["label_names"] = label_names
        (copy / presets.TASK_FILE).write_text(json.dumps(saved))
    if zero_head:
        teacher = keras_hub.models.TextClassifier.from_preset(str(copy))
        head = teacher.get_layer("logits")
        head.set_weights([np.zeros_like(w) for w in head.get_weights()])
        shutil.rmtree(copy)
        teacher.save_to_preset(str(copy))
    return str(copy)


def test_stops_on_a_teacher_near_chance(runs, tmp_path):
    teacher = _copy_of_teacher(runs, tmp_path, zero_head=True)
    with pytest.raises(recipe.RecipeError, match=r"within 0.05 of chance .*finetune-teacher"):
        recipe.task_distill(teacher, STUDENT, runs["data"], tmp_path / "task", **FAST)


def test_stops_on_a_teacher_with_another_label_order(runs, tmp_path):
    teacher = _copy_of_teacher(runs, tmp_path, label_names=["pos", "neg"])
    with pytest.raises(recipe.RecipeError, match=r"labels are \('pos', 'neg'\)"):
        recipe.task_distill(teacher, STUDENT, runs["data"], tmp_path / "task", **FAST)


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_task_distill_from_a_released_checkpoint_on_the_hub(runs, tmp_path, isolated_cache,
                                                           monkeypatch, capsys, version):
    folder, _ = write_checkpoint(tmp_path / "hub", version=version, fit_size=8)
    serve_hub(monkeypatch, {HUB.format("4L_312D"): folder})
    summary = task_distill_tiny(runs, tmp_path / "task", student="hf://" + HUB.format("4L_312D"),
                               intermediate_epochs=0.2, prediction_epochs=0.2,
                               layer_map=[1, 1, 2, 2], shared_projection=version == "v1")
    name = "fit_dense" if version == "v1" else "fit_denses"
    assert f"The projections start from the student checkpoint's trained {name}." in (
        capsys.readouterr().out)
    student = keras_hub.models.TextClassifier.from_preset(summary["preset"])
    assert student.backbone.num_layers == 4 and student.backbone.hidden_dim == 12
    run = json.loads((tmp_path / "task" / "run.json").read_text())
    assert run["student"] == "hf://" + HUB.format("4L_312D") and run["checkpoint_projections"]


def test_evaluate_presets_compares_teacher_and_student(runs):
    rows, table = recipe.evaluate_presets(
        {"teacher": runs["teacher"]["preset"], "student": runs["task"]["preset"]}, runs["data"],
        EvaluationSettings(latency_repeats=3), batch_size=8,
    )
    assert rows["teacher"]["metrics"] == pytest.approx(runs["teacher"]["dev"])
    assert rows["student"]["metrics"] == pytest.approx(runs["task"]["student_dev"])
    assert rows["student"]["parameters"] < rows["teacher"]["parameters"]
    assert rows["student"]["size_bytes"] < rows["teacher"]["size_bytes"]
    assert "| student |" in table


def _open(folder, settings):
    with recipe.open_run(folder, settings) as finished:
        return finished


def test_a_run_that_never_trained_may_restart_with_new_settings(tmp_path):
    assert _open(tmp_path / "stage", {"teacher": "wrong/path"}) is None
    assert _open(tmp_path / "stage", {"teacher": "right/path"}) is None
    (tmp_path / "stage" / "history.csv").write_text("epoch,loss\n0,1.0\n")
    with pytest.raises(recipe.RecipeError, match=r"changed: \['teacher'\]"):
        _open(tmp_path / "stage", {"teacher": "other/path"})
    assert _open(tmp_path / "stage", {"teacher": "right/path"}) is None


def test_a_moved_preset_is_the_same_model_and_an_edited_one_is_not(runs, tmp_path):
    moved = tmp_path / "elsewhere" / "preset"
    shutil.copytree(runs["pretrained"], moved)
    assert recipe.describe_model(str(moved)) == recipe.describe_model(str(runs["pretrained"]))
    general = recipe.general_distill(
        str(moved), STUDENT, runs["root"] / "general", corpus=CORPUS,
        sequence_length=16, max_steps=4, steps_per_checkpoint=2, **FAST,
    )
    assert general == runs["general"]
    with open(moved / "config.json", "a", encoding="utf-8") as file:
        file.write("\n")
    assert recipe.describe_model(str(moved)) != recipe.describe_model(str(runs["pretrained"]))


def test_a_model_object_is_described_by_its_config_not_its_automatic_name(runs):
    teacher = keras_hub.models.Backbone.from_preset(runs["pretrained"])
    first = recipe.build_student(STUDENT, teacher)
    second = recipe.build_student(STUDENT, teacher)
    assert first.name != second.name
    assert recipe.describe_model(first) == recipe.describe_model(second)


def test_embeddings_from_teacher_refuses_a_student_that_has_embeddings(runs):
    teacher = keras_hub.models.Backbone.from_preset(runs["pretrained"])
    with pytest.raises(ValueError, match="already has trained embeddings"):
        recipe.build_student(runs["general"]["preset"], teacher, embeddings_from_teacher=True)


def test_loss_switches_reach_each_phase(runs, tmp_path):
    task_distill_tiny(runs, tmp_path / "task", intermediate_epochs=0.5, prediction_epochs=0.5,
                  attention_loss=False, prediction_loss=False, label_loss=True)
    phase_1 = training.read_history(tmp_path / "task" / "intermediate")
    phase_2 = training.read_history(tmp_path / "task" / "prediction")
    assert {"embedding_loss", "hidden_loss"} <= set(phase_1)
    assert "attention_loss" not in phase_1
    assert "label_loss" in phase_2 and "prediction_loss" not in phase_2


def test_a_pretrained_backbone_is_not_a_teacher(runs, tmp_path):
    with pytest.raises(recipe.RecipeError, match="not a fine-tuned classifier"):
        recipe.task_distill(runs["pretrained"], STUDENT, runs["data"], tmp_path / "task", **FAST)


def test_a_classifier_preset_carries_its_task(runs):
    saved = presets.read_task(runs["teacher"]["preset"])
    task = runs["data"].task
    assert saved["label_names"] == list(task.label_names)
    assert saved["sequence_length"] == task.sequence_length == 8
    assert saved["metrics"] == list(task.metrics)
