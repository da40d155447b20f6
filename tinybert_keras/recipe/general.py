"""The general-distillation stage: a student learns a pre-trained teacher's layers on plain text,
streamed or prepared once into TFRecord files."""

import pathlib

import keras_hub

from tinybert_keras import data as data_lib
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import GeneralSettings
from tinybert_keras.config import TrainingSettings
from tinybert_keras.config import split_overrides
from tinybert_keras.core import compat
from tinybert_keras.core.distiller import Distiller
from tinybert_keras.data import integrity
from tinybert_keras.recipe import checkpoints
from tinybert_keras.recipe import checks
from tinybert_keras.recipe import distribution
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe import presets
from tinybert_keras.recipe import training as training_lib
from tinybert_keras.recipe.runs import PRESET
from tinybert_keras.recipe.runs import finish_run

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

    On several machines every machine makes the same call, each with its own `TF_CONFIG`
    (`default_strategy()` then trains them as one, each step on the global batch that one
    machine would take); the chief writes the stage folder, which all must reach at the same
    path. A large corpus is best prepared once (`prepare_corpus`).

    Args:
        teacher: the pre-trained teacher's preset (name, directory, `hf://...`).
        student: a shape (`"tinybert_4"`, `"tinybert_6"`, or a dict for `student_backbone`) for
            a random student, or a preset to continue from.
        output_dir: the stage folder; the student backbone and the teacher's tokenizer are saved
            to `<output_dir>/preset`.
        settings: a `GeneralSettings` (corpus, epochs or steps, learning rate, layer map, ...).
        training: a `TrainingSettings` (batch size, seed, XLA).
        strategy: a `tf.distribute.Strategy`, one machine's or several; `None` takes
            `default_strategy()`.
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
    # Before TensorFlow runs anything: a multi-worker strategy must come first in a process.
    strategy = strategy or distribution.default_strategy()
    distribution.check_jit_compile(strategy, training.jit_compile)
    checks.check_models(teacher, student, settings, settings.sequence_length)
    run = {
        "stage": "general", "teacher": presets.describe_model(teacher),
        "student": presets.describe_model(student), **settings.to_dict(), **training.to_dict(),
    }
    with distribution.open_stage(output_dir, run, strategy) as finished:
        if finished is not None:
            return finished
        return _train(teacher, student, pathlib.Path(output_dir), settings, training, strategy,
                      verbose)


def _train(teacher, student, output_dir, settings, training, strategy, verbose):
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, teacher)
    corpus = data_lib.corpus_dataset(
        settings.corpus, tokenizer, settings.sequence_length, training.batch_size
    )
    if settings.max_steps is None:
        batches = int(corpus.cardinality())
        steps = training_lib.steps_for(
            settings.epochs, batches if batches >= 0 else sum(1 for _ in corpus)
        )
    else:
        steps = settings.max_steps
    with strategy.scope():
        teacher_model = presets.load(keras_hub.models.Backbone, teacher)
        data_lib.check_same_vocabulary(tokenizer, teacher_model, names=("tokenizer", "teacher"))
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
        checkpoints.start_projections(distiller, inputs.student_projections(student, settings))
    if distribution.is_multi_worker(strategy):
        compat.fit_across_workers(distiller)
    interval = settings.steps_per_checkpoint or DEFAULT_STEPS_PER_CHECKPOINT
    with distribution.worker_folder(output_dir, strategy) as folder:
        training_lib.fit_resumable(
            distiller, corpus, steps, folder, min(interval, steps), verbose=verbose,
            name="general distillation",
        )
        with integrity.replacing(folder / PRESET) as partial:
            student_model.save_to_preset(str(partial))
            tokenizer.save_to_preset(str(partial))
        history = training_lib.read_history(folder)
        return finish_run(folder, {
            "stage": "general", "preset": str(output_dir / PRESET), "steps": steps,
            "losses": {name: values[-1] for name, values in history.items()},
        }, results=[PRESET])


def prepare_corpus(output_dir, settings=None, **overrides):
    """Tokenizes a text corpus once into TFRecord parts for general distillation
    (`tinybert-keras prepare-corpus`).

    Run it once, or on N machines with `shard="0/N"` ... `"N-1/N"` into one shared folder or
    one folder each; then give general distillation the folder(s) as its `corpus`. The parts
    are the same files whichever way they were made (see `tinybert_keras.data.prepared`).

    Args:
        output_dir: the folder of the parts.
        settings: a `CorpusSettings` (text, tokenizer preset, sequence length, files, shard).
        **overrides: any setting of `settings` by name.

    Returns:
        A dict: `output_dir`, `parts` (this shard's), `sequences` (in them), `documents` (in the
        whole corpus).

    Example:
    ```python
    prepare_corpus("wiki_prepared", corpus=["wiki/"], tokenizer="bert_base_en_uncased",
                   num_files=64)
    general_distill("bert_base_en_uncased", "tinybert_4", "runs/general",
                    corpus=["wiki_prepared"])
    ```
    """
    settings = (settings or CorpusSettings()).replace(**overrides)
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, settings.tokenizer)
    written = data_lib.write_prepared_corpus(
        output_dir, tokenizer, settings.corpus, settings.sequence_length, settings.num_files,
        settings.shard,
    )
    return {"output_dir": str(output_dir), **written}
