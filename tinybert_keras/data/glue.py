"""GLUE, through `tensorflow_datasets` or from the classic `glue_data/<TASK>/*.tsv` folder.

Both sources give the same `Task` per GLUE task, with the class order of the original BERT and
TinyBERT scripts (MNLI: contradiction, entailment, neutral), so a teacher fine-tuned by either
path fits either source. tfds orders MNLI's classes differently; its ids are remapped by name.
GLUE's test labels are private, so only the labelled splits are loaded: "train", "dev" and, for
MNLI, "dev_mismatched" ("dev" is MNLI-matched).
"""

import csv
import dataclasses
import pathlib

from tinybert_keras.data.custom import build_task_data, read_records
from tinybert_keras.data.files import FORMATS
from tinybert_keras.data.files import decoded_lines
from tinybert_keras.data.files import load_files
from tinybert_keras.data.files import read_delimited
from tinybert_keras.data.tasks import DataError, Task


@dataclasses.dataclass(frozen=True)
class _GlueSpec:
    text_columns: tuple
    label_names: tuple
    metrics: tuple
    folder: str
    tsv_columns: tuple
    tsv_label: str
    tsv_header: tuple = None
    dev_files: tuple = (("dev", "dev.tsv"),)
    tfds_dev: tuple = (("dev", "validation"),)


_MNLI_DEV = (("dev", "dev_matched.tsv"), ("dev_mismatched", "dev_mismatched.tsv"))
_MNLI_TFDS_DEV = (("dev", "validation_matched"), ("dev_mismatched", "validation_mismatched"))

_SPECS = {
    "cola": _GlueSpec(("sentence",), ("unacceptable", "acceptable"), ("matthews_correlation",),
                      "CoLA", ("sentence",), "label",
                      tsv_header=("source", "label", "original_label", "sentence")),
    "sst2": _GlueSpec(("sentence",), ("negative", "positive"), ("accuracy",), "SST-2",
                      ("sentence",), "label"),
    "mrpc": _GlueSpec(("sentence1", "sentence2"), ("not_equivalent", "equivalent"),
                      ("f1", "accuracy"), "MRPC", ("#1 String", "#2 String"), "Quality"),
    "qqp": _GlueSpec(("question1", "question2"), ("not_duplicate", "duplicate"),
                     ("f1", "accuracy"), "QQP", ("question1", "question2"), "is_duplicate"),
    "stsb": _GlueSpec(("sentence1", "sentence2"), None, ("spearman", "pearson"), "STS-B",
                      ("sentence1", "sentence2"), "score"),
    "mnli": _GlueSpec(("premise", "hypothesis"), ("contradiction", "entailment", "neutral"),
                      ("accuracy",), "MNLI", ("sentence1", "sentence2"), "gold_label",
                      dev_files=_MNLI_DEV, tfds_dev=_MNLI_TFDS_DEV),
    "qnli": _GlueSpec(("question", "sentence"), ("entailment", "not_entailment"), ("accuracy",),
                      "QNLI", ("question", "sentence"), "label"),
    "rte": _GlueSpec(("sentence1", "sentence2"), ("entailment", "not_entailment"), ("accuracy",),
                     "RTE", ("sentence1", "sentence2"), "label"),
    "wnli": _GlueSpec(("sentence1", "sentence2"), ("not_entailment", "entailment"), ("accuracy",),
                      "WNLI", ("sentence1", "sentence2"), "label"),
}

GLUE_TASKS = tuple(_SPECS)


def _spec(name):
    key = name.lower().replace("-", "").replace("glue/", "")
    if key not in _SPECS:
        raise ValueError(f"Unknown GLUE task {name!r}; choose one of {GLUE_TASKS}.")
    return key, _SPECS[key]


def glue_task(name):
    """The `Task` of a GLUE task.

    Args:
        name: one of `GLUE_TASKS` ("cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte",
            "wnli"); "SST-2", "STS-B" and "glue/mnli" spellings work too.

    Returns:
        A `Task` with GLUE's metrics (main one first) and the paper's sequence length.

    Example:
    ```python
    task = glue_task("mnli")
    print(task.label_names)  # ('contradiction', 'entailment', 'neutral')
    ```
    """
    key, spec = _spec(name)
    return Task(key, spec.text_columns, "label", spec.label_names, spec.metrics)


def _tsv_file_records(key, spec, file):
    # A header-less file (CoLA) has fixed columns; a headered one must name the task's.
    columns = () if spec.tsv_header else (*spec.tsv_columns, spec.tsv_label)
    rows = read_delimited(file, "\t", quoting=csv.QUOTE_NONE, fieldnames=spec.tsv_header,
                          columns=columns)
    # QQP's train.tsv has a handful of truncated lines; the original scripts skip them too.
    return read_records(rows, file, spec.tsv_columns, spec.tsv_label, skip_incomplete=key == "qqp")


def _tsv_records(key, spec, path):
    folder = pathlib.Path(path).expanduser()
    if (folder / spec.folder).is_dir():
        folder = folder / spec.folder
    files = {"train": folder / "train.tsv"}
    files.update({split: folder / file for split, file in spec.dev_files})
    missing = [str(file) for file in files.values() if not file.is_file()]
    if missing:
        raise DataError(
            f"GLUE {key} needs {missing}; expected the glue_data/{spec.folder}/ layout of "
            "download_glue_data.py.",
            path,
        )
    records = {split: _tsv_file_records(key, spec, file) for split, file in files.items()}
    return records, files, spec.tsv_label


def _tfds_records(key, spec, data_dir):
    # Imported here: it is slow to import and only this source needs it.
    import tensorflow_datasets as tfds

    builder = tfds.builder(f"glue/{key}", data_dir=data_dir)
    builder.download_and_prepare()
    names = None if spec.label_names is None else builder.info.features["label"].names

    def rows(tfds_split):
        examples = tfds.as_numpy(builder.as_dataset(split=tfds_split, shuffle_files=False))
        for number, example in enumerate(examples, start=1):
            row = {column: example[column].decode("utf-8") for column in spec.text_columns}
            # Class names, not tfds' ids: tfds orders MNLI's classes differently.
            row["label"] = example["label"] if names is None else names[example["label"]]
            yield number, row

    records, sources = {}, {}
    for split, tfds_split in (("train", "train"), *spec.tfds_dev):
        sources[split] = f"tfds glue/{key} {tfds_split}"
        records[split] = read_records(rows(tfds_split), sources[split], spec.text_columns, "label")
    return records, sources, "label"


def _task_data(key, records, sources, label_column):
    task = glue_task(key)
    # The label column is the file's own, so that errors name it; the returned task is GLUE's.
    data = build_task_data(
        records, sources, name=key, text_columns=task.text_columns, label_column=label_column,
        label_names=task.label_names, regression=task.is_regression, metrics=task.metrics,
    )
    return dataclasses.replace(data, task=task)


def load_glue(name, source="tfds", data_dir=None):
    """Loads a GLUE task's labelled splits.

    Args:
        name: a GLUE task name, see `glue_task`.
        source: `"tfds"` to load through `tensorflow_datasets` (downloads on first use, e.g. on
            Colab), or the path of a `glue_data` folder (or of its `<TASK>` subfolder) with the
            `train.tsv` / `dev.tsv` files that the original TinyBERT scripts read.
        data_dir: with `source="tfds"` only, the folder where tfds keeps its downloads and
            prepared data (tfds' default, `~/tensorflow_datasets`, when `None`). It is not a
            `glue_data` folder: pass that as `source`.

    Returns:
        A `TaskData` with "train" and "dev" (and "dev_mismatched" for MNLI), labels as class ids
        in `glue_task(name).label_names` order.

    Raises:
        DataError: for missing files or bad rows, naming file, line and column.
        ValueError: for a `data_dir` with a `glue_data` source, where it would be ignored.

    Example:
    ```python
    data = load_glue("sst2")                       # through tfds
    data = load_glue("mnli", source="glue_data")   # classic TSV folder
    ```
    """
    key, spec = _spec(name)
    if source == "tfds":
        return _task_data(key, *_tfds_records(key, spec, data_dir))
    if data_dir is not None:
        raise ValueError(
            f"data_dir={data_dir!r} is tfds' data folder, used only with source='tfds'; the "
            f"files are read from source={str(source)!r}. Drop data_dir."
        )
    return _task_data(key, *_tsv_records(key, spec, source))


def load_glue_file(name, path):
    """One labelled file of a GLUE task, in the classic `glue_data` layout or the task's own.

    The classic layout is that of `download_glue_data.py` (MRPC's `#1 String`, `#2 String` and
    `Quality`, MNLI's `sentence1`, `sentence2` and `gold_label`, QQP's `is_duplicate`, STS-B's
    `score`, CoLA without a header); the task's own form has `glue_task(name)`'s text columns
    and a `label` column, as `tinybert-keras augment` writes it, in a `.tsv`, `.csv` or
    `.jsonl` file. Labels may be class names or class ids.

    Args:
        name: a GLUE task name, see `glue_task`.
        path: the file.

    Returns:
        A `TaskData` with the split "train" (whatever the file holds) and GLUE's task.

    Raises:
        DataError: for a header with neither layout's columns, or bad rows.

    Example:
    ```python
    data = load_glue_file("mrpc", "glue_data/MRPC/train.tsv")
    # The label's index in glue_task("mrpc").label_names: "equivalent".
    int(data["train"].labels[0])  # 1
    ```
    """
    key, spec = _spec(name)
    task = glue_task(key)
    own = (*task.text_columns, task.label_column)
    if FORMATS.get(pathlib.Path(path).suffix, "tsv") == "tsv":
        lines = decoded_lines(path)
        fields = next(lines, "").rstrip("\r\n").split("\t")
        lines.close()
        if not set(own) <= set(fields):
            glue_columns = (*spec.tsv_columns, spec.tsv_label)
            if spec.tsv_header is None and not set(glue_columns) <= set(fields):
                raise DataError(
                    f"the header has neither GLUE's columns {list(glue_columns)} nor the task's "
                    f"{list(own)}; its columns are {fields}.", path, 1,
                )
            return _task_data(key, {"train": _tsv_file_records(key, spec, path)},
                              {"train": path}, spec.tsv_label)
    data = load_files(path, text_columns=task.text_columns, label_column=task.label_column,
                      label_names=task.label_names, regression=task.is_regression, name=key,
                      metrics=task.metrics)
    return dataclasses.replace(data, task=task)
