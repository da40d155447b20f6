"""TinyBERT's distillation objectives, as `keras.distillation.DistillationLoss` objects.

Each loss takes the teacher's and the student's tensors (the student's hidden states already
projected to the teacher's width) and an optional padding mask, and returns a scalar. All math is
done in float32, so the losses are safe under a mixed-precision policy.

The paper's formulas say "MSE" without saying what the mean runs over. Two formulations:

- `"paper"` (default): means over real tokens only. Hidden-state MSE averages over an example's
  non-padded positions and features, attention MSE over its (real query, real key) entries and
  heads, then both average over the examples of the batch; soft cross-entropy sums over classes
  and averages over the batch.
- `"official"`: reproduces the authors' PyTorch numbers. Hidden-state MSE averages over every
  position, padding included; attention scores get the -10000 key mask added and every entry
  <= -100 set to 0 on both sides, then the MSE averages over all entries; soft cross-entropy averages
  over batch and classes (a factor 1/C).
"""

import keras
from keras import ops

from tinybert_keras.config.stages import FORMULATIONS
from tinybert_keras.core.pairing import check_heads


def _check_formulation(formulation):
    if formulation not in FORMULATIONS:
        raise ValueError(f"formulation must be one of {FORMULATIONS}; got {formulation!r}.")


def _masked_mean(values, weights):
    """Per example, the mean of `values` where broadcast `weights` is 1; then the batch mean.

    Averaging per example first keeps the loss a mean over examples, so a global batch split
    across replicas gives the same gradient as the whole batch on one device."""
    weights = ops.broadcast_to(weights, ops.shape(values))
    axes = tuple(range(1, len(values.shape)))
    per_example = ops.sum(values * weights, axis=axes) / ops.maximum(
        ops.sum(weights, axis=axes), 1.0
    )
    return ops.mean(per_example)


def _squared_error(outputs, targets):
    """The mean squared error of single regression outputs, each side flattened to `[batch]`."""
    return ops.mean(ops.square(ops.reshape(outputs, (-1,)) - ops.reshape(targets, (-1,))))


class _TinyBertLoss(keras.distillation.DistillationLoss):
    def __init__(self, formulation="paper"):
        _check_formulation(formulation)
        self.formulation = formulation

    def get_config(self):
        return {"formulation": self.formulation}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="tinybert_keras")
class HiddenStateLoss(_TinyBertLoss):
    """Mean squared error between student and teacher hidden states (or embeddings).

    TinyBERT's `L_hidn = MSE(H_S W_h, H_T)` and `L_embd = MSE(E_S W_e, E_T)`: pass the student's
    states already multiplied by the projection `W`.

    Args:
        formulation: `"paper"` (mean over each example's non-padded positions, then over the
            batch) or `"official"` (mean over all positions, as the authors' code).

    Example:
    ```python
    import numpy as np
    loss = HiddenStateLoss()
    t, s = np.ones((2, 3, 4), "float32"), np.zeros((2, 3, 4), "float32")
    float(loss.compute_loss(t, s, padding_mask=np.array([[1, 1, 0], [1, 0, 0]])))  # 1.0
    ```
    """

    def compute_loss(self, teacher_outputs, student_outputs, padding_mask=None):
        """Args:
            teacher_outputs: `[batch, seq, hidden]`.
            student_outputs: `[batch, seq, hidden]`, projected to the teacher's width.
            padding_mask: optional `[batch, seq]`, 1 for real tokens.
        """
        error = ops.square(
            ops.cast(student_outputs, "float32") - ops.cast(teacher_outputs, "float32")
        )
        if padding_mask is None or self.formulation == "official":
            return ops.mean(error)
        return _masked_mean(error, ops.cast(padding_mask, "float32")[:, :, None])


@keras.saving.register_keras_serializable(package="tinybert_keras")
class AttentionScoreLoss(_TinyBertLoss):
    """Mean squared error between attention scores before softmax, averaged over heads.

    TinyBERT's `L_attn = 1/h sum_i MSE(A_S_i, A_T_i)` with `A = Q K^T / sqrt(d_k)`. Teacher and
    student need the same number of heads, unless `average_heads=True`: then each side's scores are
    first averaged over its heads and the two `[seq, seq]` maps are compared, which lets, e.g., a
    16-head BERT-large teach a 12-head student.

    Args:
        formulation: `"paper"` (mean over real query and key positions) or `"official"`
            (masked keys zeroed, mean over all entries, as the authors' code).
        average_heads: compare head-averaged score maps instead of head by head.

    Example:
    ```python
    import numpy as np
    loss = AttentionScoreLoss()
    t = np.random.randn(2, 4, 3, 3).astype("float32")
    float(loss.compute_loss(t, t, padding_mask=np.ones((2, 3))))  # 0.0
    ```
    """

    def __init__(self, formulation="paper", average_heads=False):
        super().__init__(formulation)
        self.average_heads = average_heads

    def validate_outputs(self, teacher_outputs, student_outputs):
        check_heads(teacher_outputs.shape[1], student_outputs.shape[1], self.average_heads)

    def compute_loss(self, teacher_outputs, student_outputs, padding_mask=None):
        """Args:
            teacher_outputs: `[batch, heads_t, seq, seq]` scores before softmax.
            student_outputs: `[batch, heads_s, seq, seq]` scores before softmax.
            padding_mask: optional `[batch, seq]`, 1 for real tokens.
        """
        self.validate_outputs(teacher_outputs, student_outputs)
        teacher = ops.cast(teacher_outputs, "float32")
        student = ops.cast(student_outputs, "float32")
        if padding_mask is None:
            return ops.mean(ops.square(self._reduce_heads(student) - self._reduce_heads(teacher)))
        mask = ops.cast(padding_mask, "float32")
        if self.formulation == "official":
            key_bias = ((1.0 - mask) * -10000.0)[:, None, None, :]
            teacher, student = (self._official_zeroing(a + key_bias) for a in (teacher, student))
            return ops.mean(ops.square(self._reduce_heads(student) - self._reduce_heads(teacher)))
        error = ops.square(self._reduce_heads(student) - self._reduce_heads(teacher))
        pair_mask = mask[:, :, None] * mask[:, None, :]
        return _masked_mean(error, pair_mask[:, None, :, :])

    def _reduce_heads(self, scores):
        return ops.mean(scores, axis=1, keepdims=True) if self.average_heads else scores

    @staticmethod
    def _official_zeroing(scores):
        return ops.where(scores <= -100.0, ops.zeros_like(scores), scores)

    def get_config(self):
        return {**super().get_config(), "average_heads": self.average_heads}


@keras.saving.register_keras_serializable(package="tinybert_keras")
class PredictionLoss(_TinyBertLoss):
    """TinyBERT's prediction-layer loss: soft cross-entropy on logits, or MSE for regression.

    Classification: `-softmax(z_T / t) . log_softmax(z_S / t)`, with no `t^2` factor (the paper).
    Regression: mean squared error between the student's output and the target, which is the
    teacher's output (`"paper"`) or the gold label (`"official"`; the `Distiller` passes it).

    Args:
        temperature: softmax temperature `t` (the paper finds 1 works well).
        formulation: `"paper"` (sum over classes, mean over the batch) or `"official"` (mean over
            batch and classes).
        regression: use MSE on a single output instead of soft cross-entropy.

    Example:
    ```python
    import numpy as np
    loss = PredictionLoss(temperature=1.0)
    z = np.array([[2.0, 0.0]], "float32")
    # Matched against itself, the loss is the teacher's entropy.
    round(float(loss.compute_loss(z, z)), 3)  # 0.365
    ```
    """

    def __init__(self, temperature=1.0, formulation="paper", regression=False):
        super().__init__(formulation)
        if not temperature > 0:
            raise ValueError(f"temperature must be positive; got {temperature}.")
        self.temperature = float(temperature)
        self.regression = regression

    def compute_loss(self, teacher_outputs, student_outputs, padding_mask=None):
        """Args:
            teacher_outputs: the teacher's logits `[batch, classes]`, or the regression target.
            student_outputs: the student's logits `[batch, classes]`.
            padding_mask: unused; accepted for a uniform signature.
        """
        teacher = ops.cast(teacher_outputs, "float32")
        student = ops.cast(student_outputs, "float32")
        if self.regression:
            return _squared_error(student, teacher)
        targets = ops.softmax(teacher / self.temperature, axis=-1)
        log_probs = ops.log_softmax(student / self.temperature, axis=-1)
        cross_entropy = -targets * log_probs
        if self.formulation == "official":
            return ops.mean(cross_entropy)
        return ops.mean(ops.sum(cross_entropy, axis=-1))

    def get_config(self):
        return {
            **super().get_config(),
            "temperature": self.temperature,
            "regression": self.regression,
        }


def label_loss(labels, logits, regression=False):
    """Cross-entropy (MSE for regression) between a student's logits and the gold labels.

    A plain function, not a Keras loss object: those scale themselves for the replicas, and
    `Distiller.train_step` scales the total once.

    Args:
        labels: class ids `[batch]`, or scores for regression.
        logits: the student's logits `[batch, classes]` (`[batch, 1]` for regression).
        regression: use the mean squared error.

    Returns:
        A float32 scalar.

    Example:
    ```python
    import numpy as np
    # Two equal logits: the cross-entropy is log 2.
    float(label_loss(np.array([0]), np.array([[0.0, 0.0]], "float32")))  # 0.693147
    ```
    """
    logits = ops.cast(logits, "float32")
    if regression:
        return _squared_error(logits, ops.cast(labels, "float32"))
    return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True))
