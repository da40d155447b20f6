import keras
import pytest

import tinybert_keras
from tinybert_keras.core import compat
from tinybert_keras.core import layer_maps


def test_the_installed_keras_and_keras_hub_have_every_attribute_used():
    compat.check_supported()


def test_a_missing_attribute_names_itself_and_the_supported_versions():
    supported = compat.supported_versions()
    assert set(supported) == {"keras", "keras-hub"} and all(supported.values())
    with pytest.raises(compat.UnsupportedVersionError) as error:
        compat.self_attention_layer(keras.layers.Dense(2))
    message = str(error.value)
    assert message.startswith("Dense has no attribute '_self_attention_layer'")
    assert supported["keras"] in message and supported["keras-hub"] in message
    assert "pip install" in message


def test_public_names_and_modules_are_both_reachable():
    assert tinybert_keras.layer_map is layer_maps.layer_map
    assert layer_maps.layer_map("uniform", 2, 4) == (0, 2, 4)
    assert "Distiller" in dir(tinybert_keras)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        tinybert_keras.nothing
