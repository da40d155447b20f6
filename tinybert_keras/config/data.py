"""What a stage learns from: a named dataset or your own files, and how its examples are cut.

`SourceSettings` says where the examples come from (a named dataset, or files of your own),
`ColumnSettings` how a file of your own is read (its columns and labels); `DataSettings` joins
them with how examples are cut, for every stage that reads a task (its fields sit at the top of
`RecipeConfig`). `AugmentSettings` reads its input with the same `ColumnSettings`.
"""

import dataclasses
import pathlib

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Options
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.kinds import Texts
from tinybert_keras.config.stages import OPTIONAL_COUNT

DEFAULT_TASK = "sst2"


@dataclasses.dataclass(frozen=True)
class ColumnSettings(Settings):
    """How the examples of your own file are read: which columns, which labels.

    Args:
        text_columns: one text column, or two for a sentence-pair task.
        label_column: the label column.
        label_names: the class names in the model's output order; `None` takes the train
            file's labels, sorted (numerically when they are all integers).
        regression: the labels are real-valued scores.

    Example:
    ```python
    ColumnSettings(text_columns=["review"], label_column="stars", label_names=["1", "2", "3"])
    ```
    """

    text_columns: list = setting(
        None, "Your file's text column, or two for sentence pairs (repeat the flag).",
        Texts(optional=True, singular="text_column", metavar="COLUMN"))
    label_column: str = setting(None, "Your file's label column.",
                                Text(optional=True, metavar="COLUMN"))
    label_names: list = setting(
        None, "Class names in the model's output order; none: the train file's labels, sorted "
        "(numerically if integers).", Texts(optional=True, metavar="NAME"))
    regression: bool = setting(
        False, "The labels are real-valued scores (one output; Pearson and Spearman).", Boolean())

    def check_together(self):
        if self.text_columns is not None and len(self.text_columns) > 2:
            raise ConfigError(
                f"text_columns takes one column, or two for sentence pairs; got "
                f"{self.text_columns}."
            )
        if self.regression and self.label_names is not None:
            raise ConfigError(
                "regression and label_names exclude each other (a regression has no classes): "
                "drop one."
            )

    def require_columns(self, reason):
        """Raises `ConfigError` unless `text_columns` and `label_column` are set.

        Args:
            reason: what needs them, e.g. `"train is a file of your own"`.

        Example:
        ```python
        ColumnSettings(text_columns=["review"], label_column="stars").require_columns("train")
        ```
        """
        hints = {"text_columns": "text_columns (the text column, or two for sentence pairs: "
                                 "--text-column COLUMN, repeated for the second)",
                 "label_column": "label_column (--label-column COLUMN)"}
        missing = [name for name in hints if getattr(self, name) is None]
        if missing:
            raise ConfigError(
                f"{reason}, but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                f"not set: add {' and '.join(hints[name] for name in missing)}."
            )


FILES = ("train", "dev", "test")
FILE_ONLY = ("text_columns", "label_column", "label_names", "metrics")


@dataclasses.dataclass(frozen=True)
class SourceSettings(Settings):
    """Where a task's examples come from: a named dataset, or files of your own.

    Args:
        task: a dataset name for `tinybert_keras.data.load_dataset` (`None`: `"sst2"`); with
            files, the task's name (`None`: the first file's folder name).
        train: your own training file (`.csv`, `.tsv` or `.jsonl`, read by
            `tinybert_keras.data.load_files`) instead of a named dataset.
        dev: your own dev file.
        test: your own labelled test file.

    Example:
    ```python
    SourceSettings(train="reviews/train.csv", dev="reviews/dev.csv").has_files  # True
    ```
    """

    task: str = setting(
        None, "A dataset: a GLUE task (sst2, mnli, ...) or an offline one (rotten_tomatoes, "
        "vader_movies, trec, sms_spam); with train, your task's name. none: sst2, or with files "
        "the train file's folder name.", Text(optional=True, metavar="NAME"))
    train: str = setting(
        None, "Your own training file (.csv, .tsv or .jsonl, by extension) instead of a named "
        "dataset.", Text(optional=True, metavar="FILE"))
    dev: str = setting(None, "Your own dev file (scored after each stage).",
                       Text(optional=True, metavar="FILE"))
    test: str = setting(None, "Your own labelled test file (evaluate with split test).",
                        Text(optional=True, metavar="FILE"))

    @property
    def has_files(self):
        """Whether the task comes from your own files (`train`, `dev` or `test` is set)."""
        return any(getattr(self, name) is not None for name in FILES)

    @property
    def dataset(self):
        """The named dataset to load when no file is given: `task`, else `"sst2"`."""
        return self.task or DEFAULT_TASK


@dataclasses.dataclass(frozen=True)
class DataSettings(ColumnSettings, SourceSettings):
    """Which task to learn, from a named dataset or from your own files, and how it is cut.

    Args:
        metrics: your task's metric names, main first; `None`: accuracy, or Pearson and
            Spearman for a regression.
        dataset_options: extra `load_dataset` arguments, or `load_files` ones with files.
        sequence_length: the packed length of task examples; `None` takes the task's.
        train_examples: use only the first this many training examples.
        dev_examples: score on only the first this many dev examples.
        **source_and_columns: the `SourceSettings` (dataset or files) and the
            `ColumnSettings` of your files.

    Example:
    ```python
    DataSettings(task="rotten_tomatoes", sequence_length=48)
    DataSettings(train="reviews/train.csv", dev="reviews/dev.csv", text_columns=["review"],
                 label_column="sentiment")
    ```
    """

    metrics: list = setting(
        None, "Your task's metrics, main first (accuracy, f1, matthews_correlation, pearson, "
        "spearman); none: accuracy, or pearson and spearman for a regression.",
        Texts(optional=True, metavar="METRIC"))
    dataset_options: dict = setting(
        {}, "Extra loader argument (repeatable): load_dataset's, e.g. source=glue_data (a "
        "glue_data folder), or with files load_files', e.g. encoding=latin-1.",
        Options(metavar="KEY=VALUE"))
    sequence_length: int = setting(
        None, "Packed length of task examples; none takes the task's (64 single sentence, 128 "
        "pairs).", OPTIONAL_COUNT)
    train_examples: int = setting(
        None, "Train on only the first N training examples (quick runs).", OPTIONAL_COUNT)
    dev_examples: int = setting(
        None, "Score on only the first N dev examples (quick runs).", OPTIONAL_COUNT)

    def check_together(self):
        super().check_together()
        if not self.has_files:
            given = [name for name in FILE_ONLY if getattr(self, name) is not None]
            given += ["regression"] if self.regression else []
            if given:
                raise ConfigError(
                    f"{', '.join(given)} describe{'s' if len(given) == 1 else ''} your own "
                    "files, but no file is given: add train and dev (your files), or drop "
                    f"{'it' if len(given) == 1 else 'them'} to use the named dataset "
                    f"{self.dataset}."
                )

    def check_files(self):
        """Checks that your files exist and their columns are named; raises `ConfigError`.

        Example:
        ```python
        try:
            DataSettings(train="nowhere.csv", text_columns=["text"], label_column="label"
                         ).check_files()
        except ConfigError as error:
            print(error)  # train: no file at nowhere.csv; set train to your train file ...
        ```
        """
        if not self.has_files:
            return
        given = [name for name in FILES if getattr(self, name) is not None]
        files = "is a file" if len(given) == 1 else "are files"
        self.require_columns(f"{' and '.join(given)} {files} of your own")
        for name in given:
            path = pathlib.Path(getattr(self, name))
            if not path.is_file():
                raise ConfigError(
                    f"{name}: no file at {path}{' (a folder)' if path.is_dir() else ''}; set "
                    f"{name} to your {name} file (.csv, .tsv or .jsonl)."
                )
