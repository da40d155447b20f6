"""Running an exported student in its own runtime (ONNX Runtime or LiteRT), without Keras.

`tinybert_keras.recipe.export_classifier` writes the files; this module needs only NumPy and the
runtime, so a server can load it without TensorFlow. Tokenize with the keras-hub preprocessor
saved next to the files (that part needs keras-hub).
"""

import numpy as np

INPUTS = ("token_ids", "segment_ids", "padding_mask")


def load_exported(path, threads=None):
    """Runs an exported file in its own runtime (ONNX Runtime or LiteRT), without Keras.

    Args:
        path: a `.onnx` or `.tflite` file written by
            `tinybert_keras.recipe.export_classifier`.
        threads: CPU threads for the runtime; `None` takes its default.

    Returns:
        A function from the input dict (`token_ids`, `segment_ids`, `padding_mask`; arrays of
        any batch size and length) to the logits, a float32 NumPy array `[batch, classes]`.

    Example:
    ```python
    forward = load_exported("runs/export/student_int8.onnx", threads=2)
    logits = forward(keras_hub.models.TextClassifierPreprocessor.from_preset(
        "runs/export/preprocessor")(["a fine film"]))
    ```
    """
    path = str(path)
    if path.endswith(".onnx"):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        if threads is not None:
            options.intra_op_num_threads = threads
        session = onnxruntime.InferenceSession(path, options,
                                               providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {name: np.asarray(x[name], "int32") for name in INPUTS})[0]
    if path.endswith(".tflite"):
        from ai_edge_litert.interpreter import Interpreter

        options = {} if threads is None else {"num_threads": threads}
        runner = Interpreter(model_path=path, **options).get_signature_runner()
        return lambda x: next(iter(runner(**{name: np.asarray(x[name], "int32")
                                              for name in INPUTS}).values()))
    raise ValueError(f"{path}: load a .onnx or .tflite file written by export_classifier.")
