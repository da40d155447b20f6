import keras
import numpy as np
import pytest

from tinybert_keras.config import ConfigError
from tinybert_keras.data import (
    DataError,
    Examples,
    Task,
    TaskData,
    check_model_matches_task,
    glue_task,
    load_dataset,
)


def test_task_defaults_follow_the_paper():
    single = Task("s", "text", "label", ("no", "yes"))
    pair = Task("p", ("a", "b"), "label", None)
    assert single.text_columns == ("text",) and not single.is_pair
    assert (single.sequence_length, pair.sequence_length) == (64, 128)
    assert single.metrics == ("accuracy",) and single.num_classes == 2
    assert pair.is_regression and pair.num_classes == 1
    assert pair.metrics == ("pearson", "spearman")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text_columns": ("a", "b", "c")}, "one or two"),
        ({"label_names": ("x",)}, "two distinct"),
        ({"label_names": ("x", "x")}, "two distinct"),
    ],
)
def test_task_validation(kwargs, message):
    arguments = {"text_columns": "t", "label_column": "y", "label_names": ("a", "b"), **kwargs}
    with pytest.raises(ValueError, match=message):
        Task("bad", **arguments)


def test_task_data_access_and_counts():
    task = Task("toy", "t", "y", ("a", "b", "c"))
    data = TaskData(task, {"train": Examples(["x", "y", "z"], np.array([2, 0, 2], "int32"))})
    assert data.sizes() == {"train": 3}
    assert data.label_counts() == {"train": {"a": 1, "b": 0, "c": 2}}
    with pytest.raises(KeyError, match="has no split 'dev'"):
        data["dev"]
    regression = TaskData(Task("r", "t", "y"), {"train": Examples(["x"], np.zeros(1, "float32"))})
    with pytest.raises(ValueError, match="regression"):
        regression.label_counts()
    with pytest.raises(ValueError, match="2 texts but 1 labels"):
        Examples(["x", "y"], np.array([0], "int32"))


def _classifier(outputs):
    inputs = keras.Input(shape=(4,))
    return keras.Model(inputs, keras.layers.Dense(outputs)(inputs), name="teacher")


def test_teacher_class_count_and_label_names_are_checked():
    task = glue_task("mnli")
    check_model_matches_task(_classifier(3), task, label_names=task.label_names)
    with pytest.raises(DataError, match=r"teacher: the model has 2 outputs but task 'mnli' has 3"):
        check_model_matches_task(_classifier(2), task)
    with pytest.raises(DataError, match="orders them"):
        check_model_matches_task(
            _classifier(3), task, label_names=("entailment", "neutral", "contradiction")
        )
    with pytest.raises(DataError, match="regression"):
        check_model_matches_task(_classifier(2), glue_task("stsb"))


def test_label_ids_outside_the_classes_are_refused():
    task = Task("toy", "t", "y", ("a", "b"))
    with pytest.raises(DataError, match=r"split 'dev': example 2 has label id 2, outside 0\.\.1"):
        TaskData(task, {"dev": Examples(["x", "y"], np.array([1, 2], "int32"))})
    with pytest.raises(DataError, match=r"labels of type float32: .* class ids"):
        TaskData(task, {"train": Examples(["x"], np.array([0.5], "float32"))})


def test_unknown_dataset_options_are_named():
    with pytest.raises(ConfigError, match=r"dataset 'sst2' takes no option \['sed'\]; its "
                                          r"options are \['data_dir', 'source'\]"):
        load_dataset("sst2", sed=1)
