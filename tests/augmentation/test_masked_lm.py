import re

import keras_hub
import numpy as np
import pytest
from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm

from tinybert_keras.augmentation import masked_lm as masked_lm_module
from tinybert_keras.augmentation import offline_mlm_preset
from tinybert_keras.augmentation import train_masked_lm
from tinybert_keras.data import DataError


@pytest.fixture
def backbone_preset(tmp_path):
    pretrained = tiny_masked_lm()
    pretrained.backbone.save_to_preset(str(tmp_path / "backbone"))
    pretrained.preprocessor.tokenizer.save_to_preset(str(tmp_path / "backbone"))
    return tmp_path / "backbone", pretrained.backbone


def train(preset, train_backbone):
    return train_masked_lm(
        preset, SENTENCES * 4, train_backbone=train_backbone, steps=3, batch_size=4,
        sequence_length=24, verbose=0,
    )


def test_head_only_training_keeps_the_backbone_and_round_trips_as_a_preset(
    backbone_preset, tmp_path, monkeypatch
):
    preset, pretrained = backbone_preset
    initial = {}
    fit = keras_hub.models.BertMaskedLM.fit

    def fit_recording_the_initial_head(model, *args, **kwargs):
        for weight in model.get_layer("mlm_head").trainable_weights:
            initial[weight.path] = weight.numpy().copy()
        return fit(model, *args, **kwargs)

    monkeypatch.setattr(keras_hub.models.BertMaskedLM, "fit", fit_recording_the_initial_head)
    masked_lm = train(preset, train_backbone=False)
    for before, after in zip(pretrained.weights, masked_lm.backbone.weights):
        np.testing.assert_array_equal(before.numpy(), after.numpy())
    assert not masked_lm.backbone.trainable
    head = masked_lm.get_layer("mlm_head").trainable_weights
    assert head and sorted(initial) == sorted(weight.path for weight in head)
    for weight in head:
        assert np.any(weight.numpy() != initial[weight.path]), weight.path

    masked_lm.save_to_preset(str(tmp_path / "mlm"))
    reloaded = keras_hub.models.BertMaskedLM.from_preset(str(tmp_path / "mlm"))
    inputs = masked_lm.preprocessor(SENTENCES[:2])[0]
    np.testing.assert_allclose(reloaded(inputs), masked_lm(inputs), atol=1e-6)


def test_full_training_updates_the_backbone_from_the_pretrained_start(backbone_preset):
    preset, pretrained = backbone_preset
    masked_lm = train(preset, train_backbone=True)
    assert masked_lm.backbone.trainable
    for before, after in zip(pretrained.trainable_weights, masked_lm.backbone.trainable_weights):
        assert before.path == after.path
        if before.path.startswith("pooled_dense"):
            continue  # The pooler feeds no MLM prediction, so it gets no gradient.
        difference = np.abs(before.numpy() - after.numpy()).max()
        # Moved by a few optimizer steps from the pretrained values, not re-initialized.
        assert 0 < difference < 0.1, (before.path, difference)


def test_offline_preset_trains_once_on_all_but_the_held_out_sentences(
    backbone_preset, tmp_path, monkeypatch
):
    preset, _ = backbone_preset
    corpus = SENTENCES * 4 + ["held out one", "held out two"]
    monkeypatch.setenv("TINYBERT_KERAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(masked_lm_module, "news_sentences", lambda: corpus)
    seen = []

    def spy(backbone, texts, **kwargs):
        seen.append(list(texts))
        return train_masked_lm(backbone, texts, batch_size=4, sequence_length=24, verbose=0,
                               **kwargs)

    monkeypatch.setattr(masked_lm_module, "train_masked_lm", spy)
    path = offline_mlm_preset(preset, steps=2, held_out=2)
    assert seen == [corpus[:-2]]
    assert path.parent == tmp_path / "cache" / "masked_lms"
    keras_hub.models.BertMaskedLM.from_preset(str(path))
    assert offline_mlm_preset(preset, steps=2, held_out=2) == path
    assert len(seen) == 1
    assert offline_mlm_preset(preset, train_backbone=False, steps=2, held_out=2) != path
    assert len(seen) == 2
    weights = path / "model.weights.h5"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(DataError, match=rf"model.weights.h5 has .* bytes instead of .*Delete "
                                        rf"{re.escape(str(path))}"):
        offline_mlm_preset(preset, steps=2, held_out=2)
