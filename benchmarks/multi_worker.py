"""Times a general-distillation step on two worker processes against one process, same batch.

Both runs train the same `Distiller` (6x384 teacher, 3x192 student at batch 16, sequence 64;
tiny models with `--small`) on the same global batch, with the strategy `default_strategy()`
picks: the default strategy for one process, `MultiWorkerMirroredStrategy` for two processes
on 127.0.0.1 (`TF_CONFIG`, free ports), each taking half of every batch. Each process warms
up, then times `--steps` steps of `model.fit`; the median step of each run is printed, and
their ratio. The two runs alternate, `--rounds` times, so that background load hits them alike.

On one machine the two workers share its cores and exchange gradients over loopback, so
expect them to be slower than one process: this measures the engine's overhead, not the
speed-up of several machines (which needs several machines).

    python benchmarks/multi_worker.py            # 6x384 -> 3x192, batch 16, sequence 64
    python benchmarks/multi_worker.py --small    # tiny models, about two minutes

The last line is `two_over_one=<two-worker step time / one-process step time>`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from shapes import SMALL_STUDENT
from shapes import SMALL_TEACHER

SMALL = {"teacher": {"num_layers": 2, "hidden_dim": 64, "intermediate_dim": 256, "num_heads": 4},
         "student": {"num_layers": 1, "hidden_dim": 32, "intermediate_dim": 128, "num_heads": 4},
         "batch_size": 8, "sequence_length": 32}
DEFAULT = {"teacher": SMALL_TEACHER, "student": SMALL_STUDENT, "batch_size": 16,
           "sequence_length": 64}
# The random models' vocabulary (the batch's token ids are 5 to 999).
VOCABULARY_SIZE = 1000


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", action="store_true", help="Tiny models, batch 8, seq 32.")
    parser.add_argument("--steps", type=int, help="Timed steps per run; default 20 (8 small).")
    parser.add_argument("--rounds", type=int, help="Runs of each kind; default 2 (1 small).")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


def worker(shapes, steps):
    """One process of a run: trains `steps` steps after warm-up; prints its median step time."""
    import keras
    import keras_hub
    import tensorflow as tf
    from distill_step import random_batch

    from tinybert_keras import Distiller
    from tinybert_keras import student_backbone
    from tinybert_keras.core import compat
    from tinybert_keras.recipe import distribution

    strategy = distribution.default_strategy()
    batch_size, length = shapes["batch_size"], shapes["sequence_length"]
    x = random_batch(batch_size, length, vocabulary_size=VOCABULARY_SIZE, first_id=5)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    dataset = tf.data.Dataset.from_tensors(x).repeat().with_options(options)
    keras.utils.set_random_seed(0)
    with strategy.scope():
        teacher = keras_hub.models.BertBackbone(
            vocabulary_size=VOCABULARY_SIZE, max_sequence_length=length, **shapes["teacher"])
        student = student_backbone(shapes["student"], teacher=teacher)
        distiller = Distiller(teacher, student, stage="general")
        distiller.compile(optimizer=keras.optimizers.AdamW(1e-4), jit_compile=False)
    if distribution.is_multi_worker(strategy):
        compat.fit_across_workers(distiller)

    class StepTimes(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_train_batch_begin(self, batch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.seconds.append(time.perf_counter() - self.start)

    times = StepTimes()
    warm_up = 3
    distiller.fit(dataset, epochs=1, steps_per_epoch=warm_up + steps, callbacks=[times],
                  verbose=0, shuffle=False)
    print(json.dumps({"step_s": statistics.median(times.seconds[warm_up:])}))


def run(workers, args):
    """Starts `workers` processes of this script; returns the chief's median step time."""
    from tinybert_keras.recipe.distribution import local_cluster

    processes = []
    for config in local_cluster(workers):
        command = [sys.executable, __file__, "--worker"]
        command += ["--small"] if args.small else []
        command += ["--steps", str(args.steps)] if args.steps else []
        processes.append(subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                                          env={**os.environ, "TF_CONFIG": config}))
    outputs = [process.communicate()[0] for process in processes]
    if any(process.returncode for process in processes):
        raise SystemExit(f"a worker failed: {[p.returncode for p in processes]}")
    return json.loads(outputs[0].strip().splitlines()[-1])["step_s"]


def main():
    args = parse_args()
    shapes = SMALL if args.small else DEFAULT
    steps = args.steps or (8 if args.small else 20)
    if args.worker:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        worker(shapes, steps)
        return
    print(f"teacher {shapes['teacher']}, student {shapes['student']}, global batch "
          f"{shapes['batch_size']}, sequence {shapes['sequence_length']}, {steps} timed steps, "
          f"{os.cpu_count()} CPU cores")
    one, two = [], []
    for _ in range(args.rounds or (1 if args.small else 2)):
        one.append(run(1, args))
        two.append(run(2, args))
    one_s, two_s = statistics.median(one), statistics.median(two)
    print(f"one_process_step_s={one_s:.4f}")
    print(f"two_workers_step_s={two_s:.4f}")
    print(f"two_over_one={two_s / one_s:.2f}")


if __name__ == "__main__":
    main()
