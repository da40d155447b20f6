"""One forward pass of a keras-hub BERT that exposes every layer TinyBERT distills."""

import keras
import keras_hub

from tinybert_keras.core import compat


def embedding_model(backbone):
    """The part of a keras-hub BERT from its inputs to its embedding layer's output.

    Args:
        backbone: a `keras_hub.models.BertBackbone`.

    Returns:
        A functional `keras.Model` from the backbone's input dict to `[batch, seq, hidden]`,
        sharing the backbone's weights.

    Raises:
        ValueError: when the backbone's graph has no `embeddings_dropout` layer.

    Example:
    ```python
    import numpy as np
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16)
    x = {"token_ids": np.ones((2, 5), "int32"), "segment_ids": np.zeros((2, 5), "int32"),
         "padding_mask": np.ones((2, 5), "int32")}
    embedding_model(backbone)(x).shape  # (2, 5, 8)
    ```
    """
    try:
        embeddings = backbone.get_layer("embeddings_dropout").output
    except ValueError as error:
        raise ValueError(
            f"{type(backbone).__name__} has no `embeddings_dropout` layer, so its embedding "
            "output cannot be found; LayerwiseBert supports keras-hub BertBackbone graphs."
        ) from error
    return keras.Model(backbone.input, embeddings, name="embedding_model")


def pooled_and_logits(model, cls_hidden, training=None):
    """A BERT's pooler on the last layer's [CLS] row and, for a classifier, its head's logits.

    Args:
        model: a `keras_hub.models.BertBackbone` or `BertTextClassifier`.
        cls_hidden: the last Transformer layer's [CLS] row, `[batch, hidden]`.
        training: whether the classifier's dropout is active.

    Returns:
        `(pooled, logits)`: the pooled output `[batch, hidden]`, and the logits
        `[batch, num_classes]` (`None` for a backbone).

    Example:
    ```python
    import numpy as np
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16)
    classifier = keras_hub.models.BertTextClassifier(backbone, 3, preprocessor=None)
    pooled, logits = pooled_and_logits(classifier, np.ones((2, 8), "float32"))
    logits.shape  # (2, 3)
    ```
    """
    is_classifier = isinstance(model, keras_hub.models.BertTextClassifier)
    backbone = model.backbone if is_classifier else model
    pooled = backbone.pooled_dense(cls_hidden)
    if not is_classifier:
        return pooled, None
    return pooled, model.output_dense(model.output_dropout(pooled, training=training))


@keras.saving.register_keras_serializable(package="tinybert_keras")
class LayerwiseBert(keras.layers.Layer):
    """The layerwise view of a keras-hub `BertBackbone` or `BertTextClassifier`.

    One forward pass returns the embedding-layer output, every Transformer layer's hidden state,
    every layer's attention scores before softmax (`Q K^T / sqrt(d_k)`, the quantity TinyBERT's
    attention loss matches) and, for a classifier, its logits. It shares the model's weights, calls
    the model's own layers (no copy of keras-hub's encoder) and leaves the model's own outputs
    unchanged: the only hook is an instance-level `_compute_attention` on each self-attention layer,
    the override point `keras.layers.MultiHeadAttention` documents, which returns the pre-softmax
    scores only when this view asks for them (`tinybert_keras.core.compat.expose_attention_logits`).

    Args:
        model: a `keras_hub.models.BertBackbone`, or a keras-hub classifier whose `backbone` is
            one (e.g. `keras_hub.models.BertTextClassifier`).

    Call arguments:
        inputs: dict with `"token_ids"`, `"segment_ids"` and `"padding_mask"`, as the backbone takes.
        training: whether dropout is active.

    Returns:
        A dict: `"embeddings"` `[batch, seq, hidden]`; `"hidden_states"`, a list of
        `num_layers + 1` tensors `[batch, seq, hidden]` (index 0 is the embedding output, index `i`
        the output of Transformer layer `i`); `"attention_scores"`, a list of `num_layers` tensors
        `[batch, heads, seq, seq]` (masked keys keep their raw scores: masking is the loss's job);
        `"sequence_output"` and `"pooled_output"` as the backbone returns them; and `"logits"`
        when `model` is a classifier.

    Example:
    ```python
    import numpy as np
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=8,
        intermediate_dim=16, max_sequence_length=16)
    x = {"token_ids": np.ones((2, 5), "int32"), "segment_ids": np.zeros((2, 5), "int32"),
         "padding_mask": np.ones((2, 5), "int32")}
    outputs = LayerwiseBert(backbone)(x)
    outputs["attention_scores"][0].shape  # (2, 2, 5, 5)
    ```
    """

    def __init__(self, model, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(model, (keras_hub.models.BertBackbone, keras_hub.models.BertTextClassifier)):
            raise ValueError(
                "LayerwiseBert needs a keras_hub.models.BertBackbone or BertTextClassifier; got "
                f"{type(model).__name__}."
            )
        self.model = model
        self.embedding_model = embedding_model(self.backbone)
        for layer in self.backbone.transformer_layers:
            compat.expose_attention_logits(layer)

    @property
    def backbone(self):
        """The `BertBackbone` of the model (the model itself, or its classifier's backbone)."""
        return self.model.backbone if self.is_classifier else self.model

    @property
    def is_classifier(self):
        """Whether the model is a `BertTextClassifier` (so the view also returns logits)."""
        return isinstance(self.model, keras_hub.models.BertTextClassifier)

    @property
    def metrics(self):
        # A keras-hub task compiles itself on construction; its metrics are not this view's.
        return []

    def call(self, inputs, training=None):
        x = self.embedding_model(inputs, training=training)
        hidden_states = [x]
        attention_scores = []
        for layer in self.backbone.transformer_layers:
            x, scores = layer(
                x,
                padding_mask=inputs["padding_mask"],
                training=training,
                return_attention_scores=compat.ATTENTION_LOGITS,
            )
            hidden_states.append(x)
            attention_scores.append(scores)
        pooled, logits = pooled_and_logits(
            self.model, x[:, self.backbone.cls_token_index, :], training=training
        )
        outputs = {
            "embeddings": hidden_states[0],
            "hidden_states": hidden_states,
            "attention_scores": attention_scores,
            "sequence_output": x,
            "pooled_output": pooled,
        }
        if logits is not None:
            outputs["logits"] = logits
        return outputs

    def get_config(self):
        config = super().get_config()
        config["model"] = keras.saving.serialize_keras_object(self.model)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["model"] = keras.saving.deserialize_keras_object(config["model"])
        return cls(**config)
