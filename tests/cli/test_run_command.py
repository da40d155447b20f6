"""`tinybert-keras run --config` with a file that sets every setting, on tiny models and a
task of the user's own CSV files."""

import json
import math
import pathlib

import yaml

from augmentation_tiny import tiny_glove_file
from checkpoint_tiny import HUB
from checkpoint_tiny import serve_hub
from checkpoint_tiny import write_checkpoint
from recipe_tiny import tiny_csv_files
from recipe_tiny import tiny_teacher_preset
from tinybert_keras import cli
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"


def every_setting(tmp_path):
    files = tiny_csv_files(tmp_path / "reviews")
    glove = tiny_glove_file(tmp_path / "glove.txt")
    layerwise = {"shared_projection": True, "checkpoint_projections": False,
                 "average_attention_heads": True,
                 "embedding_loss": True, "attention_loss": True, "hidden_loss": False,
                 "formulation": "official", "teacher_dtype": "bfloat16"}
    return {
        "task": "my_reviews", **files, "text_columns": ["review"], "label_column": "sentiment",
        "label_names": ["pos", "neg"], "regression": False, "metrics": ["f1", "accuracy"],
        "dataset_options": {"encoding": "utf-8"}, "sequence_length": 16,
        "train_examples": 48, "dev_examples": 20, "batch_size": 8, "seed": 1,
        "jit_compile": False, "teacher": tiny_teacher_preset(tmp_path / "pretrained"),
        "student": {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 1},
        "output_dir": str(tmp_path / "run"), "share_teacher": True, "labels_only": True,
        "data_augmentation": True,
        "finetune": {"epochs": 1.0, "learning_rate": 1e-3, "warmup_fraction": 0.2,
                     "steps_per_checkpoint": 3},
        "general": {"corpus": [str(FIXTURES / "corpus")], "epochs": 0.5, "max_steps": 2,
                    "learning_rate": 1e-3, "sequence_length": 16, "steps_per_checkpoint": 1,
                    "layer_map": [2], "embeddings_from_teacher": True, **layerwise},
        "distill": {"augmented_train": None, "intermediate_epochs": 0.5, "intermediate_steps": 3,
                    "intermediate_learning_rate": 1e-3, "prediction_epochs": 0.5,
                    "prediction_steps": None, "prediction_learning_rate": 1e-3,
                    "warmup_fraction": 0.2,
                    "steps_per_checkpoint": 2, "layer_map": "top", "temperature": 2.0,
                    "prediction_loss": False, "label_loss": True, "min_teacher_margin": None,
                    "embeddings_from_teacher": False, "cache_teacher_logits": True, **layerwise},
        "baseline": {"epochs": 0.5, "learning_rate": 1e-3, "warmup_fraction": 0.0,
                     "steps_per_checkpoint": 2},
        "evaluation": {"split": "dev", "latency_repeats": 1},
        "augmentation": {"num_augmentations": 2, "num_candidates": 3, "replace_probability": 0.5,
                         "seed": 1, "masked_lm": "none", "word_vectors": glove,
                         "max_words": 1000, "fast": False, "jit_compile": False,
                         "batch_size": 8, "chunk_size": 16},
    }


def test_the_file_names_every_setting(tmp_path):
    values = every_setting(tmp_path)
    for path, _ in leaves(RecipeConfig):
        section, _, name = path.rpartition(".")
        assert name in (values[section] if section else values), path


def test_run_with_a_config_that_sets_every_setting(tmp_path, isolated_cache, capsys):
    config = tmp_path / "every.yaml"
    config.write_text(yaml.safe_dump(every_setting(tmp_path)))
    assert cli.main(["run", "--config", str(config)]) == 0
    root = tmp_path / "run"
    report = json.loads((root / "report.json").read_text())
    assert list(report["rows"]) == ["teacher", "TinyBERT student", "labels-only student"]
    assert report["teacher"]["preset"].startswith(str(isolated_cache / "teachers"))
    general = json.loads((root / "general" / "run.json").read_text())
    assert general["layer_map"] == [2] and general["formulation"] == "official"
    task = json.loads((root / "task" / "run.json").read_text())
    assert task["temperature"] == 2.0 and task["label_loss"] is True
    assert task["teacher_dtype"] == general["teacher_dtype"] == "bfloat16"
    assert task["augmented_train"] == report["augmentation"]["path"]
    assert report["augmentation"]["rows"] >= 48
    # Phase 2 too trains on the augmented set (half an epoch of it, batch 8).
    prediction = json.loads((root / "task" / "prediction" / "summary.json").read_text())
    assert prediction["steps"] == math.ceil(0.5 * math.ceil(report["augmentation"]["rows"] / 8))
    assert task["data"]["sequence_length"] == 16 and task["data"]["sizes"]["train"] == 48
    assert task["data"]["name"] == "my_reviews" and task["data"]["label_names"] == ["pos", "neg"]
    assert task["data"]["sizes"] == {"train": 48, "dev": 20, "test": 24}
    assert list(report["rows"]["teacher"]["metrics"]) == ["f1", "accuracy"]
    saved = json.loads((root / "task" / "preset" / "tinybert_task.json").read_text())
    assert saved["text_columns"] == ["review"] and saved["label_column"] == "sentiment"
    assert "labels-only student:" in capsys.readouterr().out


def test_run_with_a_released_student_from_the_hub(tmp_path, isolated_cache, monkeypatch, capsys):
    folder, _ = write_checkpoint(tmp_path / "hub", fit_size=8)
    serve_hub(monkeypatch, {HUB.format("4L_312D"): folder})
    config = tmp_path / "released.yaml"
    config.write_text(yaml.safe_dump({
        "task": "trec", "sequence_length": 16, "train_examples": 48, "dev_examples": 24,
        "batch_size": 8, "jit_compile": False, "output_dir": str(tmp_path / "run"),
        "teacher": tiny_teacher_preset(tmp_path / "pretrained"),
        "student": "hf://" + HUB.format("4L_312D"),
        "finetune": {"epochs": 1.0, "learning_rate": 1e-3},
        "distill": {"intermediate_epochs": 0.5, "prediction_epochs": 0.5,
                    "layer_map": [1, 1, 2, 2], "shared_projection": True,
                    "min_teacher_margin": None},
        "evaluation": {"latency_repeats": 1},
    }))
    assert cli.main(["run", "--config", str(config)]) == 0
    assert "start from the student checkpoint's trained fit_dense" in capsys.readouterr().out
    report = json.loads((tmp_path / "run" / "report.json").read_text())
    assert report["general"] is None
    import keras_hub

    student = keras_hub.models.TextClassifier.from_preset(report["task"]["preset"])
    assert (student.backbone.num_layers, student.backbone.hidden_dim) == (4, 12)
