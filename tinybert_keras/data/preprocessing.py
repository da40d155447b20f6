"""Labelled examples to batched keras-hub inputs, in `tf.data`, built once for teacher and student.

TinyBERT distils through one shared input: the teacher and the student read the same token ids,
so they must share one tokenizer, and the pipeline tokenizes each batch once (parallel `map`
after `batch`, then `prefetch`). The Distiller receives a single `x`.
"""

import keras_hub
import tensorflow as tf

from tinybert_keras.data.tasks import DataError


def make_preprocessor(tokenizer, sequence_length):
    """A keras-hub text-classifier preprocessor for a tokenizer.

    Args:
        tokenizer: a keras-hub tokenizer, e.g. `keras_hub.models.BertTokenizer`.
        sequence_length: the packed length (`task.sequence_length`).

    Returns:
        A `keras_hub.models.BertTextClassifierPreprocessor` for a BERT tokenizer, else a generic
        `keras_hub.models.TextClassifierPreprocessor`.

    Example:
    ```python
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                           "[MASK]", "a", "b"])
    preprocessor = make_preprocessor(tokenizer, sequence_length=8)
    ```
    """
    if isinstance(tokenizer, keras_hub.models.BertTokenizer):
        return keras_hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length)
    return keras_hub.models.TextClassifierPreprocessor(tokenizer, sequence_length)


def make_dataset(examples, preprocessor, batch_size=32, *, sequence_length=None, shuffle=False,
                 seed=None, drop_remainder=False, extra_inputs=None):
    """A batched `tf.data.Dataset` of `(x, y)` with `x` the keras-hub input dict.

    `x` is `{"token_ids", "segment_ids", "padding_mask"}`; sentence pairs get segment ids 0 and
    1. Feed the same `x` to teacher and student: it is built once per batch.

    Args:
        examples: an `Examples` (one split of a `TaskData`).
        preprocessor: a keras-hub text-classifier preprocessor, or a tokenizer (then
            `sequence_length` is required).
        batch_size: examples per batch.
        sequence_length: the packed length when `preprocessor` is a tokenizer.
        shuffle: shuffle the whole split each epoch.
        seed: the shuffle seed.
        drop_remainder: drop a last, smaller batch.
        extra_inputs: a dict of arrays with one row per example (e.g. `{"teacher_logits": ...}`),
            added to `x` under their keys; they are shuffled and batched with their examples.

    Returns:
        A `tf.data.Dataset` of `(x, labels)`, labels `int32` class ids or `float32` scores.

    Example:
    ```python
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                           "[MASK]", "good", "bad"])
    data = from_lists((["good", "bad"], ["pos", "neg"]))
    ds = make_dataset(data["train"], tokenizer, batch_size=2, sequence_length=8)
    x, y = next(iter(ds))
    ```
    """
    if isinstance(preprocessor, keras_hub.tokenizers.Tokenizer):
        if sequence_length is None:
            raise ValueError("Pass sequence_length= (e.g. task.sequence_length) with a tokenizer.")
        preprocessor = make_preprocessor(preprocessor, sequence_length)
    if examples.is_pair:
        features = (
            tf.constant([a for a, _ in examples.texts]),
            tf.constant([b for _, b in examples.texts]),
        )
    else:
        features = tf.constant(list(examples.texts))
    extra_inputs = dict(extra_inputs or {})
    for name, rows in extra_inputs.items():
        if len(rows) != len(examples):
            raise DataError(
                f"extra input {name!r} has {len(rows)} rows for {len(examples)} examples; give "
                "one row per example, in the examples' order.", name,
            )
    # The extra inputs ride along in the same elements, so the seeded shuffle draws the same
    # order with or without them.
    dataset = tf.data.Dataset.from_tensor_slices((features, examples.labels, extra_inputs))
    if shuffle:
        dataset = dataset.shuffle(len(examples), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.batch(batch_size, drop_remainder=drop_remainder)

    def preprocess(x, y, extra):
        # A pair must be passed as `x=(a, b)`: a bare tuple argument would be read as `(x, y)`.
        x, y = preprocessor(x=x, y=y)
        return {**x, **extra}, y

    dataset = dataset.map(preprocess, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE)


def _vocabulary(obj):
    """`(vocabulary size, token list or None)` of a tokenizer, preprocessor, backbone or model."""
    if isinstance(obj, keras_hub.tokenizers.Tokenizer):
        return obj.vocabulary_size(), obj.get_vocabulary()
    if getattr(obj, "backbone", None) is not None:
        size = obj.backbone.vocabulary_size
        preprocessor = getattr(obj, "preprocessor", None)
        tokens = None if preprocessor is None else preprocessor.tokenizer.get_vocabulary()
        return size, tokens
    if getattr(obj, "tokenizer", None) is not None:
        return _vocabulary(obj.tokenizer)
    if isinstance(getattr(obj, "vocabulary_size", None), int):
        return obj.vocabulary_size, None
    raise TypeError(
        f"Cannot find a vocabulary on {type(obj).__name__}; pass a keras-hub tokenizer, "
        "preprocessor, backbone or task model."
    )


def check_same_vocabulary(first, second, names=("teacher", "student")):
    """Checks that two models (or their tokenizers) use one and the same vocabulary.

    Teacher and student read the same token ids, so their embedding tables must index the same
    vocabulary. Sizes are compared always; token lists when both sides have a tokenizer.

    Args:
        first: a keras-hub tokenizer, preprocessor, backbone or task model.
        second: the same kinds.
        names: what to call the two in the error message.

    Raises:
        DataError: if the vocabulary sizes differ, or the first differing token.

    Example:
    ```python
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=["[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                           "[MASK]", "good", "bad"])
    student = keras_hub.models.BertBackbone(vocabulary_size=7, num_layers=1, num_heads=1,
                                            hidden_dim=4, intermediate_dim=8)
    check_same_vocabulary(tokenizer, student, names=("tokenizer", "student"))
    ```
    """
    (size_a, tokens_a), (size_b, tokens_b) = _vocabulary(first), _vocabulary(second)
    source = f"{names[0]} vs {names[1]}"
    if size_a != size_b:
        raise DataError(
            f"the {names[0]} has a vocabulary of {size_a} tokens, the {names[1]} {size_b}; "
            "teacher and student must share one tokenizer (both read the same token ids).",
            source,
        )
    if tokens_a is not None and tokens_b is not None:
        for index, (a, b) in enumerate(zip(tokens_a, tokens_b)):
            if a != b:
                raise DataError(
                    f"the vocabularies differ first at id {index}: {a!r} ({names[0]}) vs "
                    f"{b!r} ({names[1]}); teacher and student must share one tokenizer.",
                    source,
                )


def make_distillation_dataset(examples, tokenizer, teacher, student, batch_size=32, *,
                              sequence_length, shuffle=False, seed=None, drop_remainder=False):
    """The input pipeline of a Distiller: vocabularies checked, one `x` per batch for both models.

    Args:
        examples: an `Examples`.
        tokenizer: the keras-hub tokenizer shared by teacher and student.
        teacher: the teacher (backbone, task model or its tokenizer).
        student: the student (backbone, task model or its tokenizer).
        batch_size: examples per batch.
        sequence_length: the packed length (`task.sequence_length`).
        shuffle: shuffle each epoch.
        seed: the shuffle seed.
        drop_remainder: drop a last, smaller batch.

    Returns:
        A `tf.data.Dataset` of `(x, labels)`, as `make_dataset`.

    Raises:
        DataError: if the tokenizer, teacher and student vocabularies differ.

    Example:
    ```python
    ds = make_distillation_dataset(data["train"], tokenizer, teacher, student, 32,
                                   sequence_length=data.task.sequence_length, shuffle=True, seed=0)
    ```
    """
    check_same_vocabulary(tokenizer, teacher, names=("tokenizer", "teacher"))
    check_same_vocabulary(tokenizer, student, names=("tokenizer", "student"))
    return make_dataset(
        examples, tokenizer, batch_size, sequence_length=sequence_length, shuffle=shuffle,
        seed=seed, drop_remainder=drop_remainder,
    )
