"""The learning-rate schedule of TinyBERT's prediction-layer phase: linear warm-up, linear decay."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="tinybert_keras")
class WarmupLinearDecay(keras.optimizers.schedules.LearningRateSchedule):
    """Rises linearly from 0 to `peak_learning_rate` over `warmup_steps`, then falls linearly to 0.

    This is BERT's and TinyBERT's fine-tuning schedule (`warmup_linear` in the official code).
    Keras has the pieces but not this shape: `PolynomialDecay` has no warm-up and `CosineDecay`'s
    warm-up is followed by a cosine, not a line.

    Args:
        peak_learning_rate: the learning rate reached at the end of warm-up.
        total_steps: the step at which the rate reaches 0.
        warmup_steps: the length of the warm-up (the paper: 10% of `total_steps`).

    Example:
    ```python
    schedule = WarmupLinearDecay(3e-5, total_steps=100, warmup_steps=10)
    [round(float(schedule(step)), 8) for step in (0, 5, 10, 55, 100)]
    # [0.0, 1.5e-05, 3e-05, 1.5e-05, 0.0]
    ```
    """

    def __init__(self, peak_learning_rate, total_steps, warmup_steps=0):
        if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"Need total_steps >= 1 and 0 <= warmup_steps <= total_steps; got "
                f"total_steps={total_steps}, warmup_steps={warmup_steps}."
            )
        self.peak_learning_rate = peak_learning_rate
        self.total_steps = total_steps
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        step = ops.cast(step, "float32")
        warmup = ops.cast(max(self.warmup_steps, 1), "float32")
        decay = ops.cast(max(self.total_steps - self.warmup_steps, 1), "float32")
        rising = step / warmup
        falling = (self.total_steps - step) / decay
        fraction = ops.where(step < self.warmup_steps, rising, falling)
        return self.peak_learning_rate * ops.clip(fraction, 0.0, 1.0)

    def get_config(self):
        return {
            "peak_learning_rate": self.peak_learning_rate,
            "total_steps": self.total_steps,
            "warmup_steps": self.warmup_steps,
        }
