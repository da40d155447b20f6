"""The settings of corpus preparation (`tinybert-keras prepare-corpus`), and the shard `i/N` that
splits preparation and augmentation across machines."""

import dataclasses
import re

from tinybert_keras.config.fields import Settings
from tinybert_keras.config.fields import setting
from tinybert_keras.config.kinds import ConfigError
from tinybert_keras.config.kinds import Custom
from tinybert_keras.config.kinds import Text
from tinybert_keras.config.kinds import Texts
from tinybert_keras.config.stages import COUNT


def _shard_parts(shard):
    """`(i, N)` of a shard written `"i/N"` (spaces allowed), or `None` if it is not one."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", shard) if isinstance(shard, str) else None
    return None if match is None else (int(match.group(1)), int(match.group(2)))


def _check_shard(name, value):
    parts = _shard_parts(value)
    if parts is None or not parts[0] < parts[1]:
        raise ConfigError(
            f"{name} must be I/N with 0 <= I < N, the I-th of N machines counting from 0 (0/4, "
            f"1/4, 2/4, 3/4); got {value!r}."
        )
    return "{}/{}".format(*parts)


SHARD = Custom(checker=_check_shard, parser=str, optional=True, metavar="I/N")


def shard_range(shard, count):
    """The items of `count` that the shard `"i/N"` takes: the i-th of N contiguous blocks.

    Shards differ in size by at most one item, and the N blocks in order are `range(count)`.

    Args:
        shard: `"i/N"` (a checked `SHARD` value), or `None` for all items.
        count: how many items there are.

    Returns:
        A `range`.

    Example:
    ```python
    [list(shard_range(f"{i}/3", 7)) for i in range(3)]  # [[0, 1], [2, 3], [4, 5, 6]]
    ```
    """
    if shard is None:
        return range(count)
    index, shards = _shard_parts(shard)
    return range(index * count // shards, (index + 1) * count // shards)


@dataclasses.dataclass(frozen=True)
class CorpusSettings(Settings):
    """Preparing a text corpus once into tokenized, packed TFRecord files for general distillation.

    Args:
        corpus: `.txt` files or folders; `None` for the offline news corpus.
        tokenizer: the preset whose tokenizer splits the text (general distillation's teacher).
        sequence_length: the packed length, [CLS] and [SEP] included.
        num_files: how many files the corpus is written to; machines split the work by files.
        shard: `"i/N"`: write only the i-th of N blocks of the files (one machine's part).

    Example:
    ```python
    CorpusSettings(corpus=["wiki/"], tokenizer="bert_base_en_uncased", shard="0/4")
    ```
    """

    corpus: list = setting(
        None, "Text files or folders of them; none: the offline news corpus.",
        Texts(optional=True, metavar="PATH"))
    tokenizer: str = setting(
        "bert_base_en_uncased", "The preset whose tokenizer splits the text: general "
        "distillation's teacher.", Text(metavar="PRESET"))
    sequence_length: int = setting(
        128, "Packed length of corpus sequences; general distillation must use the same.", COUNT)
    num_files: int = setting(
        16, "Files the corpus is written to; up to this many machines can share the work.",
        COUNT)
    shard: str = setting(
        None, "Write only the I-th of N blocks of the files (0/4 ... 3/4 on four machines); the "
        "blocks together are the whole corpus.", SHARD)

    def check_together(self):
        shards = None if self.shard is None else _shard_parts(self.shard)[1]
        if shards is not None and shards > self.num_files:
            raise ConfigError(
                f"shard {self.shard} splits {self.num_files} files {shards} ways; raise "
                "num_files to at least the number of machines."
            )
