import pathlib

import numpy as np
import pytest

from tinybert_keras.data import (
    DataError,
    from_dataframe,
    from_lists,
    load_files,
)

CUSTOM = pathlib.Path(__file__).parent.parent / "fixtures" / "custom"


def test_csv_single_sentence_with_inferred_string_labels():
    data = load_files(CUSTOM / "reviews_train.csv", CUSTOM / "reviews_dev.csv",
                    text_columns="review", label_column="sentiment")
    assert data.task.label_names == ("negative", "positive")
    assert not data.task.is_pair and data.task.sequence_length == 64
    assert data.task.name == "custom"
    assert data["train"].texts[0] == "A gripping, beautifully shot thriller."
    np.testing.assert_array_equal(data["train"].labels, [1, 0, 1, 0])
    np.testing.assert_array_equal(data["dev"].labels, [1, 0])
    assert data["train"].labels.dtype == np.int32


def test_csv_numeric_labels_sort_numerically_and_given_names_fix_the_order():
    inferred = load_files(CUSTOM / "reviews_train.csv", text_columns="review",
                        label_column="stars")
    assert inferred.task.label_names == ("1", "4", "5")
    given = load_files(CUSTOM / "reviews_train.csv", CUSTOM / "reviews_dev.csv",
                     text_columns="review", label_column="stars",
                     label_names=("1", "2", "3", "4", "5"))
    np.testing.assert_array_equal(given["train"].labels, [4, 0, 3, 0])
    np.testing.assert_array_equal(given["dev"].labels, [4, 1])


def test_tsv_pairs_keep_quotes_and_use_given_label_order():
    names = ("contradiction", "entailment", "neutral")
    data = load_files(CUSTOM / "nli_train.tsv", CUSTOM / "nli_dev.tsv", name="nli",
                    text_columns=("premise", "hypothesis"), label_column="label",
                    label_names=names)
    assert data.task.is_pair and data.task.sequence_length == 128
    assert data["train"].texts[3] == ('Kids splash in a "pool".', "Children are in the water.")
    np.testing.assert_array_equal(data["train"].labels, [1, 0, 2, 1])
    assert data.sizes() == {"train": 4, "dev": 2}


def test_jsonl_integer_labels_skip_blank_lines():
    data = load_files(CUSTOM / "intents_train.jsonl", CUSTOM / "intents_dev.jsonl",
                      text_columns="utterance", label_column="intent",
                      label_names=("alarm", "weather", "music"))
    np.testing.assert_array_equal(data["train"].labels, [0, 1, 2, 0])
    np.testing.assert_array_equal(data["dev"].labels, [1, 2])


def test_csv_regression():
    data = load_files(CUSTOM / "similarity_train.csv", text_columns=("sentence1", "sentence2"),
                    label_column="score", regression=True)
    assert data.task.is_regression and data.task.num_classes == 1
    assert data.task.metrics == ("pearson", "spearman")
    np.testing.assert_allclose(data["train"].labels, [5.0, 0.4, 4.6])
    assert data["train"].labels.dtype == np.float32


def test_from_lists_pairs_and_label_counts():
    data = from_lists(([("a b", "c"), ("d", "e f"), ("g", "h")], ["yes", "no", "yes"]),
                      dev=([("i", "j")], ["no"]))
    assert data.task.text_columns == ("text_a", "text_b")
    assert data.label_counts() == {"train": {"no": 1, "yes": 2}, "dev": {"no": 1, "yes": 0}}


def test_from_dataframe():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"text": ["good", "bad", "fine"], "label": [1, 0, 1]})
    data = from_dataframe(frame, text_columns="text", label_column="label",
                          label_names=("negative", "positive"))
    np.testing.assert_array_equal(data["train"].labels, [1, 0, 1])


def _write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "w":
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


TEXT_LABEL = {"text_columns": "text", "label_column": "label"}
TY = {"text_columns": "t", "label_column": "y"}


@pytest.mark.parametrize("name, content, options, message", [
    ("train.csv", "text,label\nfine,1\n", {"text_columns": "sentence", "label_column": "label"},
     r"train\.csv, line 1, column 'sentence': the header.*'text'"),
    ("train.tsv", "\ufefftext\tlabel\nfine\t1\n", {"text_columns": "text", "label_column": "gold"},
     r"train\.tsv, line 1, column 'gold': the header"),
    ("train.jsonl", '{"t": "a", "y": 0}\n\n{"t": "b"}\n', TY,
     r"train\.jsonl, line 3, column 'y': missing column"),
    ("train.csv", 'text,label\n"two\nlines",pos\n\n"three\nmore\nlines",neg\nlast,maybe\n',
     {**TEXT_LABEL, "label_names": ("neg", "pos")},
     r"line 8, column 'label': unknown label 'maybe'"),
    ("dev.csv", 'text,label\n"a\nb",pos\nshort\n', TEXT_LABEL, r"line 4, column 'label': no value"),
    ("train.tsv", "a\tb\tlabel\nx\ty\t1\nonly one field\n",
     {"text_columns": ("a", "b"), "label_column": "label"}, r"line 3, column 'b'"),
    ("train.csv", "text,label\n", TEXT_LABEL, r"train\.csv: no examples"),
    ("dev.jsonl", "", TEXT_LABEL, r"dev\.jsonl: no examples"),
    ("train.csv", "text,label\na,pos\nb,neutral\n", {**TEXT_LABEL, "label_names": ("neg", "pos")},
     r"line 3, column 'label': unknown label 'neutral'"),
    ("train.jsonl", '{"t": "a", "y": 0}\n{"t": "b", "y": 1}\n{"t": "c", "y": "positive"}\n', TY,
     r"line 3, column 'y': inconsistent labels"),
    ("dev.jsonl", '{"t": "a", "y": 0.5}\n', {**TY, "label_names": ("a", "b")},
     r"line 1, column 'y'.*regression=True"),
    ("train.csv", "text,score\na,1.5\nb,high\n",
     {"text_columns": "text", "label_column": "score", "regression": True},
     r"line 3, column 'score': label 'high' is not a number"),
    ("train.jsonl", '{"t": "a", "y": 0}\n{"t": "b", "y": \n', TY, r"line 2: invalid JSON"),
    ("train.csv", "text,label\na,pos\nb,pos\n", TEXT_LABEL, "at least two"),
])
def test_a_bad_file_names_its_line_and_column(tmp_path, name, content, options, message):
    with pytest.raises(DataError, match=message):
        load_files(_write(tmp_path, name, content), **options)


def test_undecodable_line(tmp_path):
    path = _write(tmp_path, "train.csv", "text,label\nok,1\ncaf\xe9,0\n".encode("latin-1"),
                  mode="b")
    with pytest.raises(DataError, match=r"train\.csv, line 3: byte 3 is not valid utf-8"):
        load_files(path, text_columns="text", label_column="label")
    data = load_files(path, text_columns="text", label_column="label", encoding="latin-1")
    assert data["train"].texts[1] == "caf\xe9"


def test_dev_label_missing_from_train(tmp_path):
    train = _write(tmp_path, "train.csv", "text,label\na,pos\nb,neg\n")
    dev = _write(tmp_path, "dev.csv", "text,label\nc,pos\nd,mixed\n")
    with pytest.raises(DataError, match=r"dev\.csv, line 3, column 'label'.*train split"):
        load_files(train, dev, text_columns="text", label_column="label")


def test_list_length_mismatch():
    with pytest.raises(DataError, match="3 texts but 2 labels"):
        from_lists((["a", "b", "c"], [0, 1]))


def test_empty_texts_are_refused_with_file_line_and_column(tmp_path):
    path = tmp_path / "train.tsv"
    path.write_text("premise\thypothesis\tlabel\na cat\ta dog\tyes\na cow\t  \tno\n")
    with pytest.raises(DataError, match=r"train.tsv, line 3, column 'hypothesis': empty text"):
        load_files(path, text_columns=("premise", "hypothesis"), label_column="label")
    with pytest.raises(DataError, match=r"train list, line 2, column 'text': empty text"):
        from_lists((["good", ""], ["pos", "neg"]))
