"""The TinyBERT `Distiller`: a `keras.Model` whose `fit` distills a teacher into a student."""

import keras
import tensorflow as tf
from keras import ops

from tinybert_keras.core import compat
from tinybert_keras.core.layerwise import LayerwiseBert
from tinybert_keras.core.losses import AttentionScoreLoss
from tinybert_keras.core.losses import HiddenStateLoss
from tinybert_keras.core.losses import PredictionLoss
from tinybert_keras.core.losses import label_loss
from tinybert_keras.core.pairing import check_models
from tinybert_keras.core.precision import with_dtype

STAGES = ("general", "intermediate", "prediction")
LOSS_TERMS = ("embedding", "attention", "hidden", "prediction", "label")
LAYERWISE_TERMS = ("embedding", "attention", "hidden")
# The key of `x` that carries precomputed teacher logits (see the class docstring).
TEACHER_LOGITS = "teacher_logits"


def _stage_defaults(stage):
    intermediate = stage in ("general", "intermediate")
    return {**dict.fromkeys(LAYERWISE_TERMS, intermediate), "prediction": not intermediate,
            "label": False}


@keras.saving.register_keras_serializable(package="tinybert_keras")
class Distiller(keras.Model):
    """TinyBERT's Transformer distillation, trained with `compile` and `fit`.

    A frozen teacher and a trainable student (keras-hub `BertBackbone`s, or `BertTextClassifier`s
    built on them) run once per step; TinyBERT's losses compare them layer by layer:
    embeddings and hidden states through learnable projections (student width -> teacher width),
    attention scores before softmax, and the classifier logits.

    Stages set which losses are on:
    - `"general"`: embedding + attention + hidden, on plain text with a pre-trained teacher;
    - `"intermediate"`: the same, on a task's (augmented) data with a fine-tuned teacher;
    - `"prediction"`: soft cross-entropy between teacher and student logits (MSE for regression).
    Each loss can be switched on or off on its own (`embedding_loss=False`, ...), which gives the
    paper's ablations; `prediction_loss=False, label_loss=True` is "w/o Pred" (cross-entropy on the
    gold labels), and a Distiller with only `label_loss=True` trains the student alone and never
    runs the teacher.

    The frozen teacher's logits for an example never change, so the prediction stage can take
    them precomputed, as `x["teacher_logits"]` (float, `[batch, num_classes]`): the student then
    trains alone (batches without them, e.g. dev data, run the teacher). The recipe's phase 2
    caches them so (`tinybert_keras.recipe.cached_teacher_logits`). `teacher_dtype="bfloat16"`
    runs the teacher from a bfloat16 copy (`tinybert_keras.core.precision.with_dtype`); the
    student, the projections and every loss stay float32.

    Every enabled term is a metric of its own (`attention_loss`, ...) in the progress bar and the
    `History`, next to `loss`, their sum. The step is correct under any `tf.distribute` strategy
    (the loss is scaled by the number of replicas, as Keras' own `train_step` does), under XLA
    (`jit_compile=True`) and under a mixed-precision policy (the losses are computed in float32).

    Keras' own `keras.distillation.Distiller` matches logits and named features with a second
    student pass; TinyBERT also needs the projections, the pre-softmax attention scores and a layer
    map, so this class overrides `train_step` and `test_step`, and its losses are
    `keras.distillation.DistillationLoss` objects.

    Args:
        teacher: a keras-hub `BertBackbone` or `BertTextClassifier`. It is frozen.
        student: a keras-hub `BertBackbone` or `BertTextClassifier` with the teacher's vocabulary.
        stage: `"general"`, `"intermediate"` or `"prediction"`; sets the default losses.
        layer_map: `"uniform"`, `"top"`, `"bottom"` or a list of teacher layers, one per student
            layer (see `tinybert_keras.core.layer_maps.layer_map`).
        embedding_loss: turn the embedding-layer loss on or off; `None` takes the stage's default.
        attention_loss: the same for the attention-score loss.
        hidden_loss: the same for the hidden-state loss.
        prediction_loss: the same for the prediction-layer (soft cross-entropy) loss.
        label_loss: add cross-entropy (MSE for regression) between the student's logits and the
            gold labels.
        temperature: the prediction loss's softmax temperature.
        shared_projection: one projection for the embeddings and every layer (the official code's
            `fit_dense`) instead of one per layer (the paper's `W_e`, `W_h`).
        average_attention_heads: compare head-averaged attention maps, so teacher and student may
            have different head counts.
        formulation: `"paper"` or `"official"`; what the means run over (see
            `tinybert_keras.core.losses`). `"official"` also makes the regression prediction loss use the
            gold labels, as the authors' code does.
        teacher_dtype: `None` runs the teacher as given; `"bfloat16"` or `"float16"` a copy
            of it in that precision (on a CPU outside XLA, which would run it in float32).
        **kwargs: passed to `keras.Model` (e.g. `name`).

    Example:
    ```python
    import numpy as np
    import keras, keras_hub
    def bert(layers, width):
        return keras_hub.models.BertBackbone(
            vocabulary_size=100, num_layers=layers, num_heads=2, hidden_dim=width,
            intermediate_dim=2 * width, max_sequence_length=16)
    distiller = Distiller(teacher=bert(4, 16), student=bert(2, 8), stage="general")
    distiller.compile(optimizer=keras.optimizers.AdamW(5e-5))
    x = {"token_ids": np.random.randint(1, 100, (8, 12)).astype("int32"),
         "segment_ids": np.zeros((8, 12), "int32"), "padding_mask": np.ones((8, 12), "int32")}
    history = distiller.fit(x, epochs=1, batch_size=4, verbose=0)
    sorted(history.history)  # ['attention_loss', 'embedding_loss', 'hidden_loss', 'loss']
    ```
    """

    def __init__(
        self,
        teacher,
        student,
        stage="general",
        layer_map="uniform",
        embedding_loss=None,
        attention_loss=None,
        hidden_loss=None,
        prediction_loss=None,
        label_loss=False,
        temperature=1.0,
        shared_projection=False,
        average_attention_heads=False,
        formulation="paper",
        teacher_dtype=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if stage not in STAGES:
            raise ValueError(f"stage must be one of {STAGES}; got {stage!r}.")
        switches = dict(zip(LOSS_TERMS, (embedding_loss, attention_loss, hidden_loss,
                                         prediction_loss, label_loss)))
        self.enabled = {
            term: default if switches[term] is None else bool(switches[term])
            for term, default in _stage_defaults(stage).items()
        }
        if not any(self.enabled.values()):
            raise ValueError("Every loss is switched off: enable at least one.")

        self._config = {
            "stage": stage,
            "layer_map": layer_map,
            "embedding_loss": embedding_loss,
            "attention_loss": attention_loss,
            "hidden_loss": hidden_loss,
            "prediction_loss": prediction_loss,
            "label_loss": label_loss,
            "temperature": temperature,
            "shared_projection": shared_projection,
            "average_attention_heads": average_attention_heads,
            "formulation": formulation,
            "teacher_dtype": teacher_dtype,
        }
        if teacher_dtype is not None:
            teacher = with_dtype(teacher, teacher_dtype)
        teacher.trainable = False
        self.teacher_view = LayerwiseBert(teacher, name="teacher_view")
        self.student_view = LayerwiseBert(student, name="student_view")
        self.layer_map_indices = check_models(
            self.teacher_view, self.student_view, self.enabled, layer_map, average_attention_heads
        )
        self.regression = self.student_view.is_classifier and student.num_classes == 1
        # The official code's regression prediction loss targets the gold labels.
        self._official_regression = self.regression and formulation == "official"
        self.hidden_state_loss = HiddenStateLoss(formulation)
        self.attention_score_loss = AttentionScoreLoss(formulation, average_attention_heads)
        self.prediction_loss_fn = PredictionLoss(temperature, formulation, self.regression)
        self.projections = self._build_projections(shared_projection)
        self.term_trackers = {
            term: keras.metrics.Mean(name=f"{term}_loss") for term in LOSS_TERMS if self.enabled[term]
        }
        # The student's update alone, XLA-compiled, when the teacher must run outside XLA.
        self._student_xla = None
        self.built = True

    @property
    def teacher(self):
        """The frozen teacher model, as given."""
        return self.teacher_view.model

    @property
    def student(self):
        """The student model, as given: a keras-hub model that can be saved as a preset."""
        return self.student_view.model

    def _split_inputs(self, x):
        """`(backbone inputs, precomputed teacher logits or None)` of a batch's `x`."""
        if not isinstance(x, dict) or TEACHER_LOGITS not in x:
            return x, None
        return {key: value for key, value in x.items() if key != TEACHER_LOGITS}, x[TEACHER_LOGITS]

    def _build_projections(self, shared):
        """Dense maps from the student's width to the teacher's, built now so that their
        variables exist (inside the right strategy scope) before the optimizer is built."""
        if not (self.enabled["embedding"] or self.enabled["hidden"]):
            return []
        count = 1 if shared else self.student_view.backbone.num_layers + 1
        names = ["shared_projection"] if shared else (
            ["embedding_projection"] + [f"hidden_projection_{i}" for i in range(1, count)])
        projections = []
        for name in names:
            projection = keras.layers.Dense(self.teacher_view.backbone.hidden_dim, name=name)
            projection.build((None, None, self.student_view.backbone.hidden_dim))
            projections.append(projection)
        return projections

    def _projection(self, index):
        return self.projections[0] if len(self.projections) == 1 else self.projections[index]

    def call(self, inputs, training=None):
        """The student's output: classifier logits, or the backbone's output dict."""
        return self.student(self._split_inputs(inputs)[0], training=training)

    def compute_losses(self, x, y=None, training=False):
        """Runs teacher and student once and returns each enabled loss term.

        Args:
            x: the backbone input dict (`token_ids`, `segment_ids`, `padding_mask`), with
                `teacher_logits` if they are precomputed.
            y: the gold labels; needed by `label_loss`, and by the regression prediction loss
                under `formulation="official"`.
            training: whether the student runs in training mode (dropout).

        Returns:
            `(losses, student_outputs)`: a dict from term name (`"attention"`, ...) to a scalar
            float32 loss, and the student's layerwise outputs.
        """
        x, cached_logits = self._split_inputs(x)
        return self._compare(x, y, self._teacher_pass(x, cached_logits), cached_logits, training)

    def _teacher_pass(self, x, cached_logits):
        runs_teacher = any(self.enabled[term] for term in LAYERWISE_TERMS) or (
            self.enabled["prediction"] and cached_logits is None
        )
        return self.teacher_view(x, training=False) if runs_teacher else None

    def _compare(self, x, y, teacher, cached_logits, training):
        student = self.student_view(x, training=training)
        mask = x["padding_mask"]
        g = self.layer_map_indices
        losses = {}
        if self.enabled["embedding"]:
            losses["embedding"] = self.hidden_state_loss.compute_loss(
                teacher["embeddings"], self._projection(0)(student["embeddings"]), mask
            )
        if self.enabled["attention"]:
            losses["attention"] = sum(
                self.attention_score_loss.compute_loss(
                    teacher["attention_scores"][g[m] - 1], student["attention_scores"][m - 1], mask
                )
                for m in range(1, len(g))
            )
        if self.enabled["hidden"]:
            losses["hidden"] = sum(
                self.hidden_state_loss.compute_loss(
                    teacher["hidden_states"][g[m]],
                    self._projection(m)(student["hidden_states"][m]),
                    mask,
                )
                for m in range(1, len(g))
            )
        if self.enabled["prediction"]:
            if self._official_regression:
                target = y
            else:
                target = teacher["logits"] if cached_logits is None else cached_logits
            if target is None:
                raise ValueError("The official regression prediction loss needs gold labels.")
            losses["prediction"] = self.prediction_loss_fn.compute_loss(target, student["logits"])
        if self.enabled["label"]:
            if y is None:
                raise ValueError("label_loss needs labels: give fit (x, y) pairs, or switch "
                                 "label_loss off.")
            losses["label"] = label_loss(y, student["logits"], self.regression)
        return losses, student

    def _step_outputs(self, x, y, total, losses, student):
        batch_size = ops.shape(x["padding_mask"])[0]
        compat.loss_tracker(self).update_state(total, sample_weight=batch_size)
        for term, value in losses.items():
            self.term_trackers[term].update_state(value, sample_weight=batch_size)
        if y is not None and self.student_view.is_classifier:
            return self.compute_metrics(x, y, student["logits"])
        return self.get_metrics_result()

    def _unpack(self, data):
        if self.loss is not None:
            raise ValueError(
                "Distiller computes its own losses; do not pass `loss` to compile. Choose them "
                "with the constructor switches (embedding_loss=..., label_loss=..., ...)."
            )
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        if sample_weight is not None:
            raise ValueError("Distiller does not use sample weights; give (x,) or (x, y).")
        return x, y

    def make_train_function(self, force=False):
        # XLA on a CPU converts bfloat16 and float16 dots to float32, which makes a low-precision
        # teacher slower, not faster. There, the teacher runs in graph mode (oneDNN's bfloat16
        # kernels) and only the student's update is XLA-compiled.
        low_precision = self.teacher.dtype_policy.compute_dtype != "float32"
        if self.jit_compile and low_precision and not tf.config.list_logical_devices("GPU"):
            self.jit_compile = False
            self._student_xla = tf.function(self._student_update, jit_compile=True)
        return super().make_train_function(force)

    def train_step(self, data):
        x, y = self._unpack(data)
        x, cached_logits = self._split_inputs(x)
        teacher = self._teacher_pass(x, cached_logits)
        update = self._student_xla or self._student_update
        total, losses, logits = update(x, y, teacher, cached_logits)
        return self._step_outputs(x, y, total, losses, {"logits": logits})

    def _student_update(self, x, y, teacher, cached_logits):
        with tf.GradientTape() as tape:
            losses, student = self._compare(x, y, teacher, cached_logits, training=True)
            total = sum(losses.values())
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            # Gradients are summed over replicas, so each replica's mean loss is divided by
            # their number, exactly as Keras' own train_step does.
            loss = self.optimizer.scale_loss(total / replicas)
        weights = self.trainable_weights
        gradients = tape.gradient(loss, weights)
        if not self.optimizer.built:
            # Built on every trainable weight, not only those with gradients this stage, so that
            # its saved state matches a freshly built optimizer on restore.
            self.optimizer.build(weights)
        # Some weights take no part in a stage's losses (the pooler under the layerwise losses,
        # the last layer's values under the attention loss alone); they are left as they are.
        self.optimizer.apply_gradients(
            [(gradient, weight) for gradient, weight in zip(gradients, weights) if gradient is not None]
        )
        return total, losses, student.get("logits")

    def test_step(self, data):
        x, y = self._unpack(data)
        losses, student = self.compute_losses(x, y, training=False)
        return self._step_outputs(x, y, sum(losses.values()), losses, student)

    def get_config(self):
        config = super().get_config()
        config.update(self._config)
        config["teacher"] = keras.saving.serialize_keras_object(self.teacher)
        config["student"] = keras.saving.serialize_keras_object(self.student)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for role in ("teacher", "student"):
            config[role] = keras.saving.deserialize_keras_object(config[role])
        return cls(**config)
