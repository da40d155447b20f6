"""The private attributes of Keras and keras-hub this package relies on, in one place.

TinyBERT needs four things neither library exposes: the attention scores before softmax of every
keras-hub BERT layer, the sublayers of its last layer (to export a classifier that computes only
the [CLS] row there), the `loss` metric tracker of a `keras.Model` whose `train_step` is
overridden, a file of a preset wherever it lives (a folder, `hf://`, `kaggle://`), and a way
around Keras' multi-worker `fit` (keras-team/keras#20585). They are
reached through private attributes, named here and nowhere else, so that a release that renames
one fails at `check_supported()` with the attribute's name instead of deep inside a stage.

The versions these attributes were checked against are the bounds of `keras` and `keras-hub` in
`pyproject.toml`; `supported_versions()` reads them from the installed package's metadata.
"""

import importlib
import importlib.metadata
import types

import keras
import keras_hub
from keras import ops
from packaging.requirements import Requirement

# Passed as `return_attention_scores` through keras-hub's `TransformerEncoder` into its
# `MultiHeadAttention`. Both only test it for truth, so it reaches `_compute_attention` intact,
# where it asks for the scores before softmax instead of the probabilities.
ATTENTION_LOGITS = "logits"
# keras-hub's `TransformerEncoder` keeps its attention layer here.
SELF_ATTENTION_LAYER = "_self_attention_layer"
# `keras.layers.MultiHeadAttention` internals that `attention_with_logits` re-implements around.
ATTENTION_INTERNALS = (
    "_compute_attention", "_inverse_sqrt_key_dim", "_dot_product_equation", "_masked_softmax",
    "_dropout", "_dropout_layer", "_combine_equation",
)
# keras-hub's `TransformerEncoder` sublayers, in the order its post-norm `call` applies them.
ENCODER_SUBLAYERS = (
    "_self_attention_layer", "_self_attention_dropout", "_self_attention_layer_norm",
    "_feedforward_intermediate_dense", "_feedforward_output_dense", "_feedforward_dropout",
    "_feedforward_layer_norm",
)
# `keras.Model` keeps the tracker behind the `loss` entry of the logs here.
LOSS_TRACKER = "_loss_tracker"
# keras-hub's function that fetches one file of a preset, local or on a hub.
PRESET_UTILS = "keras_hub.src.utils.preset_utils"
PRESET_GET_FILE = "get_file"
# keras.Model's TensorFlow trainer: the method `fit` calls to build a model inside a strategy,
# and the one that builds it from a batch.
MAYBE_SYMBOLIC_BUILD = "_maybe_symbolic_build"
SYMBOLIC_BUILD = "_symbolic_build"


class UnsupportedVersionError(RuntimeError):
    """A Keras or keras-hub release that lacks an attribute this package needs.

    Args:
        message: which attribute is missing, on what, and the supported versions.

    Example:
    ```python
    try:
        raise UnsupportedVersionError("no _loss_tracker on Model")
    except UnsupportedVersionError as error:
        print(error)
    ```
    """


def supported_versions():
    """The version ranges of Keras and keras-hub this package declares.

    Returns:
        A dict such as `{"keras": "<3.16,>=3.15", "keras-hub": "<0.33,>=0.31"}`, read from the
        installed `tinybert-keras` metadata (empty when it is not installed).

    Example:
    ```python
    supported_versions()["keras"]
    ```
    """
    try:
        requirements = importlib.metadata.requires("tinybert-keras") or []
    except importlib.metadata.PackageNotFoundError:
        return {}
    ranges = {}
    for requirement in map(Requirement, requirements):
        if requirement.name in ("keras", "keras-hub"):
            ranges[requirement.name] = str(requirement.specifier)
    return ranges


def _require(obj, attribute):
    if not hasattr(obj, attribute):
        supported = supported_versions()
        installed = {name: importlib.metadata.version(name) for name in ("keras", "keras-hub")}
        pins = " ".join(f"'{name}{spec}'" for name, spec in supported.items())
        raise UnsupportedVersionError(
            f"{type(obj).__name__} has no attribute {attribute!r}, which tinybert_keras needs. "
            f"Installed: {installed}; supported: {supported}. Install a supported version: "
            f"pip install {pins}."
        )
    return getattr(obj, attribute)


def self_attention_layer(transformer_layer):
    """The `MultiHeadAttention` inside a keras-hub `TransformerEncoder`.

    Args:
        transformer_layer: a `keras_hub.layers.TransformerEncoder` (an item of
            `BertBackbone.transformer_layers`).

    Returns:
        Its `keras.layers.MultiHeadAttention`, checked to have the internals that
        `tinybert_keras.core.layerwise` uses.

    Example:
    ```python
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16)
    attention = self_attention_layer(backbone.transformer_layers[0])
    ```
    """
    attention = _require(transformer_layer, SELF_ATTENTION_LAYER)
    for attribute in ATTENTION_INTERNALS:
        _require(attention, attribute)
    return attention


def _compute_attention_logits(
    self, query, key, value, attention_mask=None, training=None,
    return_attention_scores=False, **kwargs,
):
    if return_attention_scores != ATTENTION_LOGITS:
        return type(self)._compute_attention(
            self, query, key, value, attention_mask, training, return_attention_scores, **kwargs
        )
    query = ops.multiply(query, ops.cast(self._inverse_sqrt_key_dim, query.dtype))
    logits = ops.einsum(self._dot_product_equation, key, query)
    probabilities = self._masked_softmax(logits, attention_mask)
    if self._dropout > 0.0:
        probabilities = self._dropout_layer(probabilities, training=training)
    output = ops.einsum(self._combine_equation, probabilities, value)
    return output, logits


def expose_attention_logits(transformer_layer):
    """Lets a keras-hub `TransformerEncoder` return its attention scores before softmax.

    After this call, `transformer_layer(x, return_attention_scores=ATTENTION_LOGITS)` returns
    `(output, Q K^T / sqrt(d_k))`; every other call behaves exactly as before. The hook is an
    instance-level `_compute_attention`, the override point `keras.layers.MultiHeadAttention`
    documents for custom attention.

    Args:
        transformer_layer: a `keras_hub.layers.TransformerEncoder`.

    Example:
    ```python
    import numpy as np
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16)
    layer = backbone.transformer_layers[0]
    expose_attention_logits(layer)
    _, scores = layer(np.ones((1, 3, 8), "float32"), return_attention_scores=ATTENTION_LOGITS)
    scores.shape  # (1, 2, 3, 3)
    ```
    """
    attention = self_attention_layer(transformer_layer)
    attention._compute_attention = types.MethodType(_compute_attention_logits, attention)


def encoder_sublayers(transformer_layer):
    """The sublayers of a post-norm keras-hub `TransformerEncoder` (BERT's), in call order.

    Args:
        transformer_layer: a `keras_hub.layers.TransformerEncoder` with `normalize_first=False`.

    Returns:
        A dict from name (`"self_attention_layer"`, ..., `"feedforward_layer_norm"`, the private
        attribute without its underscore) to the layer.

    Example:
    ```python
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=1, num_heads=2, hidden_dim=8, intermediate_dim=16)
    sorted(encoder_sublayers(backbone.transformer_layers[0]))[0]  # 'feedforward_dropout'
    ```
    """
    if _require(transformer_layer, "normalize_first"):
        raise ValueError("Only post-norm encoders (normalize_first=False, as BERT's) are supported.")
    return {name[1:]: _require(transformer_layer, name) for name in ENCODER_SUBLAYERS}


def loss_tracker(model):
    """The `keras.metrics.Mean` behind the `loss` entry of a compiled model's logs.

    Args:
        model: a compiled `keras.Model`.

    Returns:
        The tracker; a custom `train_step` updates it with the total loss.

    Example:
    ```python
    import keras
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(loss="mse")
    loss_tracker(model).name  # 'loss'
    ```
    """
    return _require(model, LOSS_TRACKER)


def preset_file(preset, name):
    """The local path of one file of a keras-hub preset, fetched from its hub if need be.

    Args:
        preset: a preset directory or an `hf://` / `kaggle://` handle.
        name: the file's name inside the preset.

    Returns:
        A local path, or `None` if the preset has no such file.

    Example:
    ```python
    preset_file("runs/teacher/preset", "config.json")
    ```
    """
    get_file = _require(importlib.import_module(PRESET_UTILS), PRESET_GET_FILE)
    try:
        return get_file(str(preset), name)
    except FileNotFoundError:
        return None


def fit_across_workers(model):
    """Lets `model.fit` train under a multi-worker `MultiWorkerMirroredStrategy`.

    Keras 3's TensorFlow trainer fails there twice (keras-team/keras#20585): to build the model it
    averages a first input batch across workers, a nested structure the multi-worker reduce
    refuses; and it averages every scalar of the step's logs over an axis 0 they do not have.
    After this call the build takes this worker's own batch (only its shapes matter), and
    `train_step` and `test_step` return each log value as a vector of one, which that average
    over axis 0 turns back into the mean over the replicas. Nothing else changes.

    Args:
        model: a `keras.Model` built in the multi-worker strategy's scope; call this before `fit`.

    Example:
    ```python
    with strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    fit_across_workers(model)
    model.fit(dataset, epochs=2)
    ```
    """
    strategy = model.distribute_strategy
    symbolic_build = _require(model, SYMBOLIC_BUILD)
    _require(model, MAYBE_SYMBOLIC_BUILD)

    def local(value):
        return strategy.experimental_local_results(value)[0]

    def build(iterator=None, data_batch=None):
        if iterator is not None:
            for _, _, batches in iterator:
                data_batch = keras.tree.map_structure(local, next(batches))
                break
        with strategy.scope():
            symbolic_build(data_batch=data_batch)

    def vectors(step):
        return lambda data: keras.tree.map_structure(
            lambda value: ops.reshape(value, (1,)), step(data)
        )

    setattr(model, MAYBE_SYMBOLIC_BUILD, build)
    model.train_step = vectors(model.train_step)
    model.test_step = vectors(model.test_step)


def check_supported():
    """Checks, on small models, every private attribute this package uses.

    Raises:
        UnsupportedVersionError: naming the missing attribute and the supported versions.

    Example:
    ```python
    check_supported()
    ```
    """
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=10, num_layers=1, num_heads=1, hidden_dim=4, intermediate_dim=8
    )
    self_attention_layer(backbone.transformer_layers[0])
    encoder_sublayers(backbone.transformer_layers[0])
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(loss="mse")
    loss_tracker(model)
    _require(model, MAYBE_SYMBOLIC_BUILD)
    _require(model, SYMBOLIC_BUILD)
    _require(importlib.import_module(PRESET_UTILS), PRESET_GET_FILE)
