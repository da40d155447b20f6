import argparse
import csv
import subprocess
import sys

from augmentation_tiny import SENTENCES
from augmentation_tiny import tiny_masked_lm
from augmentation_tiny import tiny_word_vectors

from tinybert_keras.augmentation import command


def write_tsv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", quoting=csv.QUOTE_NONE, escapechar="\\")
        writer.writerows(rows)


def parse(*argv):
    parser = argparse.ArgumentParser()
    command.add_arguments(parser)
    return parser.parse_args([str(a) for a in argv])


def glove_file(path):
    vectors = tiny_word_vectors()
    with open(path, "w") as f:
        for word, row in zip(vectors.words, vectors.vectors):
            f.write(" ".join([word, *map(str, row)]) + "\n")
    return path


def test_augments_a_pair_tsv_with_an_mlm_preset(tmp_path):
    tiny_masked_lm().save_to_preset(str(tmp_path / "mlm"))
    source = tmp_path / "train.tsv"
    write_tsv(source, [["id", "premise", "hypothesis", "gold"]] + [
        [i, a, b, i % 2] for i, (a, b) in enumerate(zip(SENTENCES, SENTENCES[::-1]))
    ])
    target = tmp_path / "train_aug.tsv"
    args = parse(
        source, target, "--text-columns", "premise", "hypothesis", "--label-column", "gold",
        "--num-augmentations", 3, "--mlm-preset", tmp_path / "mlm",
        "--word-vectors", glove_file(tmp_path / "glove.txt"),
    )
    assert command.run(args) == 0
    with open(target, newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    assert list(rows[0]) == ["premise", "hypothesis", "gold"]
    assert rows[0] == {"premise": SENTENCES[0], "hypothesis": SENTENCES[-1], "gold": "0"}
    assert len(SENTENCES) < len(rows) <= len(SENTENCES) * 7


def test_module_entry_point_glove_only_jsonl(tmp_path):
    source = tmp_path / "train.jsonl"
    source.write_text("".join(f'{{"text": "{s}", "label": "pos"}}\n' for s in SENTENCES))
    target = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "tinybert_keras.augmentation", str(source), str(target),
         "--text-columns", "text", "--glove-only", "--num-augmentations", "2",
         "--word-vectors", str(glove_file(tmp_path / "glove.txt"))],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Wrote" in result.stdout
    assert target.read_text().count('"label": "pos"') > len(SENTENCES)
