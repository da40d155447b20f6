import json
import subprocess
import sys

import keras_hub
import numpy as np
import pytest

from tinybert_keras.core.students import student_backbone


def bert_parameters(vocabulary, hidden, layers, intermediate, positions=512, segments=2):
    """BERT's parameter count: embeddings and their LayerNorm, per layer four attention
    projections, two feed-forward denses and two LayerNorms, and the pooler."""
    embeddings = (vocabulary + positions + segments) * hidden + 2 * hidden
    layer = 4 * (hidden * hidden + hidden) + 2 * hidden * intermediate + intermediate + 5 * hidden
    return embeddings + layers * layer + hidden * hidden + hidden


def test_tinybert_4_shape_and_size():
    student = student_backbone("tinybert_4", vocabulary_size=30522)
    assert isinstance(student, keras_hub.models.BertBackbone)
    assert (student.num_layers, student.hidden_dim, student.intermediate_dim, student.num_heads) == (
        4, 312, 1200, 12
    )
    assert student.count_params() == bert_parameters(30522, 312, 4, 1200) == 14_350_248


def test_tinybert_6_shape_and_size():
    student = student_backbone("tinybert_6", vocabulary_size=30522)
    assert (student.num_layers, student.hidden_dim, student.intermediate_dim, student.num_heads) == (
        6, 768, 3072, 12
    )
    assert student.count_params() == bert_parameters(30522, 768, 6, 3072) == 66_955_008


def test_sized_from_teacher(make_bert):
    teacher = make_bert(num_layers=4, hidden_dim=16, num_heads=2, vocabulary_size=77, num_classes=2)
    student = student_backbone(
        {"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        teacher=teacher, dropout=0.0,
    )
    assert student.vocabulary_size == 77
    assert student.max_sequence_length == teacher.backbone.max_sequence_length
    assert student.dropout == 0.0


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"config": "tinybert_5", "vocabulary_size": 10}, "Unknown student config"),
        ({"config": {"num_layers": 2}, "vocabulary_size": 10}, "lacks"),
        ({"config": "tinybert_4"}, "vocabulary_size"),
        ({"config": "tinybert_4", "vocabulary_size": 10, "num_heads": 7}, "divisible"),
    ],
)
def test_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        student_backbone(**kwargs)


def test_vocabulary_must_follow_teacher(make_bert):
    with pytest.raises(ValueError, match="share one vocabulary"):
        student_backbone("tinybert_4", teacher=make_bert(), vocabulary_size=30522)


def test_student_saves_as_keras_hub_preset(tmp_path, batch):
    student = student_backbone(
        {"num_layers": 2, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2},
        vocabulary_size=100,
    )
    classifier = keras_hub.models.BertTextClassifier(student, num_classes=3, preprocessor=None)
    expected = classifier.predict(batch[0], verbose=0)
    classifier.save_to_preset(str(tmp_path / "preset"))
    np.save(tmp_path / "x.npy", batch[0]["token_ids"])
    np.save(tmp_path / "mask.npy", batch[0]["padding_mask"])
    np.save(tmp_path / "seg.npy", batch[0]["segment_ids"])
    # A fresh interpreter that only has keras-hub: the preset must not need tinybert_keras.
    script = f"""
import os, sys, json
os.environ["KERAS_BACKEND"] = "tensorflow"
import numpy as np, keras_hub
d = {str(tmp_path)!r}
model = keras_hub.models.TextClassifier.from_preset(d + "/preset")
x = {{"token_ids": np.load(d + "/x.npy"), "padding_mask": np.load(d + "/mask.npy"),
     "segment_ids": np.load(d + "/seg.npy")}}
print(json.dumps({{"class": type(model).__name__,
                  "tinybert": any(m.startswith("tinybert_keras") for m in sys.modules),
                  "logits": model.predict(x, verbose=0).tolist()}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["class"] == "BertTextClassifier" and not loaded["tinybert"]
    np.testing.assert_allclose(loaded["logits"], expected, atol=1e-5)


def _centered_singular_values(table):
    table = np.asarray(table, dtype="float64")
    return np.linalg.svd(table - table.mean(axis=0), compute_uv=False)


def test_embeddings_from_teacher_keep_its_main_directions(make_bert):
    teacher = make_bert(hidden_dim=16, num_classes=2)
    shape = {"num_layers": 1, "hidden_dim": 8, "intermediate_dim": 16, "num_heads": 2}
    student = student_backbone(shape, teacher=teacher, embeddings_from_teacher=True)
    np.testing.assert_allclose(
        _centered_singular_values(student.token_embedding.embeddings),
        _centered_singular_values(teacher.backbone.token_embedding.embeddings)[:8], rtol=1e-4,
    )
    same_width = student_backbone(
        {**shape, "hidden_dim": 16}, teacher=teacher, embeddings_from_teacher=True
    )
    for name in ("token_embedding", "segment_embedding"):
        source = np.asarray(getattr(teacher.backbone, name).embeddings)
        target = np.asarray(getattr(same_width, name).embeddings)
        # At the teacher's width the projection is a rotation: every distance is kept.
        np.testing.assert_allclose(
            np.linalg.norm(target[:, None] - target[None], axis=-1),
            np.linalg.norm(source[:, None] - source[None], axis=-1), atol=1e-5,
        )
    random = student_backbone(shape, teacher=teacher)
    assert not np.allclose(random.token_embedding.embeddings, student.token_embedding.embeddings)


def test_embeddings_from_teacher_errors(make_bert):
    shape = {"num_layers": 1, "hidden_dim": 16, "intermediate_dim": 16, "num_heads": 2}
    with pytest.raises(ValueError, match="needs the teacher"):
        student_backbone(shape, vocabulary_size=100, embeddings_from_teacher=True)
    with pytest.raises(ValueError, match="no wider than it"):
        student_backbone(shape, teacher=make_bert(hidden_dim=8), embeddings_from_teacher=True)
