"""The settings of exporting a distilled student for deployment (`tinybert-keras export`)."""

import dataclasses

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Custom

FORMATS = ("onnx", "litert")
PRECISIONS = ("float32", "int8")


def _subset(allowed):
    def check(name, value):
        values = [value] if isinstance(value, str) else value
        if (not isinstance(values, (list, tuple)) or not values
                or any(item not in allowed for item in values)):
            raise ConfigError(
                f"{name} must be one or more of {', '.join(allowed)}; got {value!r}."
            )
        return list(dict.fromkeys(values))

    return Custom(checker=check, parser=lambda text: text.split(","),
                  metavar=",".join(allowed))


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
        list(FORMATS), "Runtimes to export for, comma-separated: onnx (ONNX Runtime), litert "
        "(LiteRT, formerly TensorFlow Lite).", _subset(FORMATS))
    precisions: list = setting(
        list(PRECISIONS), "Precisions, comma-separated: float32, int8 (dynamic-range: int8 "
        "weights, activations quantized on the fly).", _subset(PRECISIONS))
    cls_only_last_layer: bool = setting(
        True, "The last layer computes only the [CLS] row, the only one the logits read (same "
        "logits, a layer's worth less work per token).", Boolean())
