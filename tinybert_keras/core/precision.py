"""A frozen teacher in lower precision: the same weights, stored and run in bfloat16 or float16."""

import keras_hub

from tinybert_keras.config.stages import TEACHER_DTYPES


def with_dtype(model, dtype):
    """A copy of a keras-hub BERT whose weights and computations are all in `dtype`.

    A frozen teacher needs no float32 master weights: its copy in bfloat16 reads half the bytes
    per step and, where the hardware has bfloat16 instructions (CPUs with AVX512_BF16 or AMX,
    NVIDIA GPUs from Ampere on), multiplies at up to twice the float32 rate. Use float16 on GPUs
    without bfloat16. Layer normalization and softmax keep Keras' own safeguards (layer
    normalization runs in float32), and whatever consumes the outputs should cast them to float32,
    as the TinyBERT losses do. The model itself is left as it is.

    Args:
        model: a keras-hub `Backbone`, or a task model built on one (e.g. `BertTextClassifier`).
        dtype: `"float32"`, `"bfloat16"` or `"float16"`.

    Returns:
        `model` itself when it already runs in `dtype`, else a new model of the same class and
        config with `dtype` weights, not trainable.

    Example:
    ```python
    import keras_hub
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=100, num_layers=2, num_heads=2, hidden_dim=8, intermediate_dim=16)
    with_dtype(backbone, "bfloat16").weights[0].dtype  # 'bfloat16'
    ```
    """
    if dtype not in TEACHER_DTYPES:
        raise ValueError(f"dtype must be one of {TEACHER_DTYPES}; got {dtype!r}.")
    if model.dtype_policy.name == dtype:
        return model
    is_task = isinstance(model, keras_hub.models.Task)
    backbone = model.backbone if is_task else model
    copy = type(backbone).from_config({**backbone.get_config(), "dtype": dtype})
    if is_task:
        copy = type(model).from_config({**model.get_config(), "backbone": copy})
    copy.set_weights(model.get_weights())
    copy.trainable = False
    return copy
