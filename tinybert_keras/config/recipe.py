"""`RecipeConfig`: every setting of the whole recipe, from YAML, JSON or a name."""

import dataclasses
import json
import pathlib

import yaml

from tinybert_keras.config.data import DataSettings
from tinybert_keras.config.fields import section
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.stages import STUDENT
from tinybert_keras.config.stages import STUDENT_CONFIGS
from tinybert_keras.config.augment import AugmentSettings
from tinybert_keras.config.stages import BaselineSettings
from tinybert_keras.config.stages import DistillSettings
from tinybert_keras.config.stages import EvaluationSettings
from tinybert_keras.config.stages import FinetuneSettings
from tinybert_keras.config.stages import GeneralSettings
from tinybert_keras.config.stages import TrainingSettings

SUFFIXES = (".yaml", ".yml", ".json")


@dataclasses.dataclass(frozen=True)
class RecipeConfig(DataSettings, TrainingSettings):
    """Every setting of the two-stage TinyBERT recipe, the paper's values as defaults.

    The task and training settings sit at the top (they are shared by every stage); each stage
    has a section of its own. `tinybert_keras.recipe.run_recipe(config)` runs the stages, each in
    its own folder under `output_dir`; `tinybert-keras run --config FILE` does the same, and each
    setting is also a flag (`--batch-size`, `--distill.temperature`, ...).

    ```yaml
    task: rotten_tomatoes
    teacher: bert_base_en_uncased
    student: tinybert_4
    batch_size: 32
    distill: {intermediate_epochs: 10, attention_loss: false}
    ```

    Args:
        teacher: the pre-trained teacher: a keras-hub preset name, a local or Hugging Face
            directory, an `hf://` / `kaggle://` handle, or `"all_minilm_l6_v2"` (offline). It is
            fine-tuned on the task first.
        student: a shape (`"tinybert_4"`, `"tinybert_6"` or a mapping for `student_backbone`),
            general-distilled first when `general.epochs > 0`; or a general student's preset
            (e.g. `"hf://huawei-noah/TinyBERT_General_4L_312D"`), used as it is.
        output_dir: the folder that receives one sub-folder per stage.
        share_teacher: fine-tune the teacher into the cache (`tinybert_keras.data.cache_dir()`),
            keyed by its settings, and reuse it from any run with the same settings.
        labels_only: also train the student's shape on the labels alone, the no-distillation
            baseline, and put it in the report.
        data_augmentation: augment the training split first (`augmentation`) and run task
            distillation on the augmented set.
        finetune: the teacher's fine-tuning (`FinetuneSettings`).
        general: general distillation (`GeneralSettings`).
        distill: task distillation (`DistillSettings`).
        augmentation: the data augmentation (`AugmentSettings`).
        baseline: the labels-only student (`BaselineSettings`).
        evaluation: the final comparison (`EvaluationSettings`).
        **data_and_training: the fields of `DataSettings` and `TrainingSettings`.

    Example:
    ```python
    config = RecipeConfig(task="rotten_tomatoes", teacher="bert_tiny_en_uncased",
                          student={"num_layers": 2, "hidden_dim": 64,
                                   "intermediate_dim": 256, "num_heads": 2},
                          distill={"intermediate_epochs": 10})
    config.to_file("recipe.yaml")
    RecipeConfig.from_file("recipe.yaml") == config  # True
    ```
    """

    teacher: str = setting(
        "bert_base_en_uncased", "The pre-trained teacher: a keras-hub preset, a local or Hugging "
        "Face directory, an hf:// handle, or all_minilm_l6_v2 (offline).", Text(metavar="PRESET"))
    student: object = setting(
        "tinybert_4", f"{', '.join(STUDENT_CONFIGS)}, a JSON shape like "
        f"'{json.dumps(STUDENT_CONFIGS['tinybert_4'])}', or a general student's preset.", STUDENT)
    output_dir: str = setting("tinybert_run", "Folder for the stages' folders.",
                              Text(metavar="DIR"))
    share_teacher: bool = setting(
        False, "Fine-tune the teacher into the cache, keyed by its settings, and reuse it.",
        Boolean())
    labels_only: bool = setting(
        False, "Also train the student's shape on labels alone (the no-distillation baseline).",
        Boolean())
    data_augmentation: bool = setting(
        False, "Augment the training split (the paper's DA, the augmentation section) and run "
        "task distillation on it.", Boolean())
    finetune: FinetuneSettings = section(FinetuneSettings, "The teacher's fine-tuning.")
    general: GeneralSettings = section(GeneralSettings, "General distillation on plain text.")
    distill: DistillSettings = section(DistillSettings, "Task distillation, both phases.")
    augmentation: AugmentSettings = section(AugmentSettings, "Data augmentation (with "
                                            "data_augmentation).")
    baseline: BaselineSettings = section(BaselineSettings, "The labels-only student.")
    evaluation: EvaluationSettings = section(EvaluationSettings, "The final comparison.")

    def check_together(self):
        if self.data_augmentation and self.distill.augmented_train is not None:
            raise ConfigError(
                "data_augmentation makes the augmented training set itself, and "
                "distill.augmented_train names one: set only one of them."
            )

    def data_settings(self):
        """The task settings of this config, as a `DataSettings`."""
        return _subset(self, DataSettings)

    def training_settings(self):
        """The settings every training stage shares, as a `TrainingSettings`."""
        return _subset(self, TrainingSettings)

    @classmethod
    def named(cls, name):
        """One of the configs that come with the package (`NAMED_CONFIGS`).

        Args:
            name: `"paper"`, `"demo"`, `"demo_quick"`, `"ablation"` or `"cpu"`.

        Returns:
            A `RecipeConfig`.

        Example:
        ```python
        RecipeConfig.named("demo").teacher  # 'all_minilm_l6_v2'
        ```
        """
        from tinybert_keras.config.named import NAMED_CONFIGS

        if name not in NAMED_CONFIGS:
            raise ConfigError(
                f"No config named {name!r}; the named configs are {sorted(NAMED_CONFIGS)}."
            )
        return NAMED_CONFIGS[name]

    @classmethod
    def from_file(cls, path):
        """Reads a config from a `.yaml`/`.yml` or `.json` file, or takes a named one.

        Args:
            path: the file, or the name of a config in `NAMED_CONFIGS`.

        Returns:
            A `RecipeConfig`.

        Example:
        ```python
        config = RecipeConfig.from_file("recipe.yaml")
        ```
        """
        path = pathlib.Path(path)
        if not path.is_file():
            if path.suffix not in SUFFIXES and str(path) == path.name:
                return cls.named(path.name)
            raise ConfigError(f"No config file at {path}.")
        if path.suffix not in SUFFIXES:
            raise ConfigError(f"{path}: use a .yaml, .yml or .json file.")
        text = path.read_text(encoding="utf-8")
        try:
            values = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text) or {}
        except (ValueError, yaml.YAMLError) as error:
            kind = "JSON" if path.suffix == ".json" else "YAML"
            raise ConfigError(f"{path} is not valid {kind}: {error}") from None
        try:
            return cls.from_dict(values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from None

    def to_file(self, path):
        """Writes the settings to a `.yaml`/`.yml` or `.json` file.

        Args:
            path: the file to write.

        Example:
        ```python
        RecipeConfig(task="rotten_tomatoes").to_file("recipe.json")
        ```
        """
        path = pathlib.Path(path)
        if path.suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        elif path.suffix in SUFFIXES:
            path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")
        else:
            raise ConfigError(f"{path}: use a .yaml, .yml or .json file.")


def _subset(config, cls):
    return cls(**{name: getattr(config, name) for name in cls.names()})
