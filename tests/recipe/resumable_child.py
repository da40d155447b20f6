"""A tiny resumable training, one backup per step: the process that test_backups.py kills.

Usage: python resumable_child.py OUTPUT_DIR STEPS WEIGHTS_FILE

Prints "interval <k>" as each interval starts and, when training ends, writes the final weights
to WEIGHTS_FILE (.npz).
"""

import os
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from tinybert_keras.recipe import training  # noqa: E402


class Announce(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        print(f"interval {epoch + 1}", flush=True)


def main(output_dir, steps, weights_file):
    os.makedirs(output_dir, exist_ok=True)
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 16)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([
        keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
        keras.layers.Dropout(0.3), keras.layers.Dense(2),
    ])
    model.compile(optimizer=training.adamw(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=0).batch(8)
    training.fit_resumable(model, dataset, steps, output_dir, steps_per_checkpoint=1,
                           callbacks=[Announce()], verbose=0)
    np.savez(weights_file, *model.get_weights())


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
