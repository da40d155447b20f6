import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from tinybert_keras.core.distiller import Distiller
from tinybert_keras.core.layerwise import LayerwiseBert
from tinybert_keras.core.losses import AttentionScoreLoss
from tinybert_keras.core.losses import HiddenStateLoss


def fit(distiller, batch, epochs=2, **compile_kwargs):
    # Eager by default: for a few steps of a tiny model it beats tracing the train step.
    compile_kwargs.setdefault("run_eagerly", "jit_compile" not in compile_kwargs)
    distiller.compile(optimizer=keras.optimizers.AdamW(1e-3), **compile_kwargs)
    x, y = batch
    return distiller.fit(x, y, batch_size=4, epochs=epochs, shuffle=False, verbose=0)


def test_general_stage_trains_student_and_freezes_teacher(make_bert, batch):
    teacher, student = make_bert(4, 16, seed=1), make_bert(2, 8, seed=2)
    teacher_before = [w.numpy().copy() for w in teacher.weights]
    student_before = [w.numpy().copy() for w in student.weights]
    distiller = Distiller(teacher, student, stage="general")
    projections_before = [w.numpy().copy() for p in distiller.projections for w in p.weights]
    history = fit(distiller, (batch[0], None), epochs=4, jit_compile=False)
    assert sorted(history.history) == ["attention_loss", "embedding_loss", "hidden_loss", "loss"]
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    np.testing.assert_allclose(
        losses,
        np.sum([history.history[k] for k in ("attention_loss", "embedding_loss", "hidden_loss")], 0),
        rtol=1e-5,
    )
    for before, weight in zip(teacher_before, teacher.weights):
        np.testing.assert_array_equal(before, weight.numpy())
    changed = [not np.array_equal(b, w.numpy()) for b, w in zip(student_before, student.weights)]
    assert sum(changed) > len(changed) // 2
    projections = [w.numpy() for p in distiller.projections for w in p.weights]
    assert len(distiller.projections) == 3
    assert all(not np.array_equal(b, a) for b, a in zip(projections_before, projections))
    assert len(distiller.trainable_weights) == len(student.trainable_weights) + 6


def test_losses_pair_the_mapped_layers(make_bert, batch):
    teacher, student = make_bert(4, 16, seed=1), make_bert(2, 8, seed=2)
    distiller = Distiller(teacher, student, stage="intermediate", shared_projection=True)
    x = batch[0]
    losses, _ = distiller.compute_losses(x)
    t, s = LayerwiseBert(teacher)(x), LayerwiseBert(student)(x)
    project = distiller.projections[0]
    hidden, attention, mask = HiddenStateLoss(), AttentionScoreLoss(), x["padding_mask"]
    # Uniform map of a 2-layer student onto a 4-layer teacher: layers 1 -> 2 and 2 -> 4.
    expected = {
        "embedding": hidden.compute_loss(t["embeddings"], project(s["embeddings"]), mask),
        "hidden": sum(
            hidden.compute_loss(t["hidden_states"][tl], project(s["hidden_states"][sl]), mask)
            for sl, tl in ((1, 2), (2, 4))
        ),
        "attention": sum(
            attention.compute_loss(t["attention_scores"][tl - 1], s["attention_scores"][sl - 1], mask)
            for sl, tl in ((1, 2), (2, 4))
        ),
    }
    assert sorted(losses) == sorted(expected)
    for term, value in expected.items():
        np.testing.assert_allclose(float(losses[term]), float(value), rtol=1e-6)


@pytest.mark.parametrize(
    "kwargs, metrics",
    [
        ({"stage": "prediction"}, ["accuracy", "loss", "prediction_loss"]),
        ({"stage": "prediction", "prediction_loss": False, "label_loss": True},
         ["accuracy", "label_loss", "loss"]),
        ({"stage": "intermediate", "embedding_loss": False, "hidden_loss": False},
         ["accuracy", "attention_loss", "loss"]),
        ({"stage": "intermediate", "layer_map": "top", "label_loss": True},
         ["accuracy", "attention_loss", "embedding_loss", "hidden_loss", "label_loss", "loss"]),
    ],
)
def test_stages_and_switches(make_bert, batch, kwargs, metrics):
    teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
    history = fit(Distiller(teacher, student, **kwargs), batch, metrics=["accuracy"])
    assert sorted(history.history) == metrics
    assert all(np.isfinite(v).all() for v in history.history.values())


def test_labels_only_never_runs_the_teacher(make_bert, batch):
    teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
    distiller = Distiller(teacher, student, stage="prediction", prediction_loss=False, label_loss=True)

    def fail(*args, **kwargs):
        raise AssertionError("the teacher ran")

    distiller.teacher_view.call = fail
    history = fit(distiller, batch)
    assert sorted(history.history) == ["label_loss", "loss"]


def test_regression_prediction(make_bert, batch):
    teacher, student = make_bert(4, 16, num_classes=1), make_bert(2, 8, num_classes=1)
    y = np.linspace(0, 5, 8).astype("float32")
    for formulation in ("paper", "official"):
        distiller = Distiller(teacher, student, stage="prediction", formulation=formulation)
        assert distiller.regression
        losses, outputs = distiller.compute_losses(batch[0], y)
        target = teacher(batch[0])[:, 0] if formulation == "paper" else y
        expected = np.mean((np.asarray(outputs["logits"])[:, 0] - target) ** 2)
        np.testing.assert_allclose(float(losses["prediction"]), expected, rtol=1e-5)


@pytest.mark.parametrize(
    "teacher_kwargs, student_kwargs, distiller_kwargs, message",
    [
        ({"vocabulary_size": 120}, {}, {}, "120 tokens and the student's 100"),
        ({"num_heads": 4}, {}, {}, "4 attention heads and the student 2"),
        ({"num_classes": 3}, {"num_classes": 2}, {"stage": "prediction"}, "3 classes and the student head 2"),
        ({}, {}, {"stage": "prediction"}, "the student is a bare BertBackbone"),
        ({}, {"num_classes": 2}, {"stage": "prediction"}, "the teacher is a bare BertBackbone"),
        ({}, {}, {"stage": "general", "embedding_loss": False, "attention_loss": False,
                  "hidden_loss": False}, "Every loss is switched off"),
        ({}, {}, {"stage": "distill"}, "stage must be one of"),
        ({}, {}, {"layer_map": [1, 2, 3]}, "lists 3 teacher layers"),
        ({}, {}, {"formulation": "exact"}, "formulation"),
    ],
)
def test_bad_configurations_fail_at_construction(
    make_bert, teacher_kwargs, student_kwargs, distiller_kwargs, message
):
    teacher = make_bert(4, 16, **teacher_kwargs)
    student = make_bert(2, 8, **student_kwargs)
    with pytest.raises(ValueError, match=message):
        Distiller(teacher, student, **distiller_kwargs)


def test_average_heads_lets_head_counts_differ(make_bert, batch):
    teacher, student = make_bert(4, 16, num_heads=4), make_bert(2, 8, num_heads=2)
    history = fit(Distiller(teacher, student, average_attention_heads=True), (batch[0], None))
    assert np.isfinite(history.history["attention_loss"]).all()


def test_bad_fit_inputs(make_bert, batch):
    teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
    distiller = Distiller(teacher, student, stage="prediction", label_loss=True)
    with pytest.raises(ValueError, match="label_loss needs labels"):
        fit(distiller, (batch[0], None))
    distiller = Distiller(teacher, student, stage="prediction")
    distiller.compile(optimizer="adamw", loss="mse")
    with pytest.raises(ValueError, match="do not pass `loss` to compile"):
        distiller.fit(*batch, verbose=0)
    distiller = Distiller(teacher, student, stage="prediction")
    distiller.compile(optimizer="adamw")
    with pytest.raises(ValueError, match="sample weights"):
        distiller.fit(*batch, sample_weight=np.ones(8), verbose=0)


def test_xla_and_mixed_precision(make_bert, batch):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
        distiller = Distiller(teacher, student, stage="intermediate", label_loss=True)
        history = fit(distiller, batch, jit_compile=True)
        assert isinstance(distiller.optimizer, keras.optimizers.LossScaleOptimizer)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert student.backbone.compute_dtype == "float16"
    assert all(np.isfinite(v).all() for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_callbacks_checkpoint_and_resume(make_bert, batch, tmp_path):
    teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
    distiller = Distiller(teacher, student, stage="intermediate", label_loss=True)
    distiller.compile(optimizer=keras.optimizers.AdamW(1e-3), jit_compile=False)
    callbacks = [
        keras.callbacks.ModelCheckpoint(str(tmp_path / "distiller.keras")),
        keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=3),
        keras.callbacks.TensorBoard(str(tmp_path / "logs")),
    ]
    x, y = batch
    distiller.fit(x, y, validation_data=(x, y), epochs=2, batch_size=4, callbacks=callbacks, verbose=0)
    assert list((tmp_path / "logs").rglob("events.out.tfevents*"))

    restored = keras.saving.load_model(tmp_path / "distiller.keras")
    assert isinstance(restored, Distiller) and restored.enabled == distiller.enabled
    for a, b in zip(distiller.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(restored.optimizer.iterations) == int(distiller.optimizer.iterations) == 4
    for a, b in zip(distiller.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    history = restored.fit(x, y, epochs=1, batch_size=4, verbose=0)
    assert int(restored.optimizer.iterations) == 6 and np.isfinite(history.history["loss"]).all()


class Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_backup_and_restore_continues_where_it_stopped(make_bert, batch, tmp_path):
    def run(callbacks):
        teacher, student = make_bert(4, 16, seed=1), make_bert(2, 8, seed=2)
        distiller = Distiller(teacher, student)
        distiller.compile(optimizer=keras.optimizers.AdamW(1e-3), jit_compile=False)
        distiller.fit(batch[0], batch_size=4, epochs=4, shuffle=False, callbacks=callbacks, verbose=0)
        return distiller

    uninterrupted = run([])
    backup = keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))
    with pytest.raises(KeyboardInterrupt):
        run([backup, Interrupt()])
    resumed = run([keras.callbacks.BackupAndRestore(str(tmp_path / "backup"))])
    assert int(resumed.optimizer.iterations) == 8
    for a, b in zip(uninterrupted.trainable_weights, resumed.trainable_weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), atol=1e-6)


def test_config_round_trip(make_bert):
    teacher, student = make_bert(4, 16, num_classes=3), make_bert(2, 8, num_classes=3)
    distiller = Distiller(
        teacher, student, stage="intermediate", layer_map=[1, 3], label_loss=True,
        shared_projection=True, formulation="official", temperature=2.0,
    )
    config = distiller.get_config()
    restored = Distiller.from_config(config)
    restored_config = restored.get_config()
    for key in ("teacher", "student"):
        assert restored_config.pop(key)["class_name"] == config.pop(key)["class_name"]
    assert restored_config == config
    assert restored.layer_map_indices == (0, 1, 3) and len(restored.projections) == 1


MIRRORED_SCRIPT = textwrap.dedent(
    """
    import json, os
    os.environ["KERAS_BACKEND"] = "tensorflow"
    import numpy as np, tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])
    import keras, keras_hub
    from tinybert_keras.core.distiller import Distiller

    def bert(layers, width, seed):
        keras.utils.set_random_seed(seed)
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=100, num_layers=layers, num_heads=2, hidden_dim=width,
            intermediate_dim=2 * width, max_sequence_length=16, dropout=0.0)
        return keras_hub.models.BertTextClassifier(
            backbone, num_classes=3, preprocessor=None, dropout=0.0)

    rng = np.random.default_rng(0)
    mask = (np.arange(10)[None] < rng.integers(3, 11, (16, 1))).astype("int32")
    x = {"token_ids": rng.integers(1, 100, (16, 10)).astype("int32") * mask,
         "segment_ids": np.zeros((16, 10), "int32"), "padding_mask": mask}
    y = rng.integers(0, 3, 16).astype("int32")

    def train(strategy):
        with strategy.scope():
            distiller = Distiller(bert(4, 16, 1), bert(2, 8, 2), stage="intermediate",
                                  prediction_loss=True, label_loss=True)
            distiller.compile(optimizer=keras.optimizers.AdamW(1e-2))
        data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
        history = distiller.fit(data, epochs=3, verbose=0)
        return distiller, history.history

    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    single, single_history = train(tf.distribute.get_strategy())
    multi, multi_history = train(mirrored)
    difference = max(
        float(np.max(np.abs(a.numpy() - b.numpy())))
        for a, b in zip(single.trainable_weights, multi.trainable_weights))
    moved = max(
        float(np.max(np.abs(a.numpy() - b.numpy())))
        for a, b in zip(single.trainable_weights, bert(2, 8, 2).trainable_weights))
    print(json.dumps({"replicas": mirrored.num_replicas_in_sync, "difference": difference,
                      "moved": moved, "single": single_history, "multi": multi_history}))
    """
)


def test_mirrored_strategy_matches_single_device():
    result = subprocess.run(
        [sys.executable, "-c", MIRRORED_SCRIPT], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["replicas"] == 2
    assert report["moved"] > 1e-3
    assert report["difference"] < 1e-5
    for name, values in report["single"].items():
        np.testing.assert_allclose(report["multi"][name], values, rtol=1e-4)


def test_precomputed_teacher_logits_replace_the_teacher_pass(make_bert, batch):
    teacher, student = make_bert(4, 16, num_classes=3, seed=1), make_bert(2, 8, num_classes=3)
    distiller = Distiller(teacher, student, stage="prediction")
    x, y = batch
    live, _ = distiller.compute_losses(x, y)
    logits = np.asarray(teacher(x, training=False))

    def refuse(*args, **kwargs):
        raise AssertionError("the teacher ran")

    distiller.teacher_view.call = refuse
    cached, outputs = distiller.compute_losses({**x, "teacher_logits": logits}, y)
    np.testing.assert_allclose(float(cached["prediction"]), float(live["prediction"]), rtol=1e-6)
    confident = 10.0 * np.eye(3, dtype="float32")[y]
    other, outputs = distiller.compute_losses({**x, "teacher_logits": confident}, y)
    expected = distiller.prediction_loss_fn.compute_loss(confident, outputs["logits"])
    np.testing.assert_allclose(float(other["prediction"]), float(expected), rtol=1e-6)
    np.testing.assert_array_equal(distiller({**x, "teacher_logits": logits}), outputs["logits"])
    history = fit(distiller, ({**x, "teacher_logits": logits}, y), epochs=1)
    assert np.isfinite(history.history["prediction_loss"][0])


def test_a_bfloat16_teacher_keeps_the_student_and_the_losses_in_float32(make_bert, batch):
    teacher, student = make_bert(4, 16, num_classes=3, seed=1), make_bert(2, 8, num_classes=3)
    reference = Distiller(teacher, student, stage="intermediate", prediction_loss=True)
    distiller = Distiller(teacher, student, stage="intermediate", prediction_loss=True,
                          teacher_dtype="bfloat16")
    assert {w.dtype for w in distiller.teacher.weights if w.dtype != "uint32"} == {"bfloat16"}
    assert {w.dtype for w in teacher.weights if w.dtype != "uint32"} == {"float32"}
    assert {w.dtype for w in distiller.trainable_weights} == {"float32"}
    for mine, theirs in zip(distiller.projections, reference.projections):
        mine.set_weights(theirs.get_weights())
    losses, _ = distiller.compute_losses(*batch)
    expected, _ = reference.compute_losses(*batch)
    assert sorted(losses) == ["attention", "embedding", "hidden", "prediction"]
    for term, value in losses.items():
        assert value.dtype == "float32"
        np.testing.assert_allclose(float(value), float(expected[term]), rtol=0.05)
    # On a CPU the teacher's pass leaves XLA (which would run it in float32) and only the
    # student's update is compiled.
    history = fit(distiller, batch, epochs=3, jit_compile=True)
    assert distiller.jit_compile is False
    assert history.history["loss"][-1] < history.history["loss"][0]
    restored = Distiller.from_config(distiller.get_config())
    assert restored.get_config()["teacher_dtype"] == "bfloat16"
    assert restored.teacher.weights[0].dtype == "bfloat16"
