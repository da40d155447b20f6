import keras_hub
import numpy as np
from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm

from tinybert_keras.augmentation import train_mlm_head


def test_trains_only_the_head_and_round_trips_as_a_preset(tmp_path):
    pretrained = tiny_masked_lm()
    pretrained.backbone.save_to_preset(str(tmp_path / "backbone"))
    pretrained.preprocessor.tokenizer.save_to_preset(str(tmp_path / "backbone"))

    masked_lm = train_mlm_head(
        tmp_path / "backbone", SENTENCES * 4, steps=3, batch_size=4, sequence_length=24,
        verbose=0,
    )
    for before, after in zip(pretrained.backbone.weights, masked_lm.backbone.weights):
        np.testing.assert_array_equal(before.numpy(), after.numpy())
    assert not masked_lm.backbone.trainable
    head = masked_lm.get_layer("mlm_head")
    assert head.trainable_weights and all(np.any(w.numpy() != 0) for w in head.trainable_weights)

    masked_lm.save_to_preset(str(tmp_path / "mlm"))
    reloaded = keras_hub.models.BertMaskedLM.from_preset(str(tmp_path / "mlm"))
    inputs = masked_lm.preprocessor(SENTENCES[:2])[0]
    np.testing.assert_allclose(reloaded(inputs), masked_lm(inputs), atol=1e-6)
