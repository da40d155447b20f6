"""One worker process of the multi-worker tests: `general_distill` with this process's TF_CONFIG.

    python recipe_worker.py '{"teacher": ..., "output_dir": ..., ...}' [KILL_AT_INTERVAL]

The JSON holds `general_distill`'s keyword arguments. With KILL_AT_INTERVAL the process kills
itself (SIGKILL) after the first step of that interval (counting from 0), as a machine that
goes down would. The summary is printed as JSON on the last line.
"""

import json
import os
import signal
import sys

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    import keras

    from tinybert_keras import recipe
    from tinybert_keras.recipe import training

    arguments = json.loads(sys.argv[1])
    if len(sys.argv) > 2:
        kill_at = int(sys.argv[2])

        class Kill(keras.callbacks.Callback):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                if self.epoch == kill_at:
                    os.kill(os.getpid(), signal.SIGKILL)

        fit_resumable = training.fit_resumable
        training.fit_resumable = lambda *args, callbacks=(), **kwargs: fit_resumable(
            *args, callbacks=[*callbacks, Kill()], **kwargs
        )
    print(json.dumps(recipe.general_distill(**arguments)))


if __name__ == "__main__":
    main()
