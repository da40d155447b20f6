"""The settings of each stage of the recipe, each declared once with its default and help.

The paper's values are the defaults. A stage function takes its group (`recipe.finetune(..., settings=FinetuneSettings(...))`),
`RecipeConfig` nests one group per stage, and the command line's flags are generated from the
groups.
"""

import dataclasses
import json

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import Choice
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Custom
from tinybert_keras.config.kinds import Number
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.kinds import Texts
from tinybert_keras.core.layer_maps import STRATEGIES
from tinybert_keras.core.layer_maps import check_order

POSITIVE = Number(minimum=0, exclusive=True)
NON_NEGATIVE = Number(minimum=0)
COUNT = Number(minimum=1, integer=True)
OPTIONAL_COUNT = Number(minimum=1, integer=True, optional=True)
SHAPE_KEYS = ("num_layers", "hidden_dim", "intermediate_dim", "num_heads")
# The student shapes known by name (`tinybert_keras.core.students.student_backbone`).
STUDENT_CONFIGS = {
    "tinybert_4": {"num_layers": 4, "hidden_dim": 312, "intermediate_dim": 1200, "num_heads": 12},
    "tinybert_6": {"num_layers": 6, "hidden_dim": 768, "intermediate_dim": 3072, "num_heads": 12},
}
# What the means of TinyBERT's losses run over (`tinybert_keras.core.losses`).
FORMULATIONS = ("paper", "official")
# The precisions a frozen teacher can run in (`tinybert_keras.core.precision`).
TEACHER_DTYPES = ("float32", "bfloat16", "float16")


def _check_layer_map(name, value):
    if isinstance(value, str) and value in STRATEGIES:
        return value
    if isinstance(value, (list, tuple)) and value and all(
        isinstance(layer, int) and not isinstance(layer, bool) and layer >= 1 for layer in value
    ):
        try:
            check_order(value)
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
        return list(value)
    raise ConfigError(
        f"{name} must be {', '.join(STRATEGIES)} or a list of teacher layers (ints >= 1); got "
        f"{value!r}."
    )


def _parse_layer_map(text):
    if text in STRATEGIES:
        return text
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(
            f"{text!r}: use {', '.join(STRATEGIES)} or comma-separated teacher layers like 2,4,6"
        ) from None


def _check_student(name, value):
    if isinstance(value, str) and value:
        return value
    if isinstance(value, dict):
        missing = [key for key in SHAPE_KEYS if key not in value]
        if missing:
            raise ConfigError(f"{name} is a shape without {missing}; give all of {SHAPE_KEYS}.")
        for key in SHAPE_KEYS:
            COUNT.check(f"{name}.{key}", value[key])
        return dict(value)
    raise ConfigError(
        f"{name} must be a shape name ({', '.join(STUDENT_CONFIGS)}), a shape (a mapping with "
        f"{', '.join(SHAPE_KEYS)}), or a preset; got {value!r}."
    )


def _parse_student(text):
    return json.loads(text) if text.strip().startswith("{") else text


LAYER_MAP = Custom(checker=_check_layer_map, parser=_parse_layer_map, metavar="MAP")
STUDENT = Custom(checker=_check_student, parser=_parse_student, metavar="STUDENT")


@dataclasses.dataclass(frozen=True)
class TrainingSettings(Settings):
    """What every training stage shares.

    Args:
        batch_size: examples (or corpus sequences) per step.
        seed: seeds initialisation, dropout and shuffling.
        jit_compile: XLA-compile the train steps.

    Example:
    ```python
    TrainingSettings(batch_size=16, jit_compile=False)
    ```
    """

    batch_size: int = setting(32, "Examples per step.", COUNT)
    seed: int = setting(0, "Seeds weights, dropout and shuffling.",
                        Number(minimum=0, integer=True))
    jit_compile: bool = setting(
        True, "XLA-compile the train steps (30-40 s per compile on a CPU, faster steps after).",
        Boolean())


@dataclasses.dataclass(frozen=True)
class CheckpointSettings(Settings):
    """How often a training stage saves a resumable backup.

    Args:
        steps_per_checkpoint: steps between backups; `None` for the stage's default.

    Example:
    ```python
    CheckpointSettings(steps_per_checkpoint=100).steps_per_checkpoint  # 100
    ```
    """

    steps_per_checkpoint: int = setting(
        None, "Steps between resumable backups (and, in task distillation's prediction phase, "
        "dev scores); none: one epoch of the stage's data, or 200 steps of general distillation.",
        OPTIONAL_COUNT)


@dataclasses.dataclass(frozen=True)
class WarmupSettings(Settings):
    """The linear warm-up of a stage with a warm-up-then-decay schedule.

    Args:
        warmup_fraction: the share of the stage's steps spent warming up.

    Example:
    ```python
    WarmupSettings(warmup_fraction=0.2).warmup_fraction  # 0.2
    ```
    """

    warmup_fraction: float = setting(
        0.1, "Share of the steps spent warming up, before the linear decay.",
        Number(minimum=0, maximum=1))


@dataclasses.dataclass(frozen=True)
class FinetuneSettings(CheckpointSettings, WarmupSettings):
    """Fine-tuning a classifier on a task's labels (the teacher).

    Args:
        epochs: passes over the training split (fractions allowed).
        learning_rate: the peak learning rate.
        warmup_fraction: see `WarmupSettings`.
        steps_per_checkpoint: see `CheckpointSettings`.

    Example:
    ```python
    FinetuneSettings(epochs=0.5, learning_rate=1e-4)
    ```
    """

    epochs: float = setting(3.0, "Passes over the training split (fractions allowed).", POSITIVE)
    learning_rate: float = setting(2e-5, "Peak learning rate (AdamW).", POSITIVE)


@dataclasses.dataclass(frozen=True)
class BaselineSettings(FinetuneSettings):
    """The labels-only student: the student's shape trained on the labels, no teacher.

    Args:
        epochs: `None` gives it as many steps as both task-distillation phases together.
        learning_rate: the peak learning rate (a student from scratch takes a larger one than a
            pre-trained teacher).

    Example:
    ```python
    BaselineSettings(learning_rate=3e-4)
    ```
    """

    epochs: float = setting(
        None, "Passes over the training split; none: as many steps as both task-distillation "
        "phases together.", Number(minimum=0, exclusive=True, optional=True))
    learning_rate: float = setting(1e-3, "Peak learning rate (AdamW).", POSITIVE)


@dataclasses.dataclass(frozen=True)
class LayerwiseSettings(Settings):
    """What a layerwise distillation stage matches, and how its student starts.

    Args:
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers.
        formulation: `"paper"` or `"official"` loss averaging (`tinybert_keras.core.losses`).
        shared_projection: one student-to-teacher projection for every layer (the official
            code's `fit_dense`) instead of one per layer.
        checkpoint_projections: start the projections from the trained ones a released student
            checkpoint carries (`fit_dense` with `shared_projection`, `fit_denses` without; see
            `tinybert_keras.recipe.checkpoints`); off, they start random.
        average_attention_heads: compare head-averaged attention maps (head counts may differ).
        embedding_loss: match the embedding layers.
        attention_loss: match the attention scores before softmax.
        hidden_loss: match the hidden states.
        embeddings_from_teacher: start a random student from the teacher's embeddings
            projected to its width (not in the paper; helps a short general distillation).
        teacher_dtype: run the frozen teacher in `"bfloat16"` (or `"float16"`) while the
            student and the losses stay float32.

    Example:
    ```python
    LayerwiseSettings(layer_map="top", attention_loss=False)
    ```
    """

    layer_map: object = setting(
        "uniform", "Student-to-teacher layer map: uniform, top, bottom, or teacher layers like "
        "3,6,9,12.", LAYER_MAP)
    formulation: str = setting(
        "paper", "Loss averaging: the paper's (real tokens) or the official code's.",
        Choice(values=FORMULATIONS))
    shared_projection: bool = setting(
        False, "One projection for the embeddings and every layer (the official fit_dense) "
        "instead of one per layer.", Boolean())
    checkpoint_projections: bool = setting(
        True, "Start the projections from a released student checkpoint's trained fit_dense "
        "(with shared_projection, the official setting) or fit_denses (without).", Boolean())
    average_attention_heads: bool = setting(
        False, "Compare head-averaged attention maps, so head counts may differ.", Boolean())
    embedding_loss: bool = setting(True, "Match the embedding layers.", Boolean())
    attention_loss: bool = setting(True, "Match attention scores before softmax.", Boolean())
    hidden_loss: bool = setting(True, "Match hidden states (through projections).", Boolean())
    embeddings_from_teacher: bool = setting(
        False, "Start a random student from the teacher's embeddings projected to its width "
        "(not in the paper; helps a short general distillation).", Boolean())
    teacher_dtype: str = setting(
        "float32", "Precision of the frozen teacher's pass: bfloat16 on CPUs with AVX512_BF16 or "
        "AMX and on recent GPUs, float16 on GPUs without bfloat16; the student stays float32.",
        Choice(values=TEACHER_DTYPES))


@dataclasses.dataclass(frozen=True)
class GeneralSettings(LayerwiseSettings, CheckpointSettings):
    """General distillation on plain text.

    Args:
        corpus: `.txt` files or folders, or folders of a prepared corpus (`CorpusSettings`);
            `None` for the offline news corpus.
        epochs: passes over the corpus; 0 skips general distillation in `run_recipe`.
        max_steps: train exactly this many steps instead.
        learning_rate: the constant learning rate.
        sequence_length: the packed length of corpus sequences.

    Example:
    ```python
    GeneralSettings(corpus=["wiki/"], epochs=3)
    ```
    """

    corpus: list = setting(
        None, "Text files or folders of them, or folders prepared by tinybert-keras "
        "prepare-corpus (list every machine's folder to merge their shards); none: the offline "
        "news corpus.", Texts(optional=True, metavar="PATH"))
    epochs: float = setting(1.0, "Passes over the corpus; 0 skips general distillation.",
                            NON_NEGATIVE)
    max_steps: int = setting(None, "Train exactly this many steps instead of whole epochs.",
                             OPTIONAL_COUNT)
    learning_rate: float = setting(1e-4, "Constant learning rate (AdamW).", POSITIVE)
    sequence_length: int = setting(128, "Packed length of corpus sequences.", COUNT)


@dataclasses.dataclass(frozen=True)
class DistillSettings(LayerwiseSettings, CheckpointSettings, WarmupSettings):
    """Task distillation: phase 1 matches the layers, phase 2 the predictions.

    Args:
        augmented_train: a file of augmented training examples for both phases (the official
            code's `--aug_train`).
        intermediate_epochs: phase 1 epochs (0 skips it).
        intermediate_steps: phase 1 steps instead of epochs.
        intermediate_learning_rate: phase 1's constant learning rate.
        prediction_epochs: phase 2 epochs (0 skips it).
        prediction_steps: phase 2 steps instead of epochs.
        prediction_learning_rate: phase 2's peak learning rate.
        temperature: the prediction loss's temperature.
        prediction_loss: phase 2 matches the teacher's soft predictions.
        label_loss: phase 2 adds cross-entropy on the gold labels ("w/o Pred" with
            `prediction_loss=False`).
        cache_teacher_logits: phase 2 computes the teacher's logits once per training example,
            stores them in its folder and then trains the student alone.
        min_teacher_margin: how far above chance the teacher must score on dev.

    Example:
    ```python
    DistillSettings(intermediate_epochs=10, attention_loss=False)
    ```
    """

    augmented_train: str = setting(
        None, "Augmented training file for both phases (tinybert-keras augment's output).",
        Text(optional=True, metavar="FILE"))
    intermediate_epochs: float = setting(
        20.0, "Phase 1 epochs (paper: 20; 10 for MNLI, QQP, QNLI); 0 skips it.", NON_NEGATIVE)
    intermediate_steps: int = setting(
        None, "Train phase 1 for exactly this many steps instead of intermediate_epochs' worth "
        "(a budget that does not grow with an augmented set).", OPTIONAL_COUNT)
    intermediate_learning_rate: float = setting(5e-5, "Phase 1 constant learning rate.",
                                                POSITIVE)
    prediction_epochs: float = setting(3.0, "Phase 2 epochs; 0 skips it.", NON_NEGATIVE)
    prediction_steps: int = setting(
        None, "Train phase 2 for exactly this many steps instead of prediction_epochs' worth "
        "(a budget that does not grow with an augmented set).", OPTIONAL_COUNT)
    prediction_learning_rate: float = setting(3e-5, "Phase 2 peak learning rate.", POSITIVE)
    temperature: float = setting(1.0, "Softmax temperature of the prediction loss.", POSITIVE)
    prediction_loss: bool = setting(
        True, "Phase 2 matches the teacher's soft predictions.", Boolean())
    label_loss: bool = setting(
        False, "Phase 2 adds cross-entropy on gold labels (w/o Pred: with --no-prediction-loss).",
        Boolean())
    cache_teacher_logits: bool = setting(
        False, "Phase 2 computes the teacher's logits once per training example (stored in its "
        "folder) and then trains the student alone, to the same weights.",
        Boolean())
    min_teacher_margin: float = setting(
        0.05, "Stop unless the teacher beats the best constant prediction on dev by this much; "
        "none skips the check.", Number(minimum=0, optional=True))

    @property
    def runs_intermediate_phase(self):
        """Whether phase 1 runs: it has epochs, or a number of steps."""
        return self.intermediate_epochs > 0 or self.intermediate_steps is not None

    @property
    def runs_prediction_phase(self):
        """Whether phase 2 runs: it has epochs, or a number of steps."""
        return self.prediction_epochs > 0 or self.prediction_steps is not None

    def check_together(self):
        if not self.runs_intermediate_phase and not self.runs_prediction_phase:
            raise ConfigError(
                "intermediate_epochs and prediction_epochs are both 0: give one phase epochs."
            )
        layerwise = (self.embedding_loss, self.attention_loss, self.hidden_loss)
        if self.runs_intermediate_phase and not any(layerwise):
            raise ConfigError(
                "Phase 1 has no loss (embedding_loss, attention_loss and hidden_loss are all "
                "off): switch one on, or set intermediate_epochs to 0 to skip phase 1."
            )
        if self.runs_prediction_phase and not (self.prediction_loss or self.label_loss):
            raise ConfigError(
                "Phase 2 has no loss (prediction_loss and label_loss are both off): switch one "
                "on, or set prediction_epochs to 0 to skip phase 2."
            )


@dataclasses.dataclass(frozen=True)
class EvaluationSettings(Settings):
    """Scoring presets side by side.

    Args:
        split: the split to score.
        latency_repeats: timed inference runs per model.

    Example:
    ```python
    EvaluationSettings(latency_repeats=5)
    ```
    """

    split: str = setting("dev", "The split to score.", Text())
    latency_repeats: int = setting(20, "Timed inference runs per model.", COUNT)
