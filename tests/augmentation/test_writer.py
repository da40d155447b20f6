import csv
import json

import pytest
from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_word_vectors

from tinybert_keras.augmentation import Augmenter
from tinybert_keras.augmentation import augment_to_file

LABELS = [0, 1, 1, 0, 1]
PAIRS = list(zip(SENTENCES, SENTENCES[1:] + SENTENCES[:1]))


def augmenter(**kwargs):
    return Augmenter(tiny_word_vectors(), num_augmentations=4, num_candidates=3, **kwargs)


def read_tsv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def test_tsv_rows_have_the_input_columns(tmp_path):
    path = tmp_path / "train_aug.tsv"
    count = augment_to_file(augmenter(), SENTENCES, LABELS, path, ["text", "y"], verbose=False)
    rows = read_tsv(path)
    assert len(rows) == count
    expected = augmenter().augment(SENTENCES)
    assert [r["text"] for r in rows] == [v for variants in expected for v in variants]
    assert [r["y"] for r in rows] == [
        str(label) for label, variants in zip(LABELS, expected) for _ in variants
    ]


def test_pairs_augment_each_side_on_its_own(tmp_path):
    path = tmp_path / "train_aug.jsonl"
    augment_to_file(augmenter(), PAIRS, LABELS, path, chunk_size=2, verbose=False)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert set(rows[0]) == {"sentence1", "sentence2", "label"}
    for (a, b), label in zip(PAIRS, LABELS):
        mine = [r for r in rows if r["sentence1"] == a or r["sentence2"] == b]
        assert mine[0] == {"sentence1": a, "sentence2": b, "label": label}
        assert all(r["label"] == label for r in mine)
        assert any(r["sentence1"] != a for r in mine) and any(r["sentence2"] != b for r in mine)
    assert not any(
        (r["sentence1"], r["sentence2"]) not in PAIRS
        and r["sentence1"] not in SENTENCES
        and r["sentence2"] not in SENTENCES
        for r in rows
    )


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl"])
def test_interrupted_run_resumes_without_lost_or_duplicated_rows(tmp_path, suffix):
    complete = tmp_path / f"complete{suffix}"
    augment_to_file(augmenter(), PAIRS, LABELS, complete, chunk_size=2, verbose=False)

    path = tmp_path / f"resumed{suffix}"
    failing = augmenter()
    calls = []

    def augment_then_fail(texts, example_ids=None):
        calls.append(len(texts))
        if len(calls) == 3:  # side "a" of the second chunk
            raise Interrupt
        return Augmenter.augment(failing, texts, example_ids)

    failing.augment = augment_then_fail
    with pytest.raises(Interrupt):
        augment_to_file(failing, PAIRS, LABELS, path, chunk_size=2, verbose=False)
    assert 0 < path.stat().st_size < complete.stat().st_size
    # A crash while writing leaves a partial line after the last recorded chunk.
    with open(path, "a") as f:
        f.write("half a row")
    augment_to_file(augmenter(), PAIRS, LABELS, path, chunk_size=2, verbose=False)
    assert path.read_bytes() == complete.read_bytes()

    # A finished run is not redone; other settings refuse to touch the file.
    assert augment_to_file(augmenter(), PAIRS, LABELS, path, chunk_size=2, verbose=False) > 0
    assert path.read_bytes() == complete.read_bytes()
    with pytest.raises(ValueError, match="other settings"):
        augment_to_file(augmenter(seed=9), PAIRS, LABELS, path, verbose=False)


def test_never_writes_into_a_file_without_its_progress_record(tmp_path):
    path = tmp_path / "train_aug.tsv"
    path.write_text("someone else's rows\n")
    with pytest.raises(ValueError, match="not written by tinybert-keras augment"):
        augment_to_file(augmenter(), SENTENCES, LABELS, path, verbose=False)
    assert path.read_text() == "someone else's rows\n"
