"""A distilled classifier preset as files for deployment: ONNX and LiteRT, float32 and int8.

```
<output_dir>/
  run.json, summary.json    as every stage folder (a rerun returns the summary)
  student.onnx              ONNX Runtime, float32
  student_int8.onnx         ONNX Runtime, dynamic-range int8 (onnxruntime.quantization)
  student.tflite            LiteRT, float32
  student_int8.tflite       LiteRT, dynamic-range int8 (the LiteRT converter)
  preprocessor/             the keras-hub preprocessor preset: tokenizer and sequence length
                            (`keras_hub.models.TextClassifierPreprocessor.from_preset`)
  tinybert_task.json        the task: label names, metrics, sequence length
```

Each model file takes the keras-hub input dict (`token_ids`, `segment_ids`, `padding_mask`,
int32 `[batch, sequence]`) and returns the logits; `tinybert_keras.deploy.load_exported` runs one
in its runtime alone.
"""

import pathlib
import shutil
import tempfile

import keras_hub
import numpy as np

from tinybert_keras.config import ExportSettings
from tinybert_keras.core import compat
from tinybert_keras.core.inference import cls_only_classifier
from tinybert_keras.data import integrity
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe import presets
from tinybert_keras.recipe.runs import finish_run
from tinybert_keras.recipe.runs import open_run

SUFFIXES = {"onnx": ".onnx", "litert": ".tflite"}
PREPROCESSOR = "preprocessor"


def exported_name(export_format, precision):
    """The file name of one export: `student.onnx`, `student_int8.tflite`, ...

    Args:
        export_format: `"onnx"` or `"litert"`.
        precision: `"float32"` or `"int8"`.

    Returns:
        A file name.

    Example:
    ```python
    exported_name("litert", "int8")  # 'student_int8.tflite'
    ```
    """
    return ("student" if precision == "float32" else f"student_{precision}") + SUFFIXES[
        export_format]


def _export_onnx(model, directory, precisions):
    path = directory / exported_name("onnx", "float32")
    model.export(str(path), format="onnx", verbose=False)
    if "int8" in precisions:
        from onnxruntime.quantization import QuantType
        from onnxruntime.quantization import quantize_dynamic

        # Signed per-channel weights: VNNI-friendly and the most accurate of ORT's dynamic modes.
        quantize_dynamic(str(path), str(directory / exported_name("onnx", "int8")),
                         weight_type=QuantType.QInt8, per_channel=True)
    if "float32" not in precisions:
        path.unlink()


def _export_litert(model, directory, precisions):
    import tensorflow as tf

    for precision in precisions:
        options = {"optimizations": [tf.lite.Optimize.DEFAULT]} if precision == "int8" else {}
        model.export(str(directory / exported_name("litert", precision)), format="litert",
                     verbose=False, **options)


def _sample_inputs(sequence_length):
    ids = np.zeros((2, sequence_length), "int32")
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}


def export_classifier(preset, output_dir, settings=None, **overrides):
    """Exports a classifier preset (a distilled student) for ONNX Runtime and LiteRT.

    By default the exported graph computes only the [CLS] row in the last Transformer layer
    (`tinybert_keras.core.inference.cls_only_classifier`: the same logits, less work). Keras'
    own `model.export` writes the float32 files; the int8 files are dynamic-range
    quantized by each runtime's own tool (`onnxruntime.quantization.quantize_dynamic`, signed
    per-channel weights; the LiteRT converter's `Optimize.DEFAULT`). The tokenizer stays keras-hub's:
    the preset's preprocessor is saved next to the files. Needs the `export` extra
    (`pip install tinybert-keras[export]`). Refuses a folder holding anything else; rerun to
    get the summary of a finished export.

    Args:
        preset: a keras-hub text-classifier preset (e.g. `task_distill`'s `preset`).
        output_dir: the folder to write.
        settings: an `ExportSettings`.
        **overrides: any setting of `settings` by name.

    Returns:
        The summary dict: `files` (`"onnx_int8"` -> path, ...), `preprocessor`, `sequence_length`.

    Example:
    ```python
    from tinybert_keras.deploy import load_exported

    summary = export_classifier("runs/task/preset", "runs/export", formats=["onnx"],
                                precisions=["int8"])
    logits = load_exported(summary["files"]["onnx_int8"])(x)
    ```
    """
    settings = (settings or ExportSettings()).replace(**overrides)
    run = {"stage": "export", "preset": presets.describe_model(preset), **settings.to_dict()}
    presets.classifier_head(preset, "Export a task_distill or finetune result.")
    with open_run(output_dir, run) as finished:
        if finished is not None:
            return finished
        return _export(preset, pathlib.Path(output_dir), settings)


def _export(preset, output_dir, settings):
    model = presets.load_classifier(preset)
    if settings.cls_only_last_layer:
        model = cls_only_classifier(model)
    preprocessor = presets.load(keras_hub.models.TextClassifierPreprocessor, preset)
    # Keras' ONNX export traces a model that has been called once.
    model(_sample_inputs(preprocessor.sequence_length))
    exporters = {"onnx": _export_onnx, "litert": _export_litert}
    with tempfile.TemporaryDirectory(dir=output_dir) as scratch:
        for export_format in settings.formats:
            exporters[export_format](model, pathlib.Path(scratch), settings.precisions)
        integrity.sync(scratch)
        for path in pathlib.Path(scratch).iterdir():
            path.replace(output_dir / path.name)
    with integrity.replacing(output_dir / PREPROCESSOR) as partial:
        preprocessor.save_to_preset(str(partial))
        # keras-hub finds a preprocessor's class through the backbone's config (no weights).
        source = compat.preset_file(checkpoints.resolve(preset), "config.json")
        if source is not None:
            shutil.copy(source, partial / "config.json")
    source = compat.preset_file(checkpoints.resolve(preset), presets.TASK_FILE)
    if source is not None:
        with integrity.replacing(output_dir / presets.TASK_FILE) as partial:
            shutil.copy(source, partial)
    files = {
        f"{export_format}_{precision}": str(output_dir / exported_name(export_format, precision))
        for export_format in settings.formats for precision in settings.precisions
    }
    return finish_run(output_dir, {
        "stage": "export", "files": files, "preprocessor": str(output_dir / PREPROCESSOR),
        "sequence_length": preprocessor.sequence_length,
    }, results=[PREPROCESSOR, *(pathlib.Path(path).name for path in files.values())])
