"""Exports of a student distilled on real data, each run in its own runtime alone."""

import json
import subprocess
import sys
import textwrap

import keras_hub
import numpy as np
import pytest

from recipe_tiny import tiny_teacher_preset
from tinybert_keras import recipe
from tinybert_keras.config import ConfigError
from tinybert_keras.config import DataSettings
from tinybert_keras.config import ExportSettings
from tinybert_keras.deploy import load_exported

pytestmark = pytest.mark.slow

DATA = DataSettings(task="rotten_tomatoes", sequence_length=32, train_examples=2048,
                    dev_examples=512)
FAST = {"batch_size": 32, "jit_compile": False, "verbose": 0}


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A small student distilled from a MiniLM teacher on Rotten Tomatoes, and its exports."""
    root = tmp_path_factory.mktemp("export")
    teacher = recipe.finetune("all_minilm_l6_v2", DATA, root / "teacher", epochs=1.5,
                              learning_rate=1e-4, **FAST)
    student = {"num_layers": 2, "hidden_dim": 96, "intermediate_dim": 384, "num_heads": 12}
    task = recipe.task_distill(
        teacher["preset"], student, DATA, root / "task", intermediate_epochs=0,
        prediction_epochs=2.0, prediction_learning_rate=2e-3, embeddings_from_teacher=True,
        cache_teacher_logits=True, min_teacher_margin=0.0, **FAST,
    )
    summary = recipe.export_classifier(task["preset"], root / "export")
    return task, summary


def _dev(summary):
    data = recipe.load_task(DATA)
    preprocessor = keras_hub.models.TextClassifierPreprocessor.from_preset(
        summary["preprocessor"])
    x = preprocessor(list(data["dev"].texts))
    return {name: np.asarray(value) for name, value in x.items()}, np.asarray(data["dev"].labels)


def test_every_export_matches_the_keras_student(exported):
    task, summary = exported
    x, labels = _dev(summary)
    student = keras_hub.models.TextClassifier.from_preset(task["preset"], preprocessor=None)
    expected = np.asarray(student.predict(x, batch_size=64, verbose=0))
    accuracy = np.mean(expected.argmax(-1) == labels)
    assert accuracy == pytest.approx(task["student_dev"]["accuracy"], abs=1e-6)
    assert accuracy > 0.6  # a trained student, whose decisions are worth keeping
    assert sorted(summary["files"]) == ["litert_float32", "litert_int8", "onnx_float32",
                                        "onnx_int8"]
    for name, path in summary["files"].items():
        logits = load_exported(path, threads=2)(x)
        assert logits.shape == expected.shape, name
        if name.endswith("float32"):
            np.testing.assert_allclose(logits, expected, atol=1e-4, err_msg=name)
        else:
            agreement = np.mean(logits.argmax(-1) == expected.argmax(-1))
            assert agreement >= 0.99, (name, agreement)
            assert not np.allclose(logits, expected, atol=1e-6), f"{name} is not quantized"


RUNTIME_ONLY = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from tinybert_keras.deploy import load_exported
    x = {name: np.ones((3, 7), "int32") for name in ("token_ids", "segment_ids", "padding_mask")}
    shapes = [list(load_exported(path)(x).shape) for path in sys.argv[1:]]
    print(json.dumps({"shapes": shapes, "keras": "keras" in sys.modules,
                      "tensorflow": "tensorflow" in sys.modules}))
    """
)


def test_the_exports_run_without_keras_or_tensorflow(exported):
    _, summary = exported
    result = subprocess.run([sys.executable, "-c", RUNTIME_ONLY, *summary["files"].values()],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"shapes": [[3, 2]] * 4, "keras": False, "tensorflow": False}


def test_a_finished_export_is_returned_and_other_settings_refused(exported):
    task, summary = exported
    output_dir = summary["preprocessor"].rsplit("/", 1)[0]
    assert recipe.export_classifier(task["preset"], output_dir) == summary
    with pytest.raises(recipe.RecipeError, match="other settings"):
        recipe.export_classifier(task["preset"], output_dir, precisions=["int8"])


def test_export_settings_are_checked():
    assert ExportSettings(formats="onnx", precisions=["int8", "int8"]).precisions == ["int8"]
    with pytest.raises(ConfigError, match=r"formats\[0\] must be one of onnx, litert"):
        ExportSettings(formats=["tensorrt"])


def test_a_pretrained_backbone_is_not_exported(tmp_path):
    backbone = tiny_teacher_preset(tmp_path / "pretrained")
    with pytest.raises(recipe.RecipeError, match="not a fine-tuned classifier.*task_distill"):
        recipe.export_classifier(backbone, tmp_path / "export")
    assert not (tmp_path / "export").exists()
