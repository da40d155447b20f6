"""One configuration object for the whole TinyBERT recipe, loadable from YAML or JSON."""

import dataclasses
import difflib
import json
import pathlib

from tinybert_keras.layer_map import STRATEGIES


class ConfigError(ValueError):
    """A configuration value that cannot work, with the field and how to fix it.

    Args:
        message: what is wrong and what to change.

    Example:
    ```python
    try:
        RecipeConfig(batch_size=0)
    except ConfigError as error:
        print(error)
    ```
    """


# The RecipeConfig fields that `recipe.task_distill` (and the `task-distill` command) take under
# the same names.
TASK_DISTILL_FIELDS = (
    "augmented_train", "intermediate_epochs", "intermediate_learning_rate", "prediction_epochs",
    "prediction_learning_rate", "warmup_fraction", "sequence_length", "layer_map", "temperature",
    "formulation", "min_teacher_margin", "embeddings_from_teacher",
)


@dataclasses.dataclass
class RecipeConfig:
    """Every setting of the two-stage TinyBERT recipe, with the paper's values as defaults.

    The stage functions in `tinybert_keras.recipe` take these settings as keyword arguments;
    `run_recipe(config)` runs them all, each stage in its own folder under `output_dir`.

    Args:
        task: a dataset name for `tinybert_keras.data.load_dataset` (`"sst2"`, `"mnli"`,
            `"rotten_tomatoes"`, ...).
        dataset_options: extra arguments for `load_dataset`, e.g.
            `{"source": "glue_data", "data_dir": "glue_data"}`.
        teacher: the pre-trained teacher: a keras-hub preset name, a local preset or Hugging Face
            directory, or an `hf://` / `kaggle://` handle. It is fine-tuned on the task first.
        student: the student: a shape (`"tinybert_4"`, `"tinybert_6"` or a dict for
            `student_backbone`), general-distilled first when `general_epochs > 0`; or a preset
            (a general TinyBERT, e.g. `"hf://huawei-noah/TinyBERT_General_4L_312D"`), used as is.
        output_dir: the folder that receives one sub-folder per stage.
        batch_size: examples per batch, in every stage.
        sequence_length: the packed length of task examples; `None` takes the task's (64 single
            sentence, 128 pairs).
        seed: seeds weights, dropout and shuffling.
        jit_compile: compile train steps with XLA.
        teacher_epochs: epochs of teacher fine-tuning (fractions allowed).
        teacher_learning_rate: its peak learning rate (linear warm-up and decay).
        general_corpus: `.txt` files or folders for general distillation; `None` for the
            offline news corpus.
        general_epochs: passes over the corpus; 0 skips general distillation.
        general_learning_rate: its learning rate.
        general_sequence_length: packed length of corpus sequences (the paper: 128).
        general_max_steps: stop general distillation after this many steps, if set.
        augmented_train: a file of augmented training examples (as the `augment` command
            writes) for the intermediate phase; `None` uses the plain training split.
        intermediate_epochs: epochs of intermediate-layer distillation (the paper: 20; 10 for
            MNLI, QQP, QNLI).
        intermediate_learning_rate: its constant learning rate.
        prediction_epochs: epochs of prediction-layer distillation (the paper: 3).
        prediction_learning_rate: its peak learning rate.
        warmup_fraction: the warm-up share of the fine-tuning and prediction phases.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        temperature: the prediction loss's temperature.
        formulation: `"paper"` or `"official"` loss averaging.
        min_teacher_margin: the teacher must beat the best constant predictor on dev by this
            much (in the task's main metric) before task distillation starts; `None` skips it.
        embeddings_from_teacher: start a random student from the teacher's embeddings projected
            to its width (`students.project_teacher_embeddings`; not in the paper, it helps a
            short general distillation).

    Example:
    ```python
    config = RecipeConfig(task="rotten_tomatoes", teacher="bert_tiny_en_uncased",
                          student={"num_layers": 2, "hidden_dim": 64,
                                   "intermediate_dim": 256, "num_heads": 2})
    config.to_file("recipe.yaml")
    RecipeConfig.from_file("recipe.yaml") == config  # True
    ```
    """

    task: str = "sst2"
    dataset_options: dict = dataclasses.field(default_factory=dict)
    teacher: str = "bert_base_en_uncased"
    student: object = "tinybert_4"
    output_dir: str = "tinybert_run"
    batch_size: int = 32
    sequence_length: int = None
    seed: int = 0
    jit_compile: bool = True
    teacher_epochs: float = 3.0
    teacher_learning_rate: float = 2e-5
    general_corpus: object = None
    general_epochs: float = 1.0
    general_learning_rate: float = 1e-4
    general_sequence_length: int = 128
    general_max_steps: int = None
    augmented_train: str = None
    intermediate_epochs: float = 20.0
    intermediate_learning_rate: float = 5e-5
    prediction_epochs: float = 3.0
    prediction_learning_rate: float = 3e-5
    warmup_fraction: float = 0.1
    layer_map: object = "uniform"
    temperature: float = 1.0
    formulation: str = "paper"
    min_teacher_margin: float = 0.05
    embeddings_from_teacher: bool = False

    def __post_init__(self):
        for name in ("task", "teacher", "output_dir", "formulation"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                value = getattr(self, name)
                raise ConfigError(f"{name} must be a non-empty string; got {value!r}.")
        if self.formulation not in ("paper", "official"):
            raise ConfigError(
                f"formulation must be 'paper' or 'official'; got {self.formulation!r}."
            )
        if not isinstance(self.student, (str, dict)):
            raise ConfigError(
                "student must be a shape name ('tinybert_4', 'tinybert_6'), a dict with "
                "num_layers, hidden_dim, intermediate_dim, num_heads, or a preset; got "
                f"{self.student!r}."
            )
        for name in ("batch_size", "general_sequence_length"):
            _check_number(self, name, minimum=1, integer=True)
        for name in ("sequence_length", "general_max_steps"):
            if getattr(self, name) is not None:
                _check_number(self, name, minimum=1, integer=True)
        _check_number(self, "seed", minimum=0, integer=True)
        for name in ("jit_compile", "embeddings_from_teacher"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false; got {getattr(self, name)!r}.")
        for name in ("teacher_epochs", "intermediate_epochs", "prediction_epochs",
                     "general_epochs"):
            _check_number(self, name, minimum=0)
        for name in ("teacher_learning_rate", "general_learning_rate",
                     "intermediate_learning_rate", "prediction_learning_rate", "temperature"):
            _check_number(self, name, minimum=0, exclusive=True)
        _check_number(self, "warmup_fraction", minimum=0, maximum=1)
        if self.min_teacher_margin is not None:
            _check_number(self, "min_teacher_margin", minimum=0)
        if isinstance(self.layer_map, str):
            if self.layer_map not in STRATEGIES:
                raise ConfigError(
                    "layer_map must be 'uniform', 'top', 'bottom' or a list; got "
                    f"{self.layer_map!r}."
                )
        elif not (isinstance(self.layer_map, list)
                  and all(isinstance(layer, int) for layer in self.layer_map)):
            raise ConfigError(
                f"layer_map must be a strategy name or a list of ints; got {self.layer_map!r}."
            )
        if not isinstance(self.dataset_options, dict):
            raise ConfigError(f"dataset_options must be a mapping; got {self.dataset_options!r}.")

    @classmethod
    def from_dict(cls, values):
        """Builds a config from a dict, rejecting unknown keys with a suggestion.

        Args:
            values: a mapping from field name to value.

        Returns:
            A `RecipeConfig`.

        Example:
        ```python
        RecipeConfig.from_dict({"task": "rotten_tomatoes", "batch_size": 16})
        ```
        """
        if not isinstance(values, dict):
            raise ConfigError(
                f"A recipe config must be a mapping of settings; got {type(values).__name__}."
            )
        fields = [field.name for field in dataclasses.fields(cls)]
        for key in values:
            if key not in fields:
                close = difflib.get_close_matches(key, fields, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else f" Known settings: {fields}."
                raise ConfigError(f"Unknown setting {key!r}.{hint}")
        return cls(**values)

    @classmethod
    def from_file(cls, path):
        """Reads a config from a `.yaml`/`.yml` or `.json` file.

        Args:
            path: the file.

        Returns:
            A `RecipeConfig`.

        Example:
        ```python
        config = RecipeConfig.from_file("recipe.yaml")
        ```
        """
        path = pathlib.Path(path)
        if not path.is_file():
            raise ConfigError(f"No config file at {path}.")
        text = path.read_text(encoding="utf-8")
        try:
            if path.suffix in (".yaml", ".yml"):
                import yaml

                values = yaml.safe_load(text) or {}
            elif path.suffix == ".json":
                values = json.loads(text)
            else:
                raise ConfigError(f"{path}: use a .yaml, .yml or .json file.")
        except (ValueError, ImportError) as error:
            if isinstance(error, ConfigError):
                raise
            raise ConfigError(f"{path} is not valid {path.suffix[1:].upper()}: {error}") from error
        try:
            return cls.from_dict(values)
        except ConfigError as error:
            raise ConfigError(f"{path}: {error}") from error

    def to_dict(self):
        """The settings as a plain dict (JSON- and YAML-ready).

        Example:
        ```python
        RecipeConfig().to_dict()["batch_size"]  # 32
        ```
        """
        return dataclasses.asdict(self)

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
        if path.suffix in (".yaml", ".yml"):
            import yaml

            path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False), encoding="utf-8")
        elif path.suffix == ".json":
            path.write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")
        else:
            raise ConfigError(f"{path}: use a .yaml, .yml or .json file.")


def _check_number(config, name, minimum=None, maximum=None, integer=False, exclusive=False):
    value = getattr(config, name)
    kind = int if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kind):
        kind_name = "an integer" if integer else "a number"
        raise ConfigError(f"{name} must be {kind_name}; got {value!r}.")
    too_small = minimum is not None and (value <= minimum if exclusive else value < minimum)
    if too_small or (maximum is not None and value > maximum):
        bounds = f"{'>' if exclusive else '>='} {minimum}"
        if maximum is not None:
            bounds += f" and <= {maximum}"
        raise ConfigError(f"{name} must be {bounds}; got {value!r}.")
