"""`tinybert-keras run --config` with a file that sets every setting, on tiny models."""

import json
import pathlib

import yaml

from recipe_tiny import tiny_teacher_preset
from tinybert_keras import cli
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config.fields import leaves

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"


def every_setting(tmp_path):
    augmented = tmp_path / "trec_aug.tsv"
    augmented.write_text("question\tlabel\nwhat is a bird ?\tDESC\nwho is he ?\tHUM\n"
                         "where is it ?\tLOC\nhow many ?\tNUM\n")
    layerwise = {"shared_projection": True, "average_attention_heads": True,
                 "embedding_loss": True, "attention_loss": True, "hidden_loss": False,
                 "formulation": "official", "teacher_dtype": "bfloat16"}
    return {
        "task": "trec", "dataset_options": {"seed": 1}, "sequence_length": 16,
        "train_examples": 48, "dev_examples": 24, "batch_size": 8, "seed": 1,
        "jit_compile": False, "teacher": tiny_teacher_preset(tmp_path / "pretrained"),
        "student": {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 1},
        "output_dir": str(tmp_path / "run"), "share_teacher": True, "labels_only": True,
        "finetune": {"epochs": 1.0, "learning_rate": 1e-3, "warmup_fraction": 0.2,
                     "steps_per_checkpoint": 3},
        "general": {"corpus": [str(FIXTURES / "corpus")], "epochs": 0.5, "max_steps": 2,
                    "learning_rate": 1e-3, "sequence_length": 16, "steps_per_checkpoint": 1,
                    "layer_map": [2], "embeddings_from_teacher": True, **layerwise},
        "distill": {"augmented_train": str(augmented), "intermediate_epochs": 0.5,
                    "intermediate_learning_rate": 1e-3, "prediction_epochs": 0.5,
                    "prediction_learning_rate": 1e-3, "warmup_fraction": 0.2,
                    "steps_per_checkpoint": 2, "layer_map": "top", "temperature": 2.0,
                    "prediction_loss": False, "label_loss": True, "min_teacher_margin": None,
                    "embeddings_from_teacher": False, "cache_teacher_logits": True, **layerwise},
        "baseline": {"epochs": 0.5, "learning_rate": 1e-3, "warmup_fraction": 0.0,
                     "steps_per_checkpoint": 2},
        "evaluation": {"split": "dev", "latency_repeats": 1},
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
    assert task["data"]["sequence_length"] == 16 and task["data"]["sizes"]["train"] == 48
    assert "labels-only student:" in capsys.readouterr().out
