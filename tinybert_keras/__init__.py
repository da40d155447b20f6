"""TinyBERT knowledge distillation for Keras 3 and keras-hub."""

from tinybert_keras.distiller import Distiller
from tinybert_keras.layer_map import layer_map
from tinybert_keras.layerwise import LayerwiseBert
from tinybert_keras.losses import AttentionScoreLoss, HiddenStateLoss, PredictionLoss
from tinybert_keras.students import STUDENT_CONFIGS, project_teacher_embeddings, student_backbone

__version__ = "0.1.0"
