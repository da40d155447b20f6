"""The paper's ablations as named variants of the recipe, and the settings of an ablation study.

Each variant says how a run differs from the full recipe (general distillation, task
distillation on augmented data, uniform layer map, every loss on), and carries the paper's
number for it: the dev average of TinyBERT-4 over MNLI-m, MNLI-mm, MRPC and CoLA (Jiao et al.,
Tables 3 to 5).
"""

import dataclasses

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Choice
from tinybert_keras.config.kinds import Number
from tinybert_keras.config.kinds import Several
from tinybert_keras.config.kinds import Text


@dataclasses.dataclass(frozen=True)
class Variant:
    """One row of an ablation table: what the run changes, and what the paper measured.

    Args:
        name: the variant's name in settings and results (`"no_attn"`).
        label: its name in the paper's tables (`"w/o Attn"`).
        group: `"procedure"`, `"objective"`, `"mapping"` or `"floor"`.
        paper: the paper's dev average for it, or `None`.
        description: what the run does.
        procedure: `"distill"` (task distillation), `"finetune_general"` (the general student
            fine-tuned on the labels) or `"labels_only"` (a random student on the labels).
        general: start task distillation from the general student (else a random one).
        augment: run both task-distillation phases on the augmented training set.
        layer_map: the layer map of general and task distillation.
        distill: changes to the `DistillSettings` (loss switches).

    Example:
    ```python
    VARIANTS["no_attn"].distill  # {'attention_loss': False}
    ```
    """

    name: str
    label: str
    group: str
    paper: float
    description: str
    procedure: str = "distill"
    general: bool = True
    augment: bool = True
    layer_map: str = "uniform"
    distill: dict = dataclasses.field(default_factory=dict)


VARIANTS = {variant.name: variant for variant in (
    Variant("full", "full (GD + TD + DA)", "procedure", 75.6,
            "General distillation, then task distillation on the augmented set."),
    Variant("no_gd", "w/o GD", "procedure", 72.5,
            "Task distillation from a random student of the same shape (no general "
            "distillation, and no start from the teacher's projected embeddings).",
            general=False),
    Variant("no_td", "w/o TD", "procedure", 68.5,
            "The general student fine-tuned on the task's labels, no distillation on the task; "
            "its learning rate chosen on dev from the labels-only sweep.",
            procedure="finetune_general", augment=False),
    Variant("no_da", "w/o DA", "procedure", 68.4,
            "Task distillation on the original training set.", augment=False),
    Variant("no_embd", "w/o Embd", "objective", 74.1, "No embedding loss in phase 1.",
            distill={"embedding_loss": False}),
    Variant("no_attn", "w/o Attn", "objective", 71.0, "No attention loss in phase 1.",
            distill={"attention_loss": False}),
    Variant("no_hidn", "w/o Hidn", "objective", 72.9, "No hidden-state loss in phase 1.",
            distill={"hidden_loss": False}),
    Variant("no_trm", "w/o Trm", "objective", 56.3,
            "Neither attention nor hidden-state loss in phase 1 (embeddings only).",
            distill={"attention_loss": False, "hidden_loss": False}),
    Variant("no_pred", "w/o Pred", "objective", 73.5,
            "Phase 2 on the gold labels (cross-entropy) instead of the teacher's predictions.",
            distill={"prediction_loss": False, "label_loss": True}),
    Variant("top", "top mapping", "mapping", 70.9,
            "Student layers learn the teacher's last layers, in general and task distillation.",
            layer_map="top"),
    Variant("bottom", "bottom mapping", "mapping", 71.3,
            "Student layers learn the teacher's first layers, in general and task distillation.",
            layer_map="bottom"),
    Variant("labels_only", "labels only (no teacher)", "floor", None,
            "A random student of the same shape trained on the labels alone, its learning rate "
            "chosen on dev from a small sweep.", procedure="labels_only", general=False,
            augment=False),
)}
"""The variants, by name, in the order of the paper's tables."""


@dataclasses.dataclass(frozen=True)
class AblationSettings(Settings):
    """Which ablation runs to make, on top of a base `RecipeConfig`.

    Args:
        variants: names from `VARIANTS`.
        seeds: training seeds; each variant runs once per seed and task.
        tasks: dataset names; `None` takes the base config's task.
        baseline_learning_rates: the learning-rate sweep of the variants trained on labels
            alone (labels-only and w/o TD).
        output_dir: the study's folder.

    Example:
    ```python
    AblationSettings(variants=["full", "no_attn"], seeds=[0, 1])
    ```
    """

    variants: list = setting(
        list(VARIANTS), "Variants to run: " + ", ".join(VARIANTS) + ".",
        Several(item=Choice(values=tuple(VARIANTS)), metavar="VARIANT"))
    seeds: list = setting([0, 1, 2], "Training seeds; every variant runs once per seed and task.",
                          Several(item=Number(minimum=0, integer=True), metavar="SEED"))
    tasks: list = setting(None, "Dataset names; none: the config's task.",
                          Several(item=Text(), optional=True, metavar="TASK"))
    baseline_learning_rates: list = setting(
        [3e-4, 1e-3, 3e-3], "Learning-rate sweep of the students trained on labels alone "
        "(labels_only, no_td; the best mean dev "
        "score is reported).", Several(item=Number(minimum=0, exclusive=True), metavar="RATE"))
    output_dir: str = setting("tinybert_ablation", "The study's folder.", Text(metavar="DIR"))
