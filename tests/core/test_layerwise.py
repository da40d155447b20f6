
import keras
import numpy as np
import pytest
import tensorflow as tf

from tinybert_keras.core.layerwise import LayerwiseBert


def masked_softmax(logits, padding_mask):
    logits = np.where(padding_mask[:, None, None, :] == 1, logits, -np.inf)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def check_layerwise(backbone, x, atol):
    reference = backbone(x)
    outputs = LayerwiseBert(backbone)(x)
    num_layers = backbone.num_layers
    assert len(outputs["hidden_states"]) == num_layers + 1
    assert len(outputs["attention_scores"]) == num_layers
    np.testing.assert_array_equal(outputs["sequence_output"], reference["sequence_output"])
    np.testing.assert_array_equal(outputs["hidden_states"][-1], reference["sequence_output"])
    np.testing.assert_array_equal(outputs["pooled_output"], reference["pooled_output"])
    seq = x["token_ids"].shape[1]
    for i, layer in enumerate(backbone.transformer_layers):
        logits = np.asarray(outputs["attention_scores"][i])
        assert logits.shape == (len(x["token_ids"]), backbone.num_heads, seq, seq)
        hidden, probabilities = layer(
            outputs["hidden_states"][i], padding_mask=x["padding_mask"],
            return_attention_scores=True,
        )
        np.testing.assert_array_equal(hidden, outputs["hidden_states"][i + 1])
        np.testing.assert_allclose(
            masked_softmax(logits, x["padding_mask"]), probabilities, atol=atol
        )
    # Wrapping changed nothing in the backbone's own forward pass.
    np.testing.assert_array_equal(backbone(x)["sequence_output"], reference["sequence_output"])
    return outputs


@pytest.mark.parametrize("num_layers, hidden_dim, num_heads", [(2, 8, 2), (4, 16, 4)])
def test_matches_backbone_exactly(make_bert, batch, num_layers, hidden_dim, num_heads):
    check_layerwise(make_bert(num_layers, hidden_dim, num_heads, dropout=0.1), batch[0], atol=1e-6)


def test_matches_fused_attention_backbone(make_bert, batch):
    # Without dropout Keras runs a fused attention kernel whose sums may differ in the last bit.
    backbone = make_bert(4, 16, 4, dropout=0.0)
    outputs = LayerwiseBert(backbone)(batch[0])
    np.testing.assert_allclose(
        outputs["sequence_output"], backbone(batch[0])["sequence_output"], atol=1e-6
    )


def test_scores_are_before_softmax(make_bert, batch):
    backbone = make_bert()
    outputs = LayerwiseBert(backbone)(batch[0])
    first = backbone.transformer_layers[0]._self_attention_layer
    query = first._query_dense(outputs["embeddings"])
    key = first._key_dense(outputs["embeddings"])
    expected = np.einsum("bqhd,bkhd->bhqk", query, key) / np.sqrt(first._key_dim)
    np.testing.assert_allclose(outputs["attention_scores"][0], expected, atol=1e-5)


def test_classifier_logits(make_bert, batch):
    classifier = make_bert(num_classes=3)
    outputs = LayerwiseBert(classifier)(batch[0])
    np.testing.assert_array_equal(outputs["logits"], classifier(batch[0]))
    assert len(LayerwiseBert(classifier).weights) == len(classifier.weights)


def test_xla_and_dropout(make_bert, batch):
    backbone = make_bert(dropout=0.1)
    view = LayerwiseBert(backbone)
    compiled = tf.function(lambda x: view(x, training=False), jit_compile=True)
    np.testing.assert_allclose(
        compiled(batch[0])["sequence_output"], backbone(batch[0])["sequence_output"], atol=1e-5
    )
    trained = view(batch[0], training=True)["sequence_output"]
    assert not np.allclose(trained, backbone(batch[0])["sequence_output"])


def test_config_round_trip(make_bert, batch):
    view = LayerwiseBert(make_bert(num_classes=2))
    restored = LayerwiseBert.from_config(view.get_config())
    assert restored.backbone.num_layers == view.backbone.num_layers and restored.is_classifier


def test_rejects_other_models():
    with pytest.raises(ValueError, match="BertBackbone or BertTextClassifier"):
        LayerwiseBert(keras.Sequential([keras.layers.Dense(2)]))


@pytest.mark.slow
def test_real_pretrained_minilm():
    import keras_hub

    from tinybert_keras.data.registry import resolve_preset

    preset = resolve_preset("all_minilm_l6_v2")
    backbone = keras_hub.models.BertBackbone.from_preset(preset)
    tokenizer = keras_hub.models.BertTokenizer.from_preset(preset)
    preprocessor = keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=16)
    x = preprocessor(["the film is a quiet triumph", "dull"])
    x = {k: np.asarray(v) for k, v in x.items()}
    outputs = check_layerwise(backbone, x, atol=1e-5)
    assert backbone.num_layers == 6 and backbone.num_heads == 12
    # A pretrained model's [CLS] row attends sharply somewhere: not a uniform distribution.
    probabilities = masked_softmax(np.asarray(outputs["attention_scores"][0]), x["padding_mask"])
    assert probabilities[0, :, 0, :].max() > 0.5
