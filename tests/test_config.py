import json

import pytest

from tinybert_keras.config import ConfigError
from tinybert_keras.config import RecipeConfig


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_round_trip_through_file(tmp_path, suffix):
    config = RecipeConfig(task="rotten_tomatoes", student={"num_layers": 2, "hidden_dim": 8,
                          "intermediate_dim": 16, "num_heads": 2}, layer_map=[2, 4],
                          dataset_options={"seed": 1})
    path = tmp_path / f"recipe{suffix}"
    config.to_file(path)
    assert RecipeConfig.from_file(path) == config


def test_yaml_with_some_settings_keeps_paper_defaults(tmp_path):
    path = tmp_path / "recipe.yml"
    path.write_text("task: mrpc\nintermediate_epochs: 10\n")
    config = RecipeConfig.from_file(path)
    assert (config.task, config.intermediate_epochs, config.prediction_epochs) == ("mrpc", 10, 3.0)


def test_unknown_key_suggests_the_close_one(tmp_path):
    path = tmp_path / "recipe.json"
    path.write_text(json.dumps({"batchsize": 16}))
    with pytest.raises(ConfigError, match=r"recipe.json: Unknown setting 'batchsize'.*'batch_size'"):
        RecipeConfig.from_file(path)


@pytest.mark.parametrize("values, message", [
    ({"batch_size": 0}, "batch_size must be >= 1"),
    ({"batch_size": 2.5}, "batch_size must be an integer"),
    ({"warmup_fraction": 1.5}, "warmup_fraction must be >= 0 and <= 1"),
    ({"prediction_learning_rate": 0}, "prediction_learning_rate must be > 0"),
    ({"formulation": "mine"}, "formulation must be 'paper' or 'official'"),
    ({"layer_map": "middle"}, "layer_map must be"),
    ({"student": 4}, "student must be a shape name"),
    ({"embeddings_from_teacher": "yes"}, "embeddings_from_teacher must be true or false"),
])
def test_bad_values_say_what_to_change(values, message):
    with pytest.raises(ConfigError, match=message):
        RecipeConfig.from_dict(values)


def test_bad_file_errors(tmp_path):
    with pytest.raises(ConfigError, match="No config file"):
        RecipeConfig.from_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        RecipeConfig.from_file(bad)
    listing = tmp_path / "list.yaml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        RecipeConfig.from_file(listing)
