"""The fine-tuning stage: a BERT classifier trained on a task's labels (the teacher, or a
labels-only student)."""

import math
import pathlib

import keras
import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.config import FinetuneSettings
from tinybert_keras.core.schedules import WarmupLinearDecay
from tinybert_keras.data import integrity
from tinybert_keras.recipe import checks
from tinybert_keras.recipe import distribution
from tinybert_keras.recipe import evaluation
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets
from tinybert_keras.recipe import training as training_lib
from tinybert_keras.recipe.runs import PRESET
from tinybert_keras.recipe.runs import RecipeError
from tinybert_keras.recipe.runs import finish_run
from tinybert_keras.recipe.runs import open_run


def run_settings(model, data, settings, training):
    """Everything that decides a fine-tuning's result: its `run.json`, and the shared-teacher
    cache key of `run_recipe`.

    Args:
        model: the `model` argument of `finetune`.
        data: the `TaskData`.
        settings: the `FinetuneSettings`.
        training: the `TrainingSettings`.

    Returns:
        A JSON-ready dict.

    Example:
    ```python
    run_settings("bert_base_en_uncased", data, FinetuneSettings(), TrainingSettings())
    ```
    """
    return {"stage": "finetune", "model": presets.describe_model(model),
            "data": inputs.describe_data(data), **settings.to_dict(), **training.to_dict()}


def finetune(model, data, output_dir, settings=None, training=None, *, tokenizer=None,
             strategy=None, verbose="auto", **overrides):
    """Fine-tunes a BERT classifier on a task's labels: the teacher, or a labels-only baseline.

    TinyBERT's task distillation needs a teacher fine-tuned on the task (a pre-trained one is
    the most common reason its results do not reproduce). Cross-entropy (MSE for regression),
    AdamW with linear warm-up and decay, then the dev metrics. Resumable: rerun the same call
    after an interruption.

    Args:
        model: a keras-hub preset (name, directory, `hf://...`, `"all_minilm_l6_v2"`) of a BERT
            backbone or classifier, or a `BertBackbone` / `BertTextClassifier` object (then
            pass `tokenizer`).
        data: a `TaskData`, a dataset name or a `DataSettings`.
        output_dir: the stage folder; the classifier is saved to `<output_dir>/preset`.
        settings: a `FinetuneSettings` (epochs, learning rate, warm-up, checkpoints).
        training: a `TrainingSettings` (batch size, seed, XLA).
        tokenizer: the keras-hub tokenizer; read from the preset when `model` is one.
        strategy: a single-machine `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.
        **overrides: any setting of `settings` or `training` by name (`epochs=1.0`, ...).

    Returns:
        The summary dict: `preset`, `dev` metrics, `steps`.

    Example:
    ```python
    summary = finetune("bert_base_en_uncased", "sst2", "runs/teacher", epochs=3)
    teacher = keras_hub.models.TextClassifier.from_preset(summary["preset"])
    ```
    """
    data, settings, training = inputs.stage_inputs(
        data, overrides, settings or FinetuneSettings(), training
    )
    task = data.task
    checks.check_model_length(model, task.sequence_length)
    strategy = distribution.one_machine_strategy(strategy, "Teacher fine-tuning")
    with open_run(output_dir, run_settings(model, data, settings, training)) as finished:
        if finished is not None:
            return finished
        return _train(model, data, pathlib.Path(output_dir), settings, training, tokenizer,
                      strategy, verbose)


def _train(model, data, output_dir, settings, training, tokenizer, strategy, verbose):
    task = data.task
    per_epoch = math.ceil(len(data["train"]) / training.batch_size)
    keras.utils.set_random_seed(training.seed)
    with strategy.scope():
        if isinstance(model, (str, pathlib.Path)):
            tokenizer = tokenizer or presets.load(keras_hub.tokenizers.Tokenizer, model)
            classifier = presets.load_classifier(model, num_classes=task.num_classes)
        elif isinstance(model, keras_hub.models.TextClassifier):
            classifier = model
        else:
            classifier = keras_hub.models.BertTextClassifier(
                model, num_classes=task.num_classes, preprocessor=None
            )
        if tokenizer is None:
            raise RecipeError("Pass the model's tokenizer (tokenizer=...) with a model object.")
        data_lib.check_model_matches_task(classifier, task)
        data_lib.check_same_vocabulary(tokenizer, classifier, names=("tokenizer", "model"))
        train = data_lib.make_dataset(
            data["train"], tokenizer, training.batch_size, sequence_length=task.sequence_length,
            shuffle=True, seed=training.seed,
        )
        steps = training_lib.steps_for(settings.epochs, per_epoch)
        schedule = WarmupLinearDecay(
            settings.learning_rate, steps, int(settings.warmup_fraction * steps)
        )
        loss = (
            keras.losses.MeanSquaredError() if task.is_regression
            else keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        classifier.compile(
            optimizer=training_lib.adamw(schedule), loss=loss,
            metrics=data_lib.metrics_for(task), jit_compile=training.jit_compile,
        )
    training_lib.fit_resumable(
        classifier, train, steps, output_dir, settings.steps_per_checkpoint or per_epoch,
        verbose=verbose, name="fine-tuning",
    )
    dev = data_lib.make_dataset(
        data["dev"], tokenizer, training.batch_size, sequence_length=task.sequence_length
    )
    with integrity.replacing(output_dir / PRESET) as partial:
        presets.save_classifier(classifier, tokenizer, task, partial)
    return finish_run(output_dir, {
        "stage": "finetune", "preset": str(output_dir / PRESET), "steps": steps,
        "dev": evaluation.task_metrics(classifier, dev, task),
    }, results=[PRESET])
