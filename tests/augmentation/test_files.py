import csv

import pytest

from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm
from augmentation_tiny import tiny_glove_file

from tinybert_keras import cli
from tinybert_keras.augmentation import augment_file


def write_tsv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerows(rows)


def test_augments_a_pair_tsv_with_an_mlm_preset(tmp_path):
    tiny_masked_lm().save_to_preset(str(tmp_path / "mlm"))
    source = tmp_path / "train.tsv"
    write_tsv(source, [["id", "premise", "hypothesis", "gold"]] + [
        [i, a, b, i % 2] for i, (a, b) in enumerate(zip(SENTENCES, SENTENCES[::-1]))
    ])
    target = tmp_path / "train_aug.tsv"
    rows = augment_file(
        source, target, text_columns=["premise", "hypothesis"], label_column="gold",
        num_augmentations=3, masked_lm=str(tmp_path / "mlm"),
        word_vectors=tiny_glove_file(tmp_path / "glove.txt"),
    )
    with open(target, newline="") as f:
        written = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert rows == len(written)
    assert list(written[0]) == ["premise", "hypothesis", "gold"]
    assert written[0] == {"premise": SENTENCES[0], "hypothesis": SENTENCES[-1], "gold": "0"}
    assert len(SENTENCES) < len(written) <= len(SENTENCES) * 7


def test_the_command_writes_jsonl_with_word_vectors_only(tmp_path, capsys):
    source = tmp_path / "train.jsonl"
    source.write_text("".join(f'{{"text": "{s}", "label": "pos"}}\n' for s in SENTENCES))
    target = tmp_path / "out.jsonl"
    # A repeatable --text-column before the positional arguments does not swallow them.
    code = cli.main(["augment", "--text-column", "text", str(source), str(target),
                     "--label-column", "label", "--masked-lm", "none", "--num-augmentations", "2",
                     "--word-vectors", tiny_glove_file(tmp_path / "glove.txt")])
    assert code == 0
    assert "Wrote" in capsys.readouterr().out
    assert target.read_text().count('"label": "pos"') > len(SENTENCES)


def test_refuses_to_overwrite_its_input_or_a_file_it_did_not_write(tmp_path, capsys):
    source = tmp_path / "train.tsv"
    write_tsv(source, [["sentence", "label"]] + [[s, "pos"] for s in SENTENCES])
    mine = tmp_path / "notes.tsv"
    mine.write_text("my own notes\n")
    for output, message in ((source, "is the input file"),
                            (mine, "not written by tinybert-keras augment")):
        code = cli.main(["augment", str(source), str(output), "--masked-lm", "none",
                         "--text-column", "sentence", "--label-column", "label",
                         "--word-vectors", tiny_glove_file(tmp_path / "glove.txt")])
        assert code == 2
        assert message in capsys.readouterr().err
    assert mine.read_text() == "my own notes\n"
    assert source.read_text().splitlines()[1:] == [f"{s}\tpos" for s in SENTENCES]


@pytest.mark.parametrize("suffix", [".tsv", ".jsonl"])
def test_shards_concatenated_in_order_are_the_one_machine_output(tmp_path, suffix):
    source = tmp_path / "train.tsv"
    write_tsv(source, [["sentence", "label"]] + [[s, i % 2] for i, s in enumerate(SENTENCES * 2)])
    settings = {"masked_lm": "none", "num_augmentations": 3, "chunk_size": 2,
                "text_columns": ["sentence"], "label_column": "label",
                "word_vectors": tiny_glove_file(tmp_path / "glove.txt")}
    augment_file(source, tmp_path / f"whole{suffix}", **settings)
    whole = (tmp_path / f"whole{suffix}").read_bytes()
    for machines in (2, 3):
        parts = []
        for index in range(machines):
            target = tmp_path / f"part_{machines}_{index}{suffix}"
            augment_file(source, target, shard=f"{index}/{machines}", **settings)
            parts.append(target.read_bytes())
        assert b"".join(parts) == whole
        assert all(parts) and parts[0] != whole
    assert whole.count(b"\n") > len(SENTENCES) * 2 + 1
