import json

import keras_hub
import numpy as np
import pytest

from recipe_tiny import tiny_data
from recipe_tiny import tiny_teacher_preset
from tinybert_keras import recipe
from tinybert_keras.recipe import teacher_logits

STUDENT = {"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2}


@pytest.fixture(scope="module")
def teacher(tmp_path_factory):
    """A tiny teacher fine-tuned on the tiny task, and the task."""
    root = tmp_path_factory.mktemp("logits")
    data = tiny_data()
    summary = recipe.finetune(
        tiny_teacher_preset(root / "pretrained"), data, root / "teacher", epochs=10,
        learning_rate=1e-2, batch_size=8, jit_compile=False, verbose=0,
    )
    return summary["preset"], data


def _phase_two(teacher, output_dir, **kwargs):
    preset, data = teacher
    # XLA, as the demo runs it: the teacher's logits inside the compiled step must match the
    # ones the separate inference pass stores. The student has dropout (the shape's default).
    return recipe.task_distill(
        preset, STUDENT, data, output_dir, intermediate_epochs=0, prediction_epochs=3,
        prediction_learning_rate=5e-3, steps_per_checkpoint=5, batch_size=8, jit_compile=True,
        verbose=0, **kwargs,
    )


def _weights(summary):
    return keras_hub.models.TextClassifier.from_preset(summary["preset"]).get_weights()


def test_cached_logits_train_the_student_to_the_same_weights(teacher, tmp_path):
    live = _phase_two(teacher, tmp_path / "live")
    cached = _phase_two(teacher, tmp_path / "cached", cache_teacher_logits=True)
    phase_dir = tmp_path / "cached" / "prediction"
    stored = np.load(phase_dir / teacher_logits.LOGITS_FILE)
    assert stored.shape == (len(teacher[1]["train"]), 2)
    assert not (tmp_path / "live" / "prediction" / teacher_logits.LOGITS_FILE).exists()
    for expected, actual in zip(_weights(live), _weights(cached)):
        np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6)
    assert cached["student_dev"] == live["student_dev"]


def test_runs_of_one_teacher_share_one_pass_of_logits(teacher, tmp_path, monkeypatch):
    from tinybert_keras.data import integrity

    shared = tmp_path / "shared"
    alone = _phase_two(teacher, tmp_path / "alone", cache_teacher_logits=True)
    first = _phase_two(teacher, tmp_path / "first", cache_teacher_logits=True,
                       shared_logits_dir=shared)
    for expected, actual in zip(_weights(alone), _weights(first)):
        np.testing.assert_array_equal(actual, expected)
    saves = []
    monkeypatch.setattr(teacher_logits, "_save", lambda *args: saves.append(args))
    _phase_two(teacher, tmp_path / "second", cache_teacher_logits=True, seed=1,
               shared_logits_dir=shared)
    assert saves == []  # the second run read the first run's logits
    (folder,) = shared.iterdir()
    assert (folder / teacher_logits.LOGITS_FILE).is_file()
    assert not (tmp_path / "first" / "prediction" / teacher_logits.LOGITS_FILE).exists()
    train = teacher[1]["train"]
    run = json.loads((tmp_path / "first" / "run.json").read_text())
    identity = {name: run[name] for name in ("teacher", "data", "teacher_dtype", "batch_size")}
    np.testing.assert_array_equal(
        teacher_logits.shared_teacher_logits(None, train, None, shared, identity),
        np.load(folder / teacher_logits.LOGITS_FILE))
    with integrity.exclusive(folder / "teacher_logits.lock", RuntimeError):
        with pytest.raises(recipe.RecipeError, match=r"being computed by process \d+"):
            teacher_logits.shared_teacher_logits(None, train, None, shared, identity)


def test_an_interrupted_pass_resumes_and_a_finished_one_is_verified(teacher, tmp_path,
                                                                     monkeypatch):
    from tinybert_keras import data as data_lib
    from tinybert_keras.recipe import evaluation

    model = keras_hub.models.TextClassifier.from_preset(teacher[0])
    train = teacher[1]["train"]
    tokenizer = keras_hub.tokenizers.Tokenizer.from_preset(teacher[0])
    batches = data_lib.make_dataset(train, tokenizer, 4, sequence_length=8)
    expected = np.concatenate([np.asarray(model(x, training=False)) for x, _ in batches])
    monkeypatch.setattr(teacher_logits, "PART_BATCHES", 3)
    original, seen, kill_at = evaluation.compiled_forward, [], [8]

    def counted_forward(model):
        forward = original(model)

        def counted(x):
            seen.append(len(seen))
            if len(seen) == kill_at[0]:
                raise KeyboardInterrupt("killed")
            return forward(x)

        return counted

    monkeypatch.setattr(evaluation, "compiled_forward", counted_forward)
    with pytest.raises(KeyboardInterrupt):
        teacher_logits.cached_teacher_logits(model, train, batches, tmp_path)
    assert len(list((tmp_path / teacher_logits.PARTS_DIR).glob("part_*.npy"))) == 2
    seen.clear()
    kill_at[0] = None
    logits = teacher_logits.cached_teacher_logits(model, train, batches, tmp_path)
    assert len(seen) == len(expected) // 4 - 6  # the two finished parts were not recomputed
    np.testing.assert_allclose(logits, expected, rtol=1e-5, atol=1e-6)
    assert not (tmp_path / teacher_logits.PARTS_DIR).exists()
    record = json.loads((tmp_path / teacher_logits.RECORD_FILE).read_text())
    assert record["shape"] == [len(train), 2]

    again = teacher_logits.cached_teacher_logits(None, train, None, tmp_path)
    np.testing.assert_array_equal(again, logits)
    with pytest.raises(recipe.RecipeError, match="other training examples"):
        teacher_logits.cached_teacher_logits(None, teacher[1]["dev"], None, tmp_path)
    np.save(tmp_path / teacher_logits.LOGITS_FILE, logits + 1)
    with pytest.raises(recipe.RecipeError, match="checksum"):
        teacher_logits.cached_teacher_logits(None, train, None, tmp_path)
