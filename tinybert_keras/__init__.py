"""TinyBERT knowledge distillation for Keras 3 and keras-hub.

The layers of the package, each importing only the ones below it:

- `tinybert_keras.core`: the distillation itself (layerwise views, layer maps, losses, students,
  `Distiller`), with no files involved;
- the pipeline: `tinybert_keras.data` (tasks, corpora, preprocessing, metrics),
  `tinybert_keras.augmentation` (TinyBERT's data augmentation) and `tinybert_keras.recipe` (run
  folders, resumable training, presets, the stages, `RecipeConfig` and `run_recipe`);
- the front ends: `tinybert_keras.cli` (the `tinybert-keras` command) and `tinybert_keras.plots`.

The names below load on first use, so that importing the package (the command line does) does
not start TensorFlow.
"""

import importlib

_PUBLIC = {
    "Distiller": "tinybert_keras.core.distiller",
    "LayerwiseBert": "tinybert_keras.core.layerwise",
    "layer_map": "tinybert_keras.core.layer_maps",
    "AttentionScoreLoss": "tinybert_keras.core.losses",
    "HiddenStateLoss": "tinybert_keras.core.losses",
    "PredictionLoss": "tinybert_keras.core.losses",
    "STUDENT_CONFIGS": "tinybert_keras.core.students",
    "project_teacher_embeddings": "tinybert_keras.core.students",
    "student_backbone": "tinybert_keras.core.students",
    "WarmupLinearDecay": "tinybert_keras.core.schedules",
}

__all__ = sorted(_PUBLIC)
__version__ = "0.1.0"


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'tinybert_keras' has no attribute {name!r}")
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted({*globals(), *_PUBLIC})
