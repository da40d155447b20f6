"""Every setting of the package, declared once: defaults, types, checks and help.

Nothing here imports TensorFlow, so the command line builds its flags from these declarations
instantly. `fields` is the machinery, `stages` the settings of each stage, `augment` those of data augmentation, `export` those of
exporting a student for deployment, `recipe` the
`RecipeConfig` that composes them, `named` the configs that come with the package.
"""

from tinybert_keras.config.augment import NUM_AUGMENTATIONS_PER_TASK
from tinybert_keras.config.augment import AugmentSettings
from tinybert_keras.config.export import ExportSettings
from tinybert_keras.config.fields import ConfigError
from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import split_overrides
from tinybert_keras.config.recipe import RecipeConfig
from tinybert_keras.config.stages import BaselineSettings
from tinybert_keras.config.stages import CheckpointSettings
from tinybert_keras.config.stages import DataSettings
from tinybert_keras.config.stages import DistillSettings
from tinybert_keras.config.stages import EvaluationSettings
from tinybert_keras.config.stages import FinetuneSettings
from tinybert_keras.config.stages import GeneralSettings
from tinybert_keras.config.stages import LayerwiseSettings
from tinybert_keras.config.stages import TrainingSettings
from tinybert_keras.config.stages import WarmupSettings
