"""A task of the user's own CSV files from the command line: augment, fine-tune the teacher,
distill on the augmented file, evaluate with the teacher's saved task; and the errors."""

import json
import math
import pathlib

import numpy as np
import pytest

from recipe_tiny import WORDS
from recipe_tiny import tiny_csv_files
from recipe_tiny import tiny_teacher_preset
from tinybert_keras import cli
from tinybert_keras.cli import commands
from tinybert_keras.data import load_files
from tinybert_keras.recipe import load_task

FAST = ["--batch-size", "8", "--no-jit-compile"]
COLUMNS = ["--text-column", "review", "--label-column", "sentiment"]


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    root = tmp_path_factory.mktemp("own")
    glove = root / "glove.txt"
    rng = np.random.default_rng(0)
    glove.write_text("".join(f"{word} {' '.join(map(str, rng.normal(size=4)))}\n"
                             for word in WORDS))
    return {"root": root, "files": tiny_csv_files(root / "reviews"), "glove": str(glove),
            "pretrained": tiny_teacher_preset(root / "pretrained")}


def test_augment_finetune_distill_and_evaluate_from_the_command_line(own, capsys):
    root, files = own["root"], own["files"]
    augmented = root / "train_aug.tsv"
    assert cli.main(["augment", files["train"], str(augmented), *COLUMNS, "--masked-lm", "none",
                     "--word-vectors", own["glove"], "--num-augmentations", "2"]) == 0
    rows = augmented.read_text().splitlines()
    assert rows[0] == "review\tsentiment" and {row.split("\t")[1] for row in rows[1:]} == {
        "neg", "pos"}
    data_flags = ["--train", files["train"], "--dev", files["dev"], *COLUMNS,
                  "--sequence-length", "8", *FAST]
    assert cli.main(["finetune-teacher", "--teacher", own["pretrained"], *data_flags,
                     "--epochs", "10", "--learning-rate", "1e-2",
                     "--output-dir", str(root / "teacher")]) == 0
    saved = json.loads((root / "teacher" / "preset" / "tinybert_task.json").read_text())
    assert saved["name"] == "reviews" and saved["label_names"] == ["neg", "pos"]
    assert saved["sequence_length"] == 8
    teacher = json.loads((root / "teacher" / "summary.json").read_text())
    assert cli.main(["task-distill", "--teacher", teacher["preset"], "--student",
                     '{"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2}',
                     *data_flags, "--augmented-train", str(augmented),
                     "--intermediate-epochs", "1", "--prediction-epochs", "1",
                     "--output-dir", str(root / "task")]) == 0
    # Both phases ran over the augmented rows, not the 72 of the training file.
    for phase in ("intermediate", "prediction"):
        summary = json.loads((root / "task" / phase / "summary.json").read_text())
        assert summary["steps"] == math.ceil((len(rows) - 1) / 8) != math.ceil(72 / 8)
    capsys.readouterr()
    table_file = root / "rows.json"
    assert cli.main(["evaluate", "--teacher", teacher["preset"], "--student",
                     str(root / "task" / "preset"), "--dev", files["dev"], "--batch-size", "8",
                     "--latency-repeats", "1", "--json", str(table_file)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Task 'reviews': text_columns ('review',), label_column 'sentiment', "
                          "label_names ('neg', 'pos'), metrics ('accuracy',), sequence_length 8, "
                          "its name as saved with the teacher's preset")
    scores = json.loads(table_file.read_text())
    assert scores["teacher"]["metrics"] == pytest.approx(teacher["dev"])


def _error(capsys, argv):
    assert cli.main(argv) == 2
    return capsys.readouterr().err


def test_errors_name_the_setting_and_what_to_add(own, capsys, tmp_path):
    files = own["files"]
    stage = ["task-distill", "--teacher", "t", *FAST]
    assert "train: no file at missing.csv; set train to your train file" in _error(
        capsys, [*stage, "--train", "missing.csv", "--dev", files["dev"], *COLUMNS])
    err = _error(capsys, [*stage, "--train", files["train"], "--dev", files["dev"]])
    assert "train and dev are files of your own, but text_columns and label_column are not set"\
        in err and "--text-column COLUMN" in err
    assert "text_columns describes your own files, but no file is given: add train" in _error(
        capsys, ["run", "--text-column", "review"])
    header = _error(capsys, ["finetune-teacher", "--teacher", own["pretrained"], "--train",
                             files["train"], "--dev", files["dev"], "--text-column", "review",
                             "--label-column", "stars"])
    assert f"{files['train']}, line 1, column 'stars': the header has no column" in header
    assert "has no dev split" in _error(capsys, [
        "finetune-teacher", "--teacher", own["pretrained"], "--train", files["train"], *COLUMNS])
    assert "dataset_options ['seed'] do not apply to files of your own" in _error(capsys, [
        "finetune-teacher", "--teacher", own["pretrained"], "--train", files["train"], "--dev",
        files["dev"], *COLUMNS, "--dataset-options", "seed=1"])
    config = tmp_path / "mine.yaml"
    config.write_text(f"train: {files['train']}\ndev: {tmp_path / 'nowhere.csv'}\n"
                      "text_columns: [review]\nlabel_column: sentiment\n")
    assert f"dev: no file at {tmp_path / 'nowhere.csv'}" in _error(
        capsys, ["run", "--config", str(config)])


def test_own_files_with_a_named_config_are_named_by_their_folder_not_its_dataset():
    flags = ["run", "--config", "cpu", "--train", "reviews/train.csv", "--dev", "reviews/dev.csv",
             *COLUMNS]
    config = commands._config(cli.build_parser().parse_args(flags))
    assert config.task is None and config.data_settings().task is None
    assert config.train == "reviews/train.csv" and config.text_columns == ["review"]
    assert config.distill.intermediate_steps == 960 and not config.data_augmentation
    named = commands._config(cli.build_parser().parse_args([*flags, "--task", "reviews_v2"]))
    assert named.task == "reviews_v2"
    assert commands._config(cli.build_parser().parse_args(["run", "--config", "cpu"])).task == (
        "rotten_tomatoes")


def test_the_folder_names_the_task_and_pairs_take_two_text_columns():
    args = cli.build_parser().parse_args([
        "run", "--train", "nli/train.tsv", "--text-column", "premise", "--text-column",
        "hypothesis", "--label-column", "label", "--label-names", "contradiction",
        "entailment", "neutral"])
    config = commands._config(args)
    assert config.text_columns == ["premise", "hypothesis"] and config.task is None
    assert config.label_names == ["contradiction", "entailment", "neutral"]
    custom = pathlib.Path(__file__).parent.parent / "fixtures" / "custom"
    data = load_task(config.data_settings().replace(train=str(custom / "nli_train.tsv"),
                                                    dev=str(custom / "nli_dev.tsv")))
    assert data.task.name == "custom" and data.task.is_pair
    assert data.task.label_names == ("contradiction", "entailment", "neutral")
    assert data.sizes() == load_files(custom / "nli_train.tsv", custom / "nli_dev.tsv",
                                      text_columns=("premise", "hypothesis"),
                                      label_column="label").sizes()
