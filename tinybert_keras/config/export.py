"""The settings of exporting a distilled student for deployment (`tinybert-keras export`)."""

import dataclasses

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import Choice
from tinybert_keras.config.kinds import Several

FORMATS = ("onnx", "litert")
PRECISIONS = ("float32", "int8")


def _some_of(allowed, singular):
    # A repeated flag (`--precision int8 --precision float32`) cannot swallow the positional
    # preset and folder.
    return Several(item=Choice(values=allowed), singular=singular, unique=True,
                   metavar="{" + ",".join(allowed) + "}")


@dataclasses.dataclass(frozen=True)
class ExportSettings(Settings):
    """Which files `export` writes for a classifier preset.

    Args:
        formats: `"onnx"` (run by ONNX Runtime) and/or `"litert"` (LiteRT, formerly TensorFlow
            Lite), both written by Keras' own `model.export`.
        precisions: `"float32"` and/or `"int8"`: dynamic-range quantization by each runtime's
            own tool (int8 weights, activations quantized on the fly, no calibration data).
        cls_only_last_layer: the last Transformer layer computes only the [CLS] row, the only
            one the logits read (`tinybert_keras.core.inference.cls_only_classifier`).

    Example:
    ```python
    ExportSettings(formats=["onnx"], precisions=["int8"])
    ```
    """

    formats: list = setting(
        list(FORMATS), "Runtimes to export for, one or both: onnx (ONNX Runtime), litert (LiteRT, "
        "formerly TensorFlow Lite).", _some_of(FORMATS, "format"))
    precisions: list = setting(
        list(PRECISIONS), "Precisions, one or both: float32, int8 (dynamic-range: int8 weights, "
        "activations quantized on the fly).", _some_of(PRECISIONS, "precision"))
    cls_only_last_layer: bool = setting(
        True, "The last layer computes only the [CLS] row, the only one the logits read (same "
        "logits, a layer's worth less work per token).", Boolean())
