import json
import random

import keras_hub
import pytest

from tinybert_keras.config import ConfigError
from tinybert_keras.config import CorpusSettings
from tinybert_keras.config import shard_range
from tinybert_keras.data import DataError
from tinybert_keras.data import integrity
from tinybert_keras.data import corpus_dataset
from tinybert_keras.data import prepared_corpus_dataset
from tinybert_keras.data import text_corpus_dataset
from tinybert_keras.data import write_prepared_corpus

WORDS = "the a river town film story rain sun night day old new walked played sang".split()
VOCABULARY = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "."] + WORDS


@pytest.fixture(scope="module")
def tokenizer():
    return keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True)


@pytest.fixture(scope="module")
def text(tmp_path_factory):
    """Twenty documents of one to four random sentences, in two files."""
    folder = tmp_path_factory.mktemp("text")
    rng = random.Random(0)
    for name in ("a.txt", "b.txt"):
        with open(folder / name, "w") as file:
            for _ in range(10):
                for _ in range(rng.randint(1, 4)):
                    words = [rng.choice(WORDS) for _ in range(rng.randint(2, 9))]
                    file.write(" ".join(words).capitalize() + ". ")
                file.write("\n\n")
    return str(folder)


def _prepare(folder, tokenizer, text, **kwargs):
    return write_prepared_corpus(folder, tokenizer, [text], sequence_length=16, **kwargs)


def _files(folder):
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.suffix != ".lock"}


def _rows(dataset):
    return [tuple(row) for batch in dataset for row in batch["token_ids"].numpy().tolist()]


def test_shards_of_n_machines_are_the_files_of_one(tmp_path, tokenizer, text):
    whole = _prepare(tmp_path / "one", tokenizer, text, num_files=5)
    assert whole["documents"] == 20 and len(whole["parts"]) == 5
    one = _files(tmp_path / "one")
    assert len(one) == 11  # corpus.json, and a .tfrecord and a .json per part
    for machines in (2, 3):
        merged = {}
        for index in range(machines):
            folder = tmp_path / f"{machines}_{index}"
            shard = _prepare(folder, tokenizer, text, num_files=5, shard=f"{index}/{machines}")
            assert shard["parts"] == whole["parts"][shard_range(f"{index}/{machines}", 5).start:
                                                    shard_range(f"{index}/{machines}", 5).stop]
            merged.update(_files(folder))
        assert merged == one
    # Preparing again is deterministic; a finished folder is kept as it is.
    _prepare(tmp_path / "again", tokenizer, text, num_files=5)
    assert _files(tmp_path / "again") == one
    assert _prepare(tmp_path / "one", tokenizer, text, num_files=5) == whole


def test_merged_shards_read_as_the_streamed_text(tmp_path, tokenizer, text):
    folders = [tmp_path / f"shard_{index}" for index in range(2)]
    for index, folder in enumerate(folders):
        _prepare(folder, tokenizer, text, num_files=4, shard=f"{index}/2")
    prepared = corpus_dataset([str(f) for f in folders], tokenizer, 16, batch_size=3)
    streamed = text_corpus_dataset(text, tokenizer, 16, batch_size=3)
    batches = sum(1 for _ in streamed)
    assert int(prepared.cardinality()) == batches == sum(1 for _ in prepared)
    assert sorted(_rows(prepared)) == sorted(_rows(streamed))
    assert _rows(prepared) == _rows(corpus_dataset([str(f) for f in folders[::-1]], tokenizer,
                                                   16, batch_size=3))
    with pytest.raises(DataError, match=r"lacks 2 of its 4 parts .*list the folders of every"):
        prepared_corpus_dataset(str(folders[0]), tokenizer, 16)


def test_a_prepared_corpus_is_read_only_as_it_was_made(tmp_path, tokenizer, text):
    folder = tmp_path / "prepared"
    _prepare(folder, tokenizer, text, num_files=2)
    with pytest.raises(DataError, match="prepared for sequence_length 16, not 32"):
        prepared_corpus_dataset(folder, tokenizer, 32)
    other = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY + ["extra"])
    with pytest.raises(DataError, match="another tokenizer"):
        prepared_corpus_dataset(folder, other, 16)
    with pytest.raises(DataError, match="changed: \\['sequence_length'\\]"):
        write_prepared_corpus(folder, tokenizer, [text], sequence_length=32, num_files=2)
    part = folder / "part-00001-of-00002.tfrecord"
    part.write_bytes(part.read_bytes()[:-3])
    with pytest.raises(DataError, match="part-00001-of-00002.tfrecord is not the file that"):
        prepared_corpus_dataset(folder, tokenizer, 16)
    # Preparing again rewrites the damaged part only, to the same bytes.
    _prepare(folder, tokenizer, text, num_files=2)
    assert _files(folder) == _files(_prepare_fresh(tmp_path, tokenizer, text))


def _prepare_fresh(tmp_path, tokenizer, text):
    _prepare(tmp_path / "fresh", tokenizer, text, num_files=2)
    return tmp_path / "fresh"


def test_shards_of_another_corpus_are_refused(tmp_path, tokenizer, text):
    folder = tmp_path / "prepared"
    _prepare(folder, tokenizer, text, num_files=2, shard="0/2")
    other = tmp_path / "other.txt"
    other.write_text("The sun. The rain.\n")
    with pytest.raises(DataError, match="changed: \\['documents', 'text_sha256'\\]"):
        write_prepared_corpus(folder, tokenizer, [str(other)], sequence_length=16, num_files=2,
                              shard="1/2")
    assert sorted(_files(folder)) == [
        "corpus.json", "part-00000-of-00002.json", "part-00000-of-00002.tfrecord"]
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match="not a prepared corpus"):
        _prepare(foreign, tokenizer, text, num_files=2)
    assert json.loads((folder / "corpus.json").read_text())["documents"] == 20


def test_shards_split_items_into_contiguous_blocks():
    for count in (0, 1, 7, 16):
        for shards in (1, 2, 3, 5):
            blocks = [shard_range(f"{index}/{shards}", count) for index in range(shards)]
            assert [item for block in blocks for item in block] == list(range(count))
            assert max(map(len, blocks)) - min(map(len, blocks)) <= 1
    assert shard_range(None, 4) == range(4)
    assert CorpusSettings(shard=" 1 / 4 ").shard == "1/4"
    for shard in ("4/4", "-1/4", "1", "a/b", 3):
        with pytest.raises(ConfigError, match="shard must be I/N with 0 <= I < N"):
            CorpusSettings(shard=shard)


def test_a_part_whose_record_was_cut_short_is_written_again(tmp_path, tokenizer, text):
    """A kill (or a full disk) that left a part's .json empty: the part is prepared again, to
    the same bytes, instead of failing on the record."""
    _prepare(tmp_path / "corpus", tokenizer, text, num_files=2)
    before = _files(tmp_path / "corpus")
    (tmp_path / "corpus" / "part-00001-of-00002.json").write_text("")
    _prepare(tmp_path / "corpus", tokenizer, text, num_files=2)
    assert _files(tmp_path / "corpus") == before


def test_a_part_another_process_is_writing_is_refused(tmp_path, tokenizer, text):
    """Two processes given the same shard would overwrite each other's temporary parts: the
    second is refused while the first holds the part; another shard of the folder goes on."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    with integrity.exclusive(folder / "part-00000-of-00002.lock", RuntimeError):
        with pytest.raises(DataError, match=r"part-00000-of-00002.tfrecord is being written by "
                                            r"another prepare-corpus \(process \d+ on "):
            _prepare(folder, tokenizer, text, num_files=2, shard="0/2")
        assert _prepare(folder, tokenizer, text, num_files=2, shard="1/2")["parts"] == [
            "part-00001-of-00002.tfrecord"
        ]
    assert not (folder / "part-00000-of-00002.tfrecord").exists()
    _prepare(folder, tokenizer, text, num_files=2, shard="0/2")
    assert _files(folder) == _files_of_one(tmp_path / "one", tokenizer, text)


def _files_of_one(folder, tokenizer, text):
    _prepare(folder, tokenizer, text, num_files=2)
    return _files(folder)


def test_a_record_left_half_written_by_a_kill_is_not_taken_for_a_foreign_file(tmp_path, tokenizer,
                                                                               text):
    """A kill while corpus.json was being replaced leaves its temporary beside the parts: the
    rerun goes on (the folder is still the corpus's) instead of refusing it as foreign."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / ".partial-4242-corpus.json").write_text('{"format": ')
    (folder / "part-00000-of-00002.tfrecord.partial").write_bytes(b"cut")
    assert _prepare(folder, tokenizer, text, num_files=2)["documents"] == 20
    assert _files(folder) == _files_of_one(tmp_path / "one", tokenizer, text) | {
        ".partial-4242-corpus.json": b'{"format": '}
