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


def read_delimited(path, delimiter, encoding="utf-8", quoting=csv.QUOTE_MINIMAL, fieldnames=None,
                   columns=()):
    """Yields `(line, row dict)` from a delimited file with a header row.

    Line numbers are the file's: a row's is the line it starts on (a quoted CSV field may span
    lines), and a header without a needed column is reported at the header's line.

    Args:
        path: the file.
        delimiter: `","` or `"\t"`.
        encoding: the text encoding.
        quoting: a `csv` quoting constant.
        fieldnames: column names for a file without a header row.
        columns: the columns the caller needs; a header without one raises `DataError`.

    Yields:
        `(line_number, dict)` for each non-blank row; a short row's missing fields are `None`,
        a long row's extra fields a list under the key `None` (as `csv.DictReader` does).

    Raises:
        DataError: if the header lacks one of `columns`.

    Example:
    ```python
    for line, row in read_delimited("train.csv", ",", columns=("sentence", "label")):
        print(line, row)
    ```
    """
    reader = csv.reader(decoded_lines(path, encoding), delimiter=delimiter, quoting=quoting)
    if fieldnames is None:
        fieldnames = next(reader, None)
        if fieldnames is None:
            return
        missing = [column for column in columns if column not in fieldnames]
        if missing:
            raise DataError(
                f"the header has no column {missing[0]!r}; its columns are {fieldnames}.",
                path, reader.line_num, missing[0],
            )
    end = reader.line_num
    for values in reader:
        start, end = end + 1, reader.line_num
        if not values:
            continue
        row = dict(zip(fieldnames, values))
        if len(values) > len(fieldnames):
            row[None] = values[len(fieldnames):]
        row.update((name, None) for name in fieldnames[len(values):])
        yield start, row


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

    The format follows the suffix, as for `load_files`.

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
    rows = _rows(path, None, encoding, (*text_columns, label_column))
    return read_records(rows, path, text_columns, label_column)


def _rows(path, file_format, encoding, columns):
    file_format = file_format or FORMATS.get(pathlib.Path(path).suffix, "tsv")
    if file_format == "csv":
        return read_delimited(path, ",", encoding, columns=columns)
    if file_format == "jsonl":
        return _read_jsonl(path, encoding)
    return read_delimited(path, "\t", encoding, quoting=csv.QUOTE_NONE, columns=columns)


def load_files(train=None, dev=None, test=None, *, text_columns, label_column, label_names=None,
               regression=False, name=None, metrics=None, sequence_length=None,
               file_format=None, encoding="utf-8"):
    """Loads a custom task from files with named columns, each read by its extension.

    `.csv`: comma-separated with a header row, fields quoted as spreadsheets write them.
    `.tsv` (and any other extension): tab-separated with a header row and unquoted fields, as in
    GLUE. `.jsonl` / `.json`: one JSON object per line.

    Args:
        train: the train file; `None` with `label_names` (or `regression`) scores dev or test
            files alone.
        dev: optional dev file.
        test: optional labelled test file.
        text_columns: the text column name, or two names for a sentence-pair task.
        label_column: the label column name.
        label_names: class names in class-id order (the teacher's output order); `None` infers
            them from the train file (sorted; numerically if they are integers).
        regression: whether the labels are real-valued scores.
        name: the task name; defaults to the first file's folder name.
        metrics: metric names, see `Task`.
        sequence_length: see `Task` (64 single, 128 pairs by default).
        file_format: `"csv"`, `"tsv"` or `"jsonl"` for every file, instead of the extensions.
        encoding: the files' text encoding.

    Returns:
        A `TaskData` with a split per file given: "train", "dev", "test".

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
    if not paths:
        raise ValueError("load_files needs a file: give train (and dev, test).")
    text_columns = (text_columns,) if isinstance(text_columns, str) else tuple(text_columns)
    columns = (*text_columns, label_column)
    records = {
        split: read_records(_rows(path, file_format, encoding, columns), path, text_columns,
                            label_column)
        for split, path in paths.items()
    }
    folder = pathlib.Path(next(iter(paths.values()))).parent.name
    return build_task_data(
        records, paths, name=name or folder or "custom",
        text_columns=text_columns, label_column=label_column, label_names=label_names,
        regression=regression, metrics=metrics, sequence_length=sequence_length,
    )
