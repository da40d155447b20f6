import json

import pytest

from tinybert_keras.config import ConfigError
from tinybert_keras.config import DistillSettings
from tinybert_keras.config import FinetuneSettings
from tinybert_keras.config import RecipeConfig
from tinybert_keras.config import TrainingSettings
from tinybert_keras.config import split_overrides
from tinybert_keras.config.fields import leaves
from tinybert_keras.config.named import NAMED_CONFIGS


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_through_file(tmp_path, suffix):
    config = RecipeConfig(
        task="rotten_tomatoes", dataset_options={"seed": 1},
        student={"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        distill={"layer_map": [2, 4], "attention_loss": False}, labels_only=True,
    )
    path = tmp_path / f"recipe{suffix}"
    config.to_file(path)
    assert RecipeConfig.from_file(path) == config


def test_a_file_with_some_settings_keeps_the_paper_defaults(tmp_path):
    path = tmp_path / "recipe.yml"
    path.write_text("task: mrpc\ndistill:\n  intermediate_epochs: 10\n")
    config = RecipeConfig.from_file(path)
    assert config.task == "mrpc"
    assert config.distill.intermediate_epochs == 10
    assert config.distill.prediction_epochs == 3.0
    assert config.distill.intermediate_learning_rate == 5e-5
    assert config.finetune == FinetuneSettings()


@pytest.mark.parametrize("values, message", [
    ({"batchsize": 16}, r"Unknown setting 'batchsize'. Did you mean 'batch_size'\?"),
    ({"intermediate_epochs": 10}, r"Unknown setting 'intermediate_epochs'. It belongs to the "
                                   r"'distill' section"),
    ({"distill": {"temprature": 2}}, r"Unknown setting 'distill.temprature'. Did you mean "
                                     r"'temperature'\?"),
])
def test_unknown_names_say_what_was_meant(tmp_path, values, message):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps(values))
    with pytest.raises(ConfigError, match=rf"recipe.json: {message}"):
        RecipeConfig.from_file(path)


@pytest.mark.parametrize("values, message", [
    ({"batch_size": 0}, "batch_size must be >= 1; got 0"),
    ({"batch_size": 2.5}, "batch_size must be an integer"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"finetune": {"epochs": -1}}, "finetune.epochs must be > 0"),
    ({"finetune": {"learning_rate": float("nan")}},
     "finetune.learning_rate must be a finite number"),
    ({"general": {"learning_rate": float("inf")}}, "general.learning_rate must be a finite number"),
    ({"distill": {"layer_map": [3, 1]}}, r"distill.layer_map: The layer map \[3, 1\] goes down"),
    ({"finetune": {"steps_per_checkpoint": 0}}, "finetune.steps_per_checkpoint must be >= 1"),
    ({"distill": {"warmup_fraction": 1.5}}, "distill.warmup_fraction must be >= 0 and <= 1"),
    ({"distill": {"min_teacher_margin": -1}}, "distill.min_teacher_margin must be >= 0"),
    ({"distill": {"formulation": "mine"}}, "distill.formulation must be one of paper, official"),
    ({"distill": {"layer_map": "middle"}}, "distill.layer_map must be uniform, top, bottom"),
    ({"distill": {"layer_map": [2, 0]}}, "distill.layer_map must be"),
    ({"student": 4}, "student must be a shape name"),
    ({"student": {"num_layers": 2}}, "student is a shape without"),
    ({"labels_only": "yes"}, "labels_only must be true or false"),
    ({"distill": 3}, "distill must be a mapping of DistillSettings settings"),
    ({"distill": {"intermediate_epochs": 0, "prediction_epochs": 0}}, "both 0"),
    ({"distill": {"embedding_loss": False, "attention_loss": False, "hidden_loss": False}},
     "Phase 1 has no loss"),
    ({"distill": {"prediction_loss": False}}, "Phase 2 has no loss"),
])
def test_bad_values_say_what_to_change(values, message):
    with pytest.raises(ConfigError, match=message):
        RecipeConfig.from_dict(values)


def test_a_missing_config_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match="No config file"):
        RecipeConfig.from_file(tmp_path / "missing.yaml")


@pytest.mark.parametrize("name, content, message", [
    ("bad.json", "{not json", "bad.json is not valid JSON"),
    ("bad.yaml", "task: [sst2\n", "bad.yaml is not valid YAML"),
    ("list.yaml", "- a\n- b\n", "must be a mapping"),
    ("recipe.toml", "", "use a .yaml, .yml or .json file"),
])
def test_bad_files_say_what_is_wrong(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        RecipeConfig.from_file(path)


def test_named_configs():
    assert RecipeConfig.from_file("paper") == RecipeConfig()
    demo = RecipeConfig.from_file("demo")
    assert demo.teacher == "all_minilm_l6_v2" and demo.labels_only and demo.share_teacher
    assert demo.distill.prediction_learning_rate == 2e-3
    assert set(NAMED_CONFIGS) == {"paper", "demo", "demo_quick", "ablation", "cpu"}
    with pytest.raises(ConfigError, match=r"No config named 'dmeo'.*demo_quick"):
        RecipeConfig.from_file("dmeo")


def test_each_setting_is_declared_with_help_and_a_checked_default():
    settings = list(leaves(RecipeConfig))
    assert "distill.temperature" in dict(settings)
    for path, field in settings:
        assert field.metadata["help"].strip(), path
        assert field.metadata["kind"] is not None, path
    assert RecipeConfig.from_dict(RecipeConfig().to_dict()) == RecipeConfig()


def test_keyword_settings_go_to_the_group_that_declares_them():
    distill, training = split_overrides(
        {"temperature": 2.0, "batch_size": 8}, DistillSettings(), TrainingSettings()
    )
    assert distill.temperature == 2.0 and training.batch_size == 8
    with pytest.raises(ConfigError, match=r"Unknown setting 'temprature'. Did you mean"):
        split_overrides({"temprature": 2.0}, DistillSettings(), TrainingSettings())
