"""Corpora prepared once: tokenized, packed sequences in sharded TFRecord files.

Streaming plain text tokenizes it again at every pass and on every worker, which is fine for a
small corpus; a large one is prepared once. `write_prepared_corpus` packs the text exactly as
`text_corpus_dataset` does and writes each document's sequences to file
`document_number % num_files`, so the work splits across machines by files: `shard="i/N"`
writes the i-th of N blocks of the files, and the files of N such runs are byte for byte the
files of one run. A folder holds:

```
corpus.json                    what every part shares: sequence length, files, tokenizer, text
part-00000-of-00016.tfrecord   tf.train.Example records, one "token_ids" int64 list each
part-00000-of-00016.json       its sequences, bytes and sha256, written once it is complete
part-00000-of-00016.lock       held by the process writing the part (empty when none is)
...
```

`prepared_corpus_dataset` reads the parts of one folder, or of several (each machine's output
folder, merged by listing them), interleaved in a fixed order.
"""

import contextlib
import hashlib
import json
import math
import os
import pathlib
import re

import tensorflow as tf

from tinybert_keras.config import shard_range
from tinybert_keras.data import integrity
from tinybert_keras.data.corpus import corpus_sentences
from tinybert_keras.data.corpus import model_inputs
from tinybert_keras.data.corpus import packed_token_ids
from tinybert_keras.data.corpus import text_corpus_dataset
from tinybert_keras.data.tasks import DataError

MANIFEST = "corpus.json"
FORMAT = "tinybert-keras prepared corpus, version 1"
# With the temporary names of parts being written (`.partial`) and of records being replaced
# (`integrity.replacing`'s `.partial-<pid>-` prefix).
_OWN_FILE = re.compile(
    r"(\.partial-\d+-)?(corpus\.json|part-\d{5}-of-\d{5}\.(tfrecord|json|lock))(\.partial)?"
)
# Parts read at once; a fixed number, so the order of the records never depends on the machine.
MAX_OPEN_PARTS = 64


def _part_name(index, num_files):
    """The file name of part `index` of `num_files`: `part-00003-of-00016.tfrecord`."""
    return f"part-{index:05d}-of-{num_files:05d}.tfrecord"


def _tokenizer_fingerprint(tokenizer):
    """What decides a tokenizer's ids: its class, casing and a hash of its vocabulary."""
    vocabulary = json.dumps(list(tokenizer.get_vocabulary())).encode("utf-8")
    return {
        "class": type(tokenizer).__name__,
        "lowercase": getattr(tokenizer, "lowercase", None),
        "strip_accents": getattr(tokenizer, "strip_accents", None),
        "vocabulary_sha256": hashlib.sha256(vocabulary).hexdigest(),
    }


def _replace(partial, path):
    """Moves a finished `.partial` file into place, on the disk first (a kill leaves either)."""
    integrity.sync(partial)
    os.replace(partial, path)


def _complete(folder, name):
    """The record of a finished part whose file still matches it, else `None`."""
    record_path = folder / name.replace(".tfrecord", ".json")
    if not record_path.is_file() or not (folder / name).is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
    except ValueError:
        return None  # a damaged record: the part is written again
    if record["bytes"] != (folder / name).stat().st_size or record["sha256"] != (
        integrity.sha256_of(folder / name)
    ):
        return None
    return record


def _check_manifest(folder, manifest):
    """Refuses a folder holding other files, or a corpus prepared with other settings."""
    path = folder / MANIFEST
    if not path.is_file():
        foreign = sorted(p.name for p in folder.iterdir() if not _OWN_FILE.fullmatch(p.name))
        if foreign:
            raise DataError(
                f"{folder} holds files that are not a prepared corpus ({foreign[:5]}); choose a "
                "new or empty folder so that nothing is overwritten."
            )
        return
    saved = json.loads(path.read_text(encoding="utf-8"))
    changed = sorted(key for key in manifest if saved.get(key) != manifest[key])
    if changed:
        raise DataError(
            f"{folder} holds a corpus prepared otherwise (changed: {changed}): every shard must "
            "read the same text with the same tokenizer, sequence length and number of files. "
            "Use the same settings, or a new folder; nothing was overwritten."
        )


def _write_parts(output_dir, tokenizer, paths, sequence_length, num_files, todo):
    """Writes the parts `todo`; returns `(sequences per part, text sha256, documents)`."""
    text_hash, documents = hashlib.sha256(), 0

    def own_sentences():
        nonlocal documents
        for document, sentence in corpus_sentences(paths):
            text_hash.update(f"{document}\t{sentence}\n".encode("utf-8"))
            documents = document + 1
            if document % num_files in todo:
                yield document, sentence

    writers = {index: tf.io.TFRecordWriter(str(output_dir / (_part_name(index, num_files) +
                                                            ".partial"))) for index in todo}
    counts = dict.fromkeys(todo, 0)
    for document, ids in packed_token_ids(own_sentences(), tokenizer, sequence_length - 2):
        feature = tf.train.Feature(int64_list=tf.train.Int64List(value=ids.tolist()))
        example = tf.train.Example(features=tf.train.Features(feature={"token_ids": feature}))
        writers[document % num_files].write(example.SerializeToString())
        counts[document % num_files] += 1
    for writer in writers.values():
        writer.close()
    return counts, text_hash.hexdigest(), documents


def write_prepared_corpus(output_dir, tokenizer, paths=None, sequence_length=128, num_files=16,
                          shard=None):
    """Tokenizes and packs a text corpus into TFRecord parts, all of them or one shard's.

    Every shard reads the whole text (to number the documents, and to hash it so that merged
    shards are known to come from the same corpus) but tokenizes only its own documents. A part
    is complete once its `.json` record is written; complete parts are kept, so an interrupted
    run is simply run again.

    Args:
        output_dir: the folder (created; one with other files is refused).
        tokenizer: the keras-hub tokenizer of the teacher that will read the corpus.
        paths: `.txt` files or folders of them; `None` for the offline news corpus.
        sequence_length: the packed length, [CLS] and [SEP] included.
        num_files: the number of parts of the whole corpus.
        shard: `"i/N"` to write only the i-th of N blocks of the parts; `None` for all.

    Returns:
        A dict: `parts` (this shard's names), `sequences` (in them), `documents` (in the whole
        corpus).

    Raises:
        DataError: if the folder holds other files, or a corpus prepared otherwise.

    Example:
    ```python
    write_prepared_corpus("wiki_prepared", tokenizer, ["wiki/"], num_files=64, shard="0/8")
    ```
    """
    output_dir = pathlib.Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    manifest = {"format": FORMAT, "sequence_length": sequence_length, "num_files": num_files,
                "tokenizer": _tokenizer_fingerprint(tokenizer)}
    _check_manifest(output_dir, manifest)
    owned = shard_range(shard, num_files)
    with contextlib.ExitStack() as locks:
        for index in owned:
            locks.enter_context(_part_lock(output_dir, _part_name(index, num_files)))
        _write_missing_parts(output_dir, tokenizer, paths, manifest, owned)
    records = [_complete(output_dir, _part_name(index, num_files)) for index in owned]
    return {"parts": [_part_name(index, num_files) for index in owned],
            "sequences": sum(record["sequences"] for record in records),
            "documents": json.loads((output_dir / MANIFEST).read_text())["documents"]}


def _part_lock(folder, name):
    """Holds a part while this process writes it: two writers of one part would mix its files."""
    lock = folder / name.replace(".tfrecord", ".lock")
    return integrity.exclusive(lock, lambda holder: DataError(
        f"{folder / name} is being written by another prepare-corpus ({holder}). Wait for it to "
        "end, or give each process its own --shard."
    ))


def _write_missing_parts(output_dir, tokenizer, paths, manifest, owned):
    """Writes the parts of `owned` that are not complete (the caller holds their locks)."""
    sequence_length, num_files = manifest["sequence_length"], manifest["num_files"]
    todo = {index for index in owned if _complete(output_dir, _part_name(index, num_files)) is None}
    if not todo and (output_dir / MANIFEST).is_file():
        return
    counts, text_sha256, documents = _write_parts(
        output_dir, tokenizer, paths, sequence_length, num_files, todo
    )
    manifest.update(text_sha256=text_sha256, documents=documents)
    try:
        _check_manifest(output_dir, manifest)
    except DataError:
        for index in todo:
            (output_dir / (_part_name(index, num_files) + ".partial")).unlink()
        raise
    integrity.write_json(output_dir / MANIFEST, manifest)
    for index in sorted(todo):
        name = _part_name(index, num_files)
        _replace(output_dir / (name + ".partial"), output_dir / name)
        integrity.write_json(output_dir / name.replace(".tfrecord", ".json"), {
            "sequences": counts[index], "bytes": (output_dir / name).stat().st_size,
            "sha256": integrity.sha256_of(output_dir / name),
        })


def is_prepared_corpus(paths):
    """Whether `paths` names prepared corpus folders (each holds a `corpus.json`).

    Args:
        paths: a path or a list of paths, or `None`.

    Returns:
        A bool.

    Example:
    ```python
    is_prepared_corpus(["wiki_prepared/"])
    ```
    """
    if paths is None:
        return False
    paths = [paths] if isinstance(paths, (str, pathlib.Path)) else paths
    return all((pathlib.Path(path) / MANIFEST).is_file() for path in paths)


def _read_parts(paths):
    """`(manifest, files in part order, sequences)` of the prepared corpus in `paths` (one
    folder or several, e.g. each machine's shard); refuses different manifests, a missing part,
    or a part whose size is not the one recorded when it was written."""
    folders = [pathlib.Path(p) for p in ([paths] if isinstance(paths, (str, pathlib.Path))
                                         else paths)]
    manifests = {folder: json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
                 for folder in folders}
    manifest = manifests[folders[0]]
    for folder, other in manifests.items():
        if other != manifest:
            raise DataError(
                f"{folders[0]} and {folder} hold different corpora (their {MANIFEST} differ); "
                "merge only the shards of one preparation."
            )
    num_files, parts = manifest["num_files"], {}
    for folder in folders:
        for index in range(num_files):
            name = _part_name(index, num_files)
            record_path = folder / name.replace(".tfrecord", ".json")
            if index in parts or not record_path.is_file():
                continue
            record = json.loads(record_path.read_text(encoding="utf-8"))
            if (folder / name).stat().st_size != record["bytes"]:
                raise DataError(
                    f"{folder / name} is not the file that was written ({record['bytes']} "
                    "bytes); delete it and its .json, and prepare its shard again."
                )
            parts[index] = (folder / name, record["sequences"])
    missing = [_part_name(index, num_files) for index in range(num_files) if index not in parts]
    if missing:
        raise DataError(
            f"The prepared corpus in {[str(f) for f in folders]} lacks {len(missing)} of its "
            f"{num_files} parts ({missing[:3]}...): list the folders of every shard, or finish "
            "the shards that write them."
        )
    files = [str(parts[index][0]) for index in range(num_files)]
    return manifest, files, sum(parts[index][1] for index in range(num_files))


def prepared_corpus_dataset(paths, tokenizer, sequence_length=128, batch_size=32):
    """A `tf.data.Dataset` of keras-hub inputs from a prepared corpus, with its length known.

    The parts are interleaved one record at a time, in a fixed order; the batches are the ones
    `text_corpus_dataset` would make of the same sequences in that order.

    Args:
        paths: the folder of `write_prepared_corpus`, or several (each machine's shard).
        tokenizer: the tokenizer the corpus was prepared with (checked).
        sequence_length: the packed length (must be the prepared one).
        batch_size: sequences per batch.

    Returns:
        A `tf.data.Dataset` of dicts `{"token_ids", "segment_ids", "padding_mask"}` whose
        `cardinality()` is its number of batches.

    Raises:
        DataError: for another tokenizer or sequence length, or an incomplete corpus.

    Example:
    ```python
    corpus = prepared_corpus_dataset(["wiki_prepared/"], tokenizer, 128, batch_size=32)
    int(corpus.cardinality())
    ```
    """
    manifest, files, sequences = _read_parts(paths)
    if manifest["sequence_length"] != sequence_length:
        raise DataError(
            f"The corpus in {paths} was prepared for sequence_length {manifest['sequence_length']}"
            f", not {sequence_length}: use that length, or prepare it again with this one."
        )
    if manifest["tokenizer"] != _tokenizer_fingerprint(tokenizer):
        raise DataError(
            f"The corpus in {paths} was prepared with another tokenizer than this teacher's: "
            "prepare it again with --tokenizer set to the teacher."
        )
    records = tf.data.Dataset.from_tensor_slices(files).interleave(
        tf.data.TFRecordDataset, cycle_length=min(len(files), MAX_OPEN_PARTS), block_length=1,
        num_parallel_calls=tf.data.AUTOTUNE, deterministic=True,
    )

    def parse(serialized):
        features = tf.io.parse_example(
            serialized, {"token_ids": tf.io.RaggedFeature(tf.int64)}
        )
        return tf.cast(features["token_ids"], tf.int32)

    batches = records.batch(batch_size).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
    batches = batches.apply(tf.data.experimental.assert_cardinality(
        math.ceil(sequences / batch_size)
    ))
    return model_inputs(batches, tokenizer, sequence_length)


def corpus_dataset(paths, tokenizer, sequence_length=128, batch_size=32):
    """General distillation's corpus: prepared folders, or text streamed as it is read.

    Args:
        paths: prepared corpus folders (see `is_prepared_corpus`), or `.txt` files and folders,
            or `None` for the offline news corpus.
        tokenizer: the teacher's keras-hub tokenizer.
        sequence_length: the packed length.
        batch_size: sequences per batch.

    Returns:
        `prepared_corpus_dataset(...)` or `text_corpus_dataset(...)`.

    Example:
    ```python
    corpus = corpus_dataset(["wiki_prepared/"], tokenizer, 128, 32)
    ```
    """
    if is_prepared_corpus(paths):
        return prepared_corpus_dataset(paths, tokenizer, sequence_length, batch_size)
    return text_corpus_dataset(paths, tokenizer, sequence_length, batch_size)
