import pytest

from tinybert_keras.config import BaselineSettings
from tinybert_keras.config import ConfigError
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import ExportSettings
from tinybert_keras.config import FinetuneSettings
from tinybert_keras.config import shard_range
from tinybert_keras.config import split_overrides
from tinybert_keras.config.ablation import AblationSettings


def test_several_choices_are_checked_one_by_one_and_repeats_dropped():
    settings = ExportSettings(formats="onnx", precisions=["int8", "float32", "int8"])
    assert settings.formats == ["onnx"] and settings.precisions == ["int8", "float32"]
    with pytest.raises(ConfigError, match=r"precisions\[1\] must be one of float32, int8; "
                                          r"got 'int4'"):
        ExportSettings(precisions=["int8", "int4"])
    with pytest.raises(ConfigError, match="formats must list at least one value"):
        ExportSettings(formats=[])


def test_a_list_default_is_a_fresh_copy_for_each_instance():
    first, second = AblationSettings(), AblationSettings()
    first.seeds.append(9)
    assert second.seeds == [0, 1, 2] and AblationSettings().seeds == [0, 1, 2]


def test_a_shard_is_normalised_and_split_into_blocks():
    assert CorpusSettings(shard=" 1 / 4 ").shard == "1/4"
    assert list(shard_range("1/4", 10)) == [2, 3, 4]
    with pytest.raises(ConfigError, match="shard must be I/N with 0 <= I < N"):
        CorpusSettings(shard="4/4")
    with pytest.raises(ConfigError, match="splits 2 files 4 ways"):
        CorpusSettings(shard="0/4", num_files=2)


def test_a_keyword_two_groups_declare_goes_to_the_first():
    finetune, baseline = split_overrides({"epochs": 1.0}, FinetuneSettings(), BaselineSettings())
    assert finetune.epochs == 1.0 and baseline.epochs is None
