"""The general-distillation stage: a student learns a pre-trained teacher's layers on plain text."""

import pathlib

import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.config import GeneralSettings
from tinybert_keras.config import TrainingSettings
from tinybert_keras.config import split_overrides
from tinybert_keras.core.distiller import Distiller
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets
from tinybert_keras.recipe import training as training_lib
from tinybert_keras.recipe.runs import PRESET
from tinybert_keras.recipe.runs import finish_run
from tinybert_keras.recipe.runs import open_run

# Corpora can be large, so a corpus epoch is no measure of how often to back up.
DEFAULT_STEPS_PER_CHECKPOINT = 200


def distiller_options(settings, layerwise_losses=True):
    """The `Distiller` arguments a `LayerwiseSettings` group sets.

    Args:
        settings: a `GeneralSettings` or `DistillSettings`.
        layerwise_losses: include the embedding, attention and hidden loss switches (leave them
            out for the prediction phase, whose stage turns them off).

    Returns:
        A dict of keyword arguments for `Distiller`: layer map, formulation, projection sharing,
        head averaging, the teacher's precision and, if asked, the three layerwise loss switches.

    Example:
    ```python
    Distiller(teacher, student, stage="general", **distiller_options(GeneralSettings()))
    ```
    """
    names = ["layer_map", "formulation", "shared_projection", "average_attention_heads",
             "teacher_dtype"]
    if layerwise_losses:
        names += ["embedding_loss", "attention_loss", "hidden_loss"]
    return {name: getattr(settings, name) for name in names}


def general_distill(teacher, student, output_dir, settings=None, training=None, *,
                    strategy=None, verbose="auto", **overrides):
    """General distillation: a student learns a pre-trained teacher's layers on plain text.

    Embedding, attention and hidden-state losses only, on packed corpus sequences, with a
    pre-trained (not fine-tuned) teacher. The paper runs 3 epochs of English Wikipedia (about
    2,240 V100 GPU-hours for TinyBERT-4); most users start instead from a released general
    checkpoint and go straight to `task_distill`. Resumable: rerun the same call.

    Args:
        teacher: the pre-trained teacher's preset (name, directory, `hf://...`).
        student: a shape (`"tinybert_4"`, `"tinybert_6"`, or a dict for `student_backbone`) for
            a random student, or a preset to continue from.
        output_dir: the stage folder; the student backbone and the teacher's tokenizer are saved
            to `<output_dir>/preset`.
        settings: a `GeneralSettings` (corpus, epochs or steps, learning rate, layer map, ...).
        training: a `TrainingSettings` (batch size, seed, XLA).
        strategy: a `tf.distribute.Strategy`; `None` takes `default_strategy()`.
        verbose: the Keras progress-bar setting.
        **overrides: any setting of `settings` or `training` by name.

    Returns:
        The summary dict: `preset`, `steps`, the last interval's `losses`.

    Example:
    ```python
    summary = general_distill("bert_base_en_uncased", "tinybert_4", "runs/general",
                              corpus=["wiki_txt/"], epochs=3)
    backbone = keras_hub.models.Backbone.from_preset(summary["preset"])
    ```
    """
    settings, training = split_overrides(
        overrides, settings or GeneralSettings(), training or TrainingSettings()
    )
    finished = open_run(output_dir, {
        "stage": "general", "teacher": presets.describe_model(teacher),
        "student": presets.describe_model(student), **settings.to_dict(), **training.to_dict(),
    })
    if finished is not None:
        return finished
    output_dir = pathlib.Path(output_dir)
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, teacher)
    corpus = data_lib.text_corpus_dataset(
        settings.corpus, tokenizer, settings.sequence_length, training.batch_size
    )
    if settings.max_steps is None:
        steps = training_lib.steps_for(settings.epochs, sum(1 for _ in corpus))
    else:
        steps = settings.max_steps
    strategy = strategy or training_lib.default_strategy()
    with strategy.scope():
        teacher_model = presets.load(keras_hub.models.Backbone, teacher)
        student_model = inputs.build_student(
            student, teacher_model, training.seed, settings.embeddings_from_teacher
        )
        data_lib.check_same_vocabulary(tokenizer, student_model, names=("tokenizer", "student"))
        distiller = Distiller(
            teacher_model, student_model, stage="general", **distiller_options(settings)
        )
        distiller.compile(
            optimizer=training_lib.adamw(settings.learning_rate), jit_compile=training.jit_compile
        )
    interval = settings.steps_per_checkpoint or DEFAULT_STEPS_PER_CHECKPOINT
    training_lib.fit_resumable(
        distiller, corpus, steps, output_dir, min(interval, steps), verbose=verbose
    )
    student_model.save_to_preset(str(output_dir / PRESET))
    tokenizer.save_to_preset(str(output_dir / PRESET))
    history = training_lib.read_history(output_dir)
    return finish_run(output_dir, {
        "stage": "general", "preset": str(output_dir / PRESET), "steps": steps,
        "losses": {name: values[-1] for name, values in history.items()},
    })
