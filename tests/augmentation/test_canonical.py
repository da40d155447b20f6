"""`augment` writes the one form task distillation reads back for the same task."""

import pathlib

import numpy as np
import pytest

from tinybert_keras import cli
from tinybert_keras.augmentation import augment_file
from tinybert_keras.augmentation import split_words
from tinybert_keras.config import NUM_AUGMENTATIONS_PER_TASK
from tinybert_keras.config import ConfigError
from tinybert_keras.data import glue
from tinybert_keras.data import glue_task
from tinybert_keras.data import load_files
from tinybert_keras.data import load_glue
from tinybert_keras.recipe.task import read_augmented

FIXTURES = pathlib.Path(__file__).parent.parent / "fixtures"
GLUE_DATA = FIXTURES / "glue_data"
CUSTOM = FIXTURES / "custom"


@pytest.fixture(scope="module")
def glove(tmp_path_factory):
    """Random vectors for every word of the fixtures, so that most words have neighbours."""
    words = set()
    for path in [*FIXTURES.rglob("*.*sv"), *FIXTURES.rglob("*.jsonl")]:
        words.update(word for word in split_words(path.read_text(encoding="utf-8-sig"))
                     if word.isalpha())
    path = tmp_path_factory.mktemp("glove") / "glove.txt"
    rng = np.random.default_rng(0)
    path.write_text("".join(f"{word} {' '.join(map(str, rng.normal(size=4)))}\n"
                            for word in sorted(words)))
    return str(path)


def _plain(text):
    # TSV output joins each field's words with single spaces, as GLUE's files are.
    return " ".join(text.split()) if isinstance(text, str) else tuple(map(_plain, text))


def check_round_trip(original, augmented):
    """Every original example comes first in the output, followed by copies with its label."""
    texts = [_plain(text) for text in augmented.texts]
    starts = []
    for text in map(_plain, original.texts):
        starts.append(texts.index(text, starts[-1] + 1 if starts else 0))
    assert starts[0] == 0
    for number, (start, end) in enumerate(zip(starts, [*starts[1:], len(texts)])):
        np.testing.assert_array_equal(augmented.labels[start:end], original.labels[number])
    assert len(texts) > len(original.texts)


@pytest.mark.parametrize("name", sorted(NUM_AUGMENTATIONS_PER_TASK))
def test_every_glue_task_from_glue_data_round_trips(name, glove, tmp_path):
    out = tmp_path / "train_aug.tsv"
    rows = augment_file(GLUE_DATA / glue._SPECS[name].folder / "train.tsv", out, task=name,
                        masked_lm="none", word_vectors=glove, num_augmentations=3)
    task = glue_task(name)
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.split("\t") == [*task.text_columns, "label"]
    augmented = read_augmented(out, task)
    assert len(augmented) == rows
    check_round_trip(load_glue(name, GLUE_DATA)["train"], augmented)
    if not task.is_regression:
        written = {line.split("\t")[-1] for line in out.read_text().splitlines()[1:]}
        assert written <= set(task.label_names)


def test_a_custom_csv_round_trips_with_class_names(glove, tmp_path):
    out = tmp_path / "reviews_aug.jsonl"
    augment_file(CUSTOM / "reviews_train.csv", out, text_columns=["review"],
                 label_column="sentiment", masked_lm="none", word_vectors=glove,
                 num_augmentations=3)
    original = load_files(CUSTOM / "reviews_train.csv", text_columns="review",
                          label_column="sentiment")
    check_round_trip(original["train"], read_augmented(out, original.task))
    names = ("alarm", "weather", "music")
    out = tmp_path / "intents_aug.tsv"
    augment_file(CUSTOM / "intents_train.jsonl", out, text_columns=["utterance"],
                 label_column="intent", label_names=list(names), masked_lm="none",
                 word_vectors=glove, num_augmentations=3)
    assert out.read_text().splitlines()[1] == "wake me up at seven\talarm"
    original = load_files(CUSTOM / "intents_train.jsonl", text_columns="utterance",
                          label_column="intent", label_names=names)
    check_round_trip(original["train"], read_augmented(out, original.task))


def test_a_custom_regression_and_a_glue_task_in_other_columns(glove, tmp_path):
    out = tmp_path / "similarity_aug.tsv"
    augment_file(CUSTOM / "similarity_train.csv", out, text_columns=["sentence1", "sentence2"],
                 label_column="score", regression=True, masked_lm="none", word_vectors=glove,
                 num_augmentations=2)
    original = load_files(CUSTOM / "similarity_train.csv", text_columns=("sentence1", "sentence2"),
                          label_column="score", regression=True)
    check_round_trip(original["train"], read_augmented(out, original.task))
    assert out.read_text().splitlines()[1].endswith("\t5.0")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("a,b,gold\nthe film was moving,a moving film,1\nthe sea was cold,"
                     "the sky was red,0\n")
    out = tmp_path / "pairs_aug.tsv"
    augment_file(pairs, out, task="mrpc", text_columns=["a", "b"], label_column="gold",
                 masked_lm="none", word_vectors=glove, num_augmentations=2)
    lines = out.read_text().splitlines()
    assert lines[0] == "sentence1\tsentence2\tlabel"
    assert lines[1] == "the film was moving\ta moving film\tequivalent"
    assert read_augmented(out, glue_task("mrpc")).labels[0] == 1


def test_the_command_reads_glue_data_and_refuses_an_unknown_layout(glove, tmp_path, capsys):
    out = tmp_path / "mnli_aug.tsv"
    code = cli.main(["augment", "--task", "mnli", str(GLUE_DATA / "MNLI" / "train.tsv"),
                     str(out), "--masked-lm", "none", "--word-vectors", glove,
                     "--num-augmentations", "2"])
    assert code == 0 and "Wrote" in capsys.readouterr().out
    assert out.read_text().splitlines()[1].endswith("\tneutral")
    assert cli.main(["augment", str(CUSTOM / "reviews_train.csv"), str(out)]) == 2
    assert "text_columns and label_column are not set" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="task mrpc sets the labels"):
        augment_file(CUSTOM / "reviews_train.csv", out, task="mrpc", label_names=["a", "b"])
