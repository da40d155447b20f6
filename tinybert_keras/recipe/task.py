"""The task-distillation stage: the teacher check, then phase 1 (intermediate layers) and phase 2
(predictions, best dev checkpoint kept), each a function and a resumable folder of its own."""

import dataclasses
import math
import pathlib

import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.config import DistillSettings
from tinybert_keras.config import TrainingSettings
from tinybert_keras.core.distiller import TEACHER_LOGITS
from tinybert_keras.core.distiller import Distiller
from tinybert_keras.core.precision import with_dtype
from tinybert_keras.core.schedules import WarmupLinearDecay
from tinybert_keras.data import integrity
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe import checks
from tinybert_keras.recipe import distribution
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets
from tinybert_keras.recipe import training as training_lib
from tinybert_keras.recipe.backups import load_state
from tinybert_keras.recipe.backups import save_state
from tinybert_keras.recipe.general import distiller_options
from tinybert_keras.recipe.runs import PRESET
from tinybert_keras.recipe.runs import RecipeError
from tinybert_keras.recipe.runs import finish_run
from tinybert_keras.recipe.runs import open_run
from tinybert_keras.recipe.teacher_logits import cached_teacher_logits
from tinybert_keras.recipe.teacher_logits import shared_teacher_logits

STUDENT_WEIGHTS = "student.weights.h5"
STUDENT_SEEDS = "student.seed_states.npy"
PHASE_NAMES = {"intermediate": "phase 1 (intermediate layers)",
               "prediction": "phase 2 (predictions)"}


def check_teacher(teacher, dataset, task, labels, margin=0.05):
    """Stops task distillation early when the teacher cannot teach the task.

    A teacher that was never fine-tuned, or was fine-tuned with another label order, scores
    near (or below) the best constant prediction; distilling it wastes the run.

    Args:
        teacher: the teacher classifier.
        dataset: the dev `tf.data.Dataset`.
        task: the `Task`.
        labels: the dev labels (for the chance level).
        margin: how far above chance the main metric must be; `None` only scores the teacher.

    Returns:
        The teacher's dev metrics.

    Raises:
        RecipeError: if the teacher is within `margin` of chance.

    Example:
    ```python
    scores = check_teacher(teacher, dev_dataset, data.task, data["dev"].labels)
    ```
    """
    scores = evaluation.task_metrics(teacher, dataset, task)
    main = task.metrics[0]
    chance = evaluation.chance_score(task, labels)
    if margin is not None and scores[main] < chance + margin:
        raise RecipeError(
            f"The teacher scores {main}={scores[main]:.4f} on {task.name!r} dev, within {margin} "
            f"of chance ({chance:.4f}, the best constant prediction). Fine-tune it on the task "
            "first (`tinybert-keras finetune-teacher`), and check that its label order is the "
            f"task's {task.label_names} (a score below chance usually means swapped labels). "
            "To distill anyway, lower min_teacher_margin."
        )
    return scores


def read_augmented(path, task):
    """The augmented training examples of a task, from `tinybert-keras augment`'s output.

    `augment` writes every task in one form, which this reads: the task's text columns and
    label column (`label` for GLUE), labels as class names or class ids (scores for a
    regression).

    Args:
        path: a `.tsv`, `.csv` or `.jsonl` file with the task's text and label columns.
        task: the `Task`.

    Returns:
        An `Examples`.

    Example:
    ```python
    train = read_augmented("train_aug.tsv", data.task)
    ```
    """
    return data_lib.load_files(
        path, text_columns=task.text_columns, label_column=task.label_column,
        label_names=task.label_names, regression=task.is_regression,
    )["train"]


@dataclasses.dataclass
class PhaseInputs:
    """What both phases of task distillation work with.

    Args:
        teacher: the teacher classifier.
        student: the student classifier, trained in place by each phase.
        task: the `Task`.
        tokenizer: the tokenizer teacher and student share.
        run: the stage's settings dict (each phase's `run.json` adds `"phase"`).
        settings: the `DistillSettings`.
        training: the `TrainingSettings`.
        strategy: the `tf.distribute.Strategy`.
        verbose: the Keras progress-bar setting.
        projections: the trained projections phase 1 starts from
            (`tinybert_keras.recipe.inputs.student_projections`), or `None`.
        shared_logits_dir: where phase 2's cached teacher logits are shared with other runs of
            the same teacher and data (`task_distill`'s `shared_logits_dir`), or `None`.

    Example:
    ```python
    inputs = PhaseInputs(teacher, student, data.task, tokenizer, run, DistillSettings(),
                         TrainingSettings(), tf.distribute.get_strategy())
    ```
    """

    teacher: object
    student: object
    task: object
    tokenizer: object
    run: dict
    settings: DistillSettings
    training: TrainingSettings
    strategy: object
    verbose: object = "auto"
    projections: object = None
    shared_logits_dir: object = None

    def batches(self, examples, shuffle=False, extra_inputs=None):
        """The batched `tf.data.Dataset` of some `Examples`, packed to the task's length."""
        return data_lib.make_dataset(
            examples, self.tokenizer, self.training.batch_size,
            sequence_length=self.task.sequence_length, shuffle=shuffle, seed=self.training.seed,
            extra_inputs=extra_inputs,
        )

    def steps(self, examples, epochs, fixed=None):
        """`(steps, steps per checkpoint)` of `epochs` passes over `examples` (or `fixed` steps)."""
        per_epoch = math.ceil(len(examples) / self.training.batch_size)
        steps = fixed or training_lib.steps_for(epochs, per_epoch)
        return steps, min(self.settings.steps_per_checkpoint or per_epoch, steps)


def _fit_phase(inputs, stage, train, phase_dir, steps, interval, learning_rate, callbacks=(),
               cache_logits=False, **switches):
    """Trains one phase's `Distiller` for `steps` steps, resumably, in `phase_dir`.

    With `cache_logits`, the Distiller's teacher (in its precision) first computes its logits for
    `train`, which then ride along in the batches so that the teacher does not run again."""
    with inputs.strategy.scope():
        distiller = Distiller(inputs.teacher, inputs.student, stage=stage, **switches)
        distiller.compile(optimizer=training_lib.adamw(learning_rate(steps)),
                          jit_compile=inputs.training.jit_compile)
        checkpoints.start_projections(distiller, inputs.projections)
    extra_inputs = None
    if cache_logits:
        batches = inputs.batches(train)
        if inputs.shared_logits_dir is None:
            logits = cached_teacher_logits(distiller.teacher, train, batches, phase_dir)
        else:
            identity = {name: inputs.run[name]
                        for name in ("teacher", "data", "teacher_dtype", "batch_size")}
            logits = shared_teacher_logits(distiller.teacher, train, batches,
                                           inputs.shared_logits_dir, identity)
        extra_inputs = {TEACHER_LOGITS: logits}
    training_lib.fit_resumable(
        distiller, inputs.batches(train, shuffle=True, extra_inputs=extra_inputs), steps,
        phase_dir, interval, callbacks=callbacks, verbose=inputs.verbose, name=PHASE_NAMES[stage],
    )


def intermediate_phase(inputs, train, phase_dir):
    """Phase 1: the student matches the teacher's embeddings, attention scores and hidden states.

    A constant learning rate, on the (augmented) training set. The student's weights and dropout
    states are saved to `<phase_dir>/student.weights.h5` and `student.seed_states.npy`, from
    where a finished phase is loaded on a rerun.

    Args:
        inputs: the `PhaseInputs`.
        train: the phase's training `Examples`.
        phase_dir: the phase's folder.

    Example:
    ```python
    intermediate_phase(inputs, data["train"], "runs/task/intermediate")
    ```
    """
    phase_dir = pathlib.Path(phase_dir)
    settings = inputs.settings
    with open_run(phase_dir, {**inputs.run, "phase": "intermediate"}) as finished:
        if finished is None:
            steps, interval = inputs.steps(
                train, settings.intermediate_epochs, settings.intermediate_steps
            )
            _fit_phase(
                inputs, "intermediate", train, phase_dir, steps, interval,
                lambda steps: settings.intermediate_learning_rate, **distiller_options(settings),
            )
            save_state(inputs.student, phase_dir / STUDENT_WEIGHTS, phase_dir / STUDENT_SEEDS)
            finish_run(phase_dir, {"phase": "intermediate", "steps": steps},
                       results=[STUDENT_WEIGHTS, STUDENT_SEEDS])
        # The dropout states too: phase 2 then draws the same masks whether phase 1 ran in this
        # process or finished in an earlier one.
        load_state(inputs.student, phase_dir / STUDENT_WEIGHTS, phase_dir / STUDENT_SEEDS)


def prediction_phase(inputs, train, dev, phase_dir):
    """Phase 2: the student matches the teacher's logits; the best dev checkpoint is kept.

    Soft cross-entropy at the settings' temperature (or cross-entropy on the gold labels with
    `label_loss`), linear warm-up then decay, the student scored on dev after every interval;
    the student ends with its best dev weights. With `cache_teacher_logits`, the teacher's logits
    are computed once per training example and kept in `phase_dir`
    (`tinybert_keras.recipe.cached_teacher_logits`); the student then trains alone, to the same
    weights up to float rounding.

    Args:
        inputs: the `PhaseInputs`.
        train: the training `Examples`.
        dev: the dev `tf.data.Dataset`.
        phase_dir: the phase's folder.

    Returns:
        The best record: `{"interval", "metrics"}`.

    Example:
    ```python
    best = prediction_phase(inputs, data["train"], inputs.batches(data["dev"]),
                            "runs/task/prediction")
    ```
    """
    phase_dir = pathlib.Path(phase_dir)
    settings = inputs.settings
    keep = training_lib.KeepBestCheckpoint(inputs.student, dev, inputs.task, phase_dir)
    with open_run(phase_dir, {**inputs.run, "phase": "prediction"}) as finished:
        if finished is None:

            def schedule(steps):
                warmup = int(settings.warmup_fraction * steps)
                return WarmupLinearDecay(settings.prediction_learning_rate, steps, warmup)

            steps, interval = inputs.steps(
                train, settings.prediction_epochs, settings.prediction_steps
            )
            _fit_phase(
                inputs, "prediction", train, phase_dir, steps, interval, schedule,
                callbacks=[keep],
                cache_logits=settings.cache_teacher_logits and settings.prediction_loss,
                temperature=settings.temperature,
                prediction_loss=settings.prediction_loss, label_loss=settings.label_loss,
                **distiller_options(settings, layerwise_losses=False),
            )
            finish_run(phase_dir, {"phase": "prediction", "steps": steps, "best": keep.best},
                       results=[training_lib.BEST_WEIGHTS, training_lib.BEST_RECORD])
        return keep.restore_best()


def task_distill(teacher, student, data, output_dir, settings=None, training=None, *,
                 strategy=None, verbose="auto", shared_logits_dir=None, **overrides):
    """Task distillation: intermediate layers, then the prediction layer, best dev kept.

    First the teacher is checked on dev (`check_teacher`). Phase 1 (`<output_dir>/intermediate`,
    `intermediate_phase`) matches embeddings, attention scores and hidden states on the
    (augmented) training set; phase 2 (`<output_dir>/prediction`, `prediction_phase`) matches the
    teacher's logits and keeps the best dev weights, which end in `<output_dir>/preset`.
    Resumable: rerun the same call after an interruption.

    Args:
        teacher: the fine-tuned teacher's classifier preset (e.g. `finetune`'s `preset`).
        student: a general student preset (a `general_distill` result, or a released one such
            as `"hf://huawei-noah/TinyBERT_General_4L_312D"`), or a shape for a random student
            (the paper's "w/o GD" ablation).
        data: a `TaskData`, a dataset name or a `DataSettings`.
        output_dir: the stage folder.
        settings: a `DistillSettings` (both phases' epochs and rates, losses, layer map, ...).
        training: a `TrainingSettings` (batch size, seed, XLA).
        strategy: a single-machine `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.
        shared_logits_dir: with `cache_teacher_logits`, a folder where runs of the same teacher
            on the same data (an ablation grid's variants and seeds) keep phase 2's teacher
            logits once for all of them, instead of in each run's folder. `None`: the run's own.
        **overrides: any setting of `settings` or `training` by name.

    Returns:
        The summary dict: `preset`, `teacher_dev`, `student_dev`, `best_interval`.

    Example:
    ```python
    summary = task_distill("runs/teacher/preset", "runs/general/preset", "sst2", "runs/task")
    student = keras_hub.models.TextClassifier.from_preset(summary["preset"])
    ```
    """
    data, settings, training = inputs.stage_inputs(
        data, overrides, settings or DistillSettings(), training
    )
    task = data.task
    strategy = distribution.one_machine_strategy(strategy, "Task distillation")
    inputs.check_teacher_classifier(teacher, task)
    checks.check_models(teacher, student, settings, task.sequence_length)
    run = {
        "stage": "task", "teacher": presets.describe_model(teacher),
        "student": presets.describe_model(student), "data": inputs.describe_data(data),
        **settings.to_dict(), **training.to_dict(),
    }
    with open_run(output_dir, run) as finished:
        if finished is not None:
            return finished
        return _distill(teacher, student, data, pathlib.Path(output_dir), run, settings,
                        training, strategy, verbose, shared_logits_dir)


def _distill(teacher, student, data, output_dir, run, settings, training, strategy, verbose,
             shared_logits_dir):
    task = data.task
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, teacher)
    with strategy.scope():
        teacher_model, _ = inputs.load_teacher(teacher, task)
        data_lib.check_same_vocabulary(tokenizer, teacher_model, names=("tokenizer", "teacher"))
        backbone = inputs.build_student(
            student, teacher_model, training.seed, settings.embeddings_from_teacher
        )
        data_lib.check_same_vocabulary(tokenizer, backbone, names=("teacher", "student"))
        student_model = keras_hub.models.BertTextClassifier(
            backbone, num_classes=task.num_classes, preprocessor=None
        )
        # Once for both phases (each phase's Distiller then finds it in that precision); the
        # dev check below scores the float teacher.
        low_precision = with_dtype(teacher_model, settings.teacher_dtype)
    phase = PhaseInputs(low_precision, student_model, task, tokenizer, run, settings, training,
                        strategy, verbose, inputs.student_projections(student, settings),
                        shared_logits_dir)
    # Cached: the teacher check and every checkpoint interval read it, the check in full first.
    dev = phase.batches(data["dev"]).cache()
    teacher_dev = check_teacher(teacher_model, dev, task, data["dev"].labels,
                                settings.min_teacher_margin)
    print(f"Teacher dev {task.metrics[0]}: {teacher_dev[task.metrics[0]]:.4f}")
    # Both phases on the augmented set, as the official code's --aug_train: the teacher's
    # predictions on augmented sentences are most of what phase 2 learns from on small tasks.
    train = (data["train"] if settings.augmented_train is None
             else read_augmented(settings.augmented_train, task))
    if settings.runs_intermediate_phase:
        intermediate_phase(phase, train, output_dir / "intermediate")
    if settings.runs_prediction_phase:
        best = prediction_phase(phase, train, dev, output_dir / "prediction")
    else:
        best = {"interval": None, "metrics": evaluation.task_metrics(phase.student, dev, task)}
    with integrity.replacing(output_dir / PRESET) as partial:
        presets.save_classifier(phase.student, phase.tokenizer, task, partial)
    return finish_run(output_dir, {
        "stage": "task", "preset": str(output_dir / PRESET), "teacher_dev": teacher_dev,
        "student_dev": best["metrics"], "best_interval": best["interval"],
    }, results=[PRESET])
