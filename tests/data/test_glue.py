import json
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from tinybert_keras.data import GLUE_TASKS, DataError, glue_task, load_dataset, load_glue
from tinybert_keras.data import glue
from tinybert_keras.data import load_glue_file

GLUE_DATA = pathlib.Path(__file__).parent.parent / "fixtures" / "glue_data"


def test_every_task_has_the_papers_length_and_glue_metrics():
    assert set(GLUE_TASKS) == {"cola", "sst2", "mrpc", "qqp", "stsb", "mnli", "qnli", "rte",
                               "wnli"}
    for name in GLUE_TASKS:
        task = glue_task(name)
        assert task.sequence_length == (128 if task.is_pair else 64)
    assert glue_task("CoLA").metrics[0] == "matthews_correlation"
    assert glue_task("STS-B").metrics[0] == "spearman"
    assert glue_task("glue/mrpc").metrics == ("f1", "accuracy")
    assert glue_task("mnli").label_names == ("contradiction", "entailment", "neutral")
    with pytest.raises(ValueError, match="Unknown GLUE task 'squad'"):
        glue_task("squad")


@pytest.mark.parametrize("name", GLUE_TASKS)
def test_tsv_folder_loads_every_task(name):
    data = load_glue(name, source=GLUE_DATA)
    assert data.task == glue_task(name)
    expected_splits = {"train", "dev"} | ({"dev_mismatched"} if name == "mnli" else set())
    assert set(data.splits) == expected_splits
    for examples in data.splits.values():
        assert len(examples) >= 2
        assert examples.is_pair == data.task.is_pair
        if not data.task.is_regression:
            assert set(examples.labels) <= set(range(data.task.num_classes))


def test_tsv_labels_follow_the_official_order():
    mnli = load_glue("mnli", source=GLUE_DATA / "MNLI")
    np.testing.assert_array_equal(mnli["train"].labels, [2, 1, 1, 0])
    np.testing.assert_array_equal(mnli["dev"].labels, [2, 0])
    np.testing.assert_array_equal(mnli["dev_mismatched"].labels, [0, 1])
    assert mnli["train"].texts[3] == ("Gays and lesbians.", "Heterosexuals.")
    np.testing.assert_array_equal(load_glue("cola", GLUE_DATA)["train"].labels, [1, 1, 0])
    np.testing.assert_array_equal(load_glue("rte", GLUE_DATA)["train"].labels, [1, 0])
    np.testing.assert_allclose(load_glue("stsb", GLUE_DATA)["dev"].labels, [5.0, 4.75])


def test_tsv_keeps_quotes_skips_a_byte_order_mark_and_truncated_qqp_rows():
    assert (GLUE_DATA / "MRPC" / "train.tsv").read_bytes().startswith(b"\xef\xbb\xbfQuality")
    mrpc = load_glue("mrpc", GLUE_DATA)
    np.testing.assert_array_equal(mrpc["train"].labels, [1, 0])
    assert mrpc["train"].texts[0][0].startswith('Amrozi accused his brother , whom he called " the')
    qqp = load_glue("qqp", GLUE_DATA)
    assert len(qqp["train"]) == 3
    np.testing.assert_array_equal(qqp["train"].labels, [0, 1, 0])


def test_tsv_missing_file_and_bad_label(tmp_path):
    (tmp_path / "RTE").mkdir()
    (tmp_path / "RTE" / "train.tsv").write_text("index\tsentence1\tsentence2\tlabel\n")
    with pytest.raises(DataError, match="dev.tsv"):
        load_glue("rte", tmp_path)
    (tmp_path / "RTE" / "train.tsv").write_text(
        "index\tsentence1\tsentence2\tlabel\n0\ta\tb\tentailment\n1\tc\td\tmaybe\n"
    )
    (tmp_path / "RTE" / "dev.tsv").write_text("index\tsentence1\tsentence2\tlabel\n0\ta\tb\t1\n")
    with pytest.raises(DataError, match=r"train\.tsv, line 3, column 'label': unknown label"):
        load_glue("rte", tmp_path)


def _tfds_split(name, split):
    return list(tfds.as_numpy(tfds.load(f"glue/{name}", split=split, shuffle_files=False)))


def test_tfds_mnli_remaps_labels_by_name():
    with tfds.testing.mock_data(num_examples=12):
        data = load_dataset("glue/mnli")
        raw = _tfds_split("mnli", "validation_mismatched")
        names = tfds.builder("glue/mnli").info.features["label"].names
    assert data.sizes() == {"train": 12, "dev": 12, "dev_mismatched": 12}
    expected = [data.task.label_names.index(names[example["label"]]) for example in raw]
    np.testing.assert_array_equal(data["dev_mismatched"].labels, expected)
    assert data["dev_mismatched"].texts[0] == (
        raw[0]["premise"].decode(), raw[0]["hypothesis"].decode()
    )


def test_tfds_regression_and_single_sentence():
    with tfds.testing.mock_data(num_examples=6):
        stsb = load_glue("stsb")
        raw = _tfds_split("stsb", "validation")
        sst2 = load_glue("sst2")
    np.testing.assert_allclose(stsb["dev"].labels, [example["label"] for example in raw])
    assert stsb["dev"].labels.dtype == np.float32
    assert isinstance(sst2["train"].texts[0], str)


def test_tsv_line_numbers_follow_the_file(tmp_path):
    (tmp_path / "MRPC").mkdir()
    header = "\ufeffQality\t#1 ID\t#2 ID\t#1 String\t#2 Strings\n"
    (tmp_path / "MRPC" / "train.tsv").write_text(header + "1\t1\t2\ta\tb\n", encoding="utf-8")
    (tmp_path / "MRPC" / "dev.tsv").write_text(header + "1\t1\t2\ta\tb\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"train\.tsv, line 1, column '#2 String': the header"):
        load_glue("mrpc", tmp_path)
    (tmp_path / "CoLA").mkdir()
    (tmp_path / "CoLA" / "train.tsv").write_text("gj04\t1\t\tFine.\ngj04\t0\t*\tFine too.\n"
                                                 "\ngj04\t1\n")
    (tmp_path / "CoLA" / "dev.tsv").write_text("gj04\t1\t\tFine.\n")
    with pytest.raises(DataError, match=r"train\.tsv, line 4, column 'sentence': no value"):
        load_glue("cola", tmp_path)


def test_data_dir_is_tfds_folder_and_refused_with_a_glue_data_source():
    with pytest.raises(ValueError, match="data_dir='glue_data' is tfds' data folder"):
        load_glue("sst2", source=GLUE_DATA, data_dir="glue_data")


@pytest.mark.parametrize("name", GLUE_TASKS)
def test_one_file_in_the_glue_data_layout_or_the_tasks_own(name, tmp_path):
    expected = load_glue(name, GLUE_DATA)["train"]
    classic = load_glue_file(name, GLUE_DATA / glue._SPECS[name].folder / "train.tsv")
    assert classic.task == glue_task(name)
    assert classic["train"].texts == expected.texts
    np.testing.assert_array_equal(classic["train"].labels, expected.labels)
    task = glue_task(name)
    own = tmp_path / "own.jsonl"
    own.write_text("".join(
        json.dumps({**dict(zip(task.text_columns, text if task.is_pair else (text,))),
                    "label": float(label) if task.is_regression else task.label_names[label]})
        + "\n" for text, label in zip(expected.texts, expected.labels)))
    again = load_glue_file(name, own)
    assert again["train"].texts == expected.texts
    np.testing.assert_array_equal(again["train"].labels, expected.labels)


def test_one_file_with_neither_layout(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("s1\ts2\tgold\na\tb\t1\n")
    with pytest.raises(DataError, match=r"train\.tsv, line 1: the header has neither GLUE's"):
        load_glue_file("mrpc", path)
