"""Every setting of the package, declared once: defaults, types, checks and help.

Nothing here imports TensorFlow, so the command line builds its flags from these declarations
instantly. `kinds` are the values a setting takes, `fields` how one is declared, `data`
the task's settings (a named dataset or your own files), `stages` the settings of each
stage, `augment` those of data augmentation, `corpus` those of corpus preparation (and the
shards that split work across machines), `ablation` the paper's ablations as variants and
the settings of a study, `export` those of exporting a student for deployment, `recipe` the
`RecipeConfig` that composes them, `named` the configs that come with the package.
"""

from tinybert_keras.config.ablation import VARIANTS
from tinybert_keras.config.ablation import AblationSettings
from tinybert_keras.config.augment import NUM_AUGMENTATIONS_PER_TASK
from tinybert_keras.config.augment import AugmentFileSettings
from tinybert_keras.config.augment import AugmentSettings
from tinybert_keras.config.data import ColumnSettings
from tinybert_keras.config.data import DataSettings
from tinybert_keras.config.corpus import CorpusSettings
from tinybert_keras.config.corpus import shard_range
from tinybert_keras.config.export import ExportSettings
from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import split_overrides
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.recipe import RecipeConfig
from tinybert_keras.config.stages import BaselineSettings
from tinybert_keras.config.stages import CheckpointSettings
from tinybert_keras.config.stages import DistillSettings
from tinybert_keras.config.stages import EvaluationSettings
from tinybert_keras.config.stages import FinetuneSettings
from tinybert_keras.config.stages import GeneralSettings
from tinybert_keras.config.stages import LayerwiseSettings
from tinybert_keras.config.stages import TrainingSettings
from tinybert_keras.config.stages import WarmupSettings
