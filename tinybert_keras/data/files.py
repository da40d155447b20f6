"""Custom tasks from files: CSV, TSV or JSON lines with named columns, by extension.

Errors name the file, the line (as a text editor counts it) and the column.
"""

import csv
import json
import pathlib

from tinybert_keras.data.custom import SPLITS
from tinybert_keras.data.custom import build_task_data
from tinybert_keras.data.custom import read_records
from tinybert_keras.data.tasks import DataError

FORMATS = {".csv": "csv", ".tsv": "tsv", ".jsonl": "jsonl", ".json": "jsonl"}
"""File extensions and the format each is read as; any other extension is read as TSV."""


def decoded_lines(path, encoding="utf-8"):
    """Yields the lines of a text file, decoded one at a time so errors name the exact line.

    Args:
        path: the file.
        encoding: its text encoding.

    Yields:
        Each line as a `str`, line ending included.

    Raises:
        DataError: if a line cannot be decoded.

    Example:
    ```python
    first = next(decoded_lines("train.csv"))
    ```
    """
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError as error:
                raise DataError(
                    f"byte {error.start} is not valid {encoding}; re-save the file as {encoding} "
                    "or pass the right encoding=.",
                    path, number,
                ) from None
            yield text.lstrip("\ufeff") if number == 1 else text


def read_delimited(path, delimiter, encoding="utf-8", quoting=csv.QUOTE_MINIMAL, fieldnames=None):
    """Yields `(line, row dict)` from a delimited file with a header row.

    Args:
        path: the file.
        delimiter: `","` or `"\\t"`.
        encoding: the text encoding.
        quoting: a `csv` quoting constant.
        fieldnames: column names for a file without a header row.

    Yields:
        `(line_number, dict)` for each row.

    Example:
    ```python
    for line, row in read_delimited("train.csv", ","):
        print(line, row)
    ```
    """
    reader = csv.DictReader(
        decoded_lines(path, encoding), fieldnames=fieldnames, delimiter=delimiter, quoting=quoting
    )
    for row in reader:
        yield reader.line_num, row


def _read_jsonl(path, encoding):
    for number, text in enumerate(decoded_lines(path, encoding), start=1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as error:
            raise DataError(f"invalid JSON ({error.msg}).", path, number) from None
        if not isinstance(row, dict):
            raise DataError(f"expected a JSON object, got {type(row).__name__}.", path, number)
        yield number, row


def read_file_records(path, text_columns, label_column, encoding="utf-8"):
    """Reads `(text, raw_label, line)` records from a CSV, TSV or JSONL file, labels untouched.

    The format follows the suffix: `.csv` (quoted CSV), `.jsonl` / `.json` (one object a line),
    anything else tab-separated with unquoted fields. All have named columns.

    Args:
        path: the file.
        text_columns: one or two column names.
        label_column: the label column name.
        encoding: the file's text encoding.

    Returns:
        A list of `(text or (text_a, text_b), raw_label, line)` tuples, as `read_records`.

    Example:
    ```python
    records = read_file_records("train.tsv", ("sentence",), "label")
    ```
    """
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    return read_records(_rows(path, None, encoding), path, text_columns, label_column)


def _rows(path, file_format, encoding):
    file_format = file_format or FORMATS.get(pathlib.Path(path).suffix, "tsv")
    if file_format == "csv":
        return read_delimited(path, ",", encoding)
    if file_format == "jsonl":
        return _read_jsonl(path, encoding)
    return read_delimited(path, "\t", encoding, quoting=csv.QUOTE_NONE)


def load_files(train, dev=None, test=None, *, text_columns, label_column, label_names=None,
               regression=False, name=None, metrics=None, sequence_length=None,
               file_format=None, encoding="utf-8"):
    """Loads a custom task from files with named columns, each read by its extension.

    `.csv`: comma-separated with a header row, fields quoted as spreadsheets write them.
    `.tsv` (and any other extension): tab-separated with a header row and unquoted fields, as in
    GLUE. `.jsonl` / `.json`: one JSON object per line.

    Args:
        train: the train file.
        dev: optional dev file.
        test: optional labelled test file.
        text_columns: the text column name, or two names for a sentence-pair task.
        label_column: the label column name.
        label_names: class names in class-id order (the teacher's output order); `None` infers
            them from the train file (sorted; numerically if they are integers).
        regression: whether the labels are real-valued scores.
        name: the task name; defaults to the train file's folder name.
        metrics: metric names, see `Task`.
        sequence_length: see `Task` (64 single, 128 pairs by default).
        file_format: `"csv"`, `"tsv"` or `"jsonl"` for every file, instead of the extensions.
        encoding: the files' text encoding.

    Returns:
        A `TaskData` with splits "train" and, if given, "dev" and "test".

    Raises:
        DataError: naming the file, line and column of a missing column, an empty file, an
            unknown or inconsistent label, an undecodable line, bad JSON, or a dev label missing
            from train.

    Example:
    ```python
    data = load_files("reviews/train.csv", "reviews/dev.csv", text_columns="review",
                      label_column="stars", label_names=("1", "2", "3", "4", "5"))
    ```
    """
    paths = {split: path for split, path in zip(SPLITS, (train, dev, test)) if path is not None}
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    records = {
        split: read_records(_rows(path, file_format, encoding), path, text_columns, label_column)
        for split, path in paths.items()
    }
    return build_task_data(
        records, paths, name=name or pathlib.Path(paths["train"]).parent.name or "custom",
        text_columns=text_columns, label_column=label_column, label_names=label_names,
        regression=regression, metrics=metrics, sequence_length=sequence_length,
    )
