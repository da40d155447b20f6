"""A BERT classifier's inference graph that computes only what its logits read."""

import keras
import keras_hub
from keras import ops

from tinybert_keras.core import compat
from tinybert_keras.core.layerwise import embedding_model
from tinybert_keras.core.layerwise import pooled_and_logits

INPUTS = ("token_ids", "segment_ids", "padding_mask")


def cls_only_classifier(classifier):
    """The same classifier, with its last Transformer layer computing the [CLS] row alone.

    A BERT classifier's logits read one row of the last layer's output, the [CLS] token's,
    through the pooler. Every other row of that layer (its queries, attention outputs,
    feed-forward and layer norms) is work thrown away at inference: a quarter of TinyBERT-4's
    encoder. This functional model calls the classifier's own layers (so it shares their
    weights): every layer but the last as they are, then the last one's attention with the
    [CLS] row as the only query over all keys and values, its feed-forward block on that row, the
    pooler and the head. The logits are the classifier's up to float rounding; use it for
    inference and export (`tinybert_keras.recipe.export_classifier` does), not for training.

    Args:
        classifier: a `keras_hub.models.BertTextClassifier` (a post-norm BERT).

    Returns:
        A `keras.Model` from the input dict (`token_ids`, `segment_ids`, `padding_mask`) to
        the logits `[batch, num_classes]`.

    Example:
    ```python
    import numpy as np
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16)
    classifier = keras_hub.models.BertTextClassifier(backbone, 3, preprocessor=None)
    x = {"token_ids": np.ones((2, 5), "int32"), "segment_ids": np.zeros((2, 5), "int32"),
         "padding_mask": np.ones((2, 5), "int32")}
    np.allclose(cls_only_classifier(classifier)(x), classifier(x), atol=1e-6)  # True
    ```
    """
    if not isinstance(classifier, keras_hub.models.BertTextClassifier):
        raise ValueError(
            f"cls_only_classifier needs a keras_hub.models.BertTextClassifier; got "
            f"{type(classifier).__name__}."
        )
    backbone = classifier.backbone
    inputs = {name: keras.Input(shape=(None,), dtype="int32", name=name) for name in INPUTS}
    x = embedding_model(backbone)(inputs)
    for layer in backbone.transformer_layers[:-1]:
        x = layer(x, padding_mask=inputs["padding_mask"])
    parts = compat.encoder_sublayers(backbone.transformer_layers[-1])
    index = backbone.cls_token_index
    row = x[:, index:index + 1, :]
    attended = parts["self_attention_layer"](
        query=row, value=x, attention_mask=ops.expand_dims(inputs["padding_mask"], 1)
    )
    row = parts["self_attention_layer_norm"](parts["self_attention_dropout"](attended) + row)
    hidden = parts["feedforward_output_dense"](parts["feedforward_intermediate_dense"](row))
    row = parts["feedforward_layer_norm"](parts["feedforward_dropout"](hidden) + row)
    _, logits = pooled_and_logits(classifier, row[:, 0, :])
    return keras.Model(inputs, logits, name=f"{classifier.name}_cls_only")
