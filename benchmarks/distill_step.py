"""Times a TinyBERT distillation step against its parts, side by side in one process.

For BERT-base -> TinyBERT-4 at batch 32, sequence 128 (or smaller shapes with `--small`), it times:
- the teacher's forward pass (inference),
- one training step of the student alone (forward, backward, AdamW update),
- one `Distiller` training step (teacher pass + student step + projections + TinyBERT losses),
- teacher and student inference, each with and without XLA (the faster mode of each counts),
- the same distillation step with the teacher in bfloat16 (`teacher_dtype="bfloat16"`), and
  the teacher's bfloat16 inference,
- the prediction phase's step (classifier heads on both models, soft cross-entropy) with the
  teacher running, and with its logits cached (`x["teacher_logits"]`: the student alone).
The training steps are compiled with XLA (`--no-jit-compile`: without). Everything is warmed up first; then all are timed in
turn, round after round, so that the machine's background load hits them alike, and the medians
are compared.

    python benchmarks/distill_step.py            # BERT-base -> TinyBERT-4, batch 32, seq 128
    python benchmarks/distill_step.py --small    # under two minutes on a 2-core CPU

The last lines are `distill_overhead_ratio=<distill step / (teacher forward + student step)>`,
`inference_speedup=<teacher inference time / student inference time>` (each model in its
faster mode), `bf16_teacher_step_ratio=<bfloat16-teacher distill step / distill step>` and
`cached_logits_step_ratio=<cached-logits prediction step / live-teacher prediction step>`.
With `--official FILE` (the saved output of `official_speed.py`, run right before or after this
one), it also prints `<step>_vs_official=<ours / the authors'>` for the issue's targets.
"""

import argparse
import os
import pathlib
import statistics
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from shapes import BERT_BASE  # noqa: E402
from shapes import FIRST_WORD_ID  # noqa: E402
from shapes import SMALL_STUDENT  # noqa: E402
from shapes import SMALL_TEACHER  # noqa: E402
from shapes import VOCABULARY_SIZE  # noqa: E402

from tinybert_keras import Distiller  # noqa: E402
from tinybert_keras import student_backbone  # noqa: E402
from tinybert_keras.core.precision import with_dtype  # noqa: E402


class _SizedParser(argparse.ArgumentParser):
    """Fills each option registered in `sized` (dest -> (default, default with --small)) that
    was not given, once `--small` is known."""

    def parse_args(self, *args, **kwargs):
        parsed = super().parse_args(*args, **kwargs)
        for dest, (full, small) in self.sized.items():
            if getattr(parsed, dest) is None:
                setattr(parsed, dest, small if parsed.small else full)
        return parsed


def sized_option(parser, flag, defaults, help):
    """Adds an integer option to a `benchmark_parser` whose default depends on `--small`.

    Args:
        parser: what `benchmark_parser` returned.
        flag: e.g. `"--batch-size"`.
        defaults: `(default, default with --small)`.
        help: the help text; the defaults are appended.
    """
    action = parser.add_argument(
        flag, type=int, help=f"{help} Default {defaults[0]} ({defaults[1]} with --small).")
    parser.sized[action.dest] = defaults


def benchmark_parser(description, small, rounds, official=True):
    """The options the timing benchmarks share: `--small`, `--sequence-length` (default 128, 64
    with `--small`), `--rounds` and, if `official`, `--official`; `rounds` is `(default number of
    timed rounds, with --small)`. Options of `sized_option` are filled in by `parse_args`."""
    parser = _SizedParser(description=description.split("\n\n")[0])
    parser.sized = {}
    parser.add_argument("--small", action="store_true", help=small)
    sized_option(parser, "--sequence-length", (128, 64), "Tokens per sequence.")
    sized_option(parser, "--rounds", rounds, "Timed rounds.")
    if official:
        parser.add_argument("--official", type=pathlib.Path, help="Saved output of "
                            "official_speed.py: also print ratios to its times.")
    return parser


def parse_args():
    parser = benchmark_parser(
        __doc__, "MiniLM-sized teacher (6x384), 3x192 student, batch 16, seq 64.", (5, 3))
    sized_option(parser, "--batch-size", (32, 16), "Examples per step.")
    parser.add_argument("--jit-compile", action=argparse.BooleanOptionalAction, default=True,
                        help="XLA-compile the training steps (default: yes, as the recipe).")
    return parser.parse_args()


def random_batch(batch_size, sequence_length, vocabulary_size=VOCABULARY_SIZE,
                 first_id=FIRST_WORD_ID, seed=0):
    """A BERT input batch of random token ids in `[first_id, vocabulary_size)`, one segment, no
    padding, as int32 NumPy arrays."""
    rng = np.random.default_rng(seed)
    ids = rng.integers(first_id, vocabulary_size, (batch_size, sequence_length)).astype("int32")
    return {"token_ids": ids, "segment_ids": np.zeros_like(ids), "padding_mask": np.ones_like(ids)}


def random_teacher(small, vocabulary_size=VOCABULARY_SIZE):
    """Seeds Keras, then builds a random BERT-base backbone (MiniLM-sized if `small`); returns it
    and the student config to distill it into (`"tinybert_4"`, or the demo's 3x192)."""
    keras.utils.set_random_seed(0)
    teacher = keras_hub.models.BertBackbone(
        vocabulary_size=vocabulary_size, max_sequence_length=512,
        **(SMALL_TEACHER if small else BERT_BASE),
    )
    return teacher, SMALL_STUDENT if small else "tinybert_4"


def compiled_step(distiller, data, jit_compile=True):
    """Compiles a `Distiller` with AdamW; returns one training step on `data` as a function."""
    distiller.compile(optimizer=keras.optimizers.AdamW(1e-4), jit_compile=jit_compile)
    return lambda: distiller.train_on_batch(*data, return_dict=True)


def print_official_ratios(path, ours, batch_size, sequence_length):
    """Prints `<name>_vs_official=` for `ours = {name: (seconds, official_speed.py key)}`."""
    official = dict(token.split("=", 1) for token in path.read_text().split() if "=" in token)
    missing = sorted({key for _, key in ours.values()} - set(official))
    if missing:
        raise SystemExit(f"{path}: no {', '.join(missing)}; give the output of official_speed.py.")
    if (official.get("batch"), official.get("seq")) != (str(batch_size), str(sequence_length)):
        print(f"note: {path} timed batch {official.get('batch')}, sequence {official.get('seq')}; "
              f"this run batch {batch_size}, sequence {sequence_length}: ratios not comparable")
    for name, (seconds, key) in ours.items():
        print(f"{name}_vs_official={seconds / float(official[key]):.3f}")


def median_seconds(rounds, functions, setup=None):
    """Runs each function once per round, in turn, and returns each one's median time.

    Args:
        rounds: how many times each function runs.
        functions: `{name: function}`.
        setup: optional `{name: function}`: run untimed before each call of the function of that
            name, which gets its result as its argument (dropped once the call is timed).
    """
    setup = setup or {}
    times = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            arguments = (setup[name](),) if name in setup else ()
            start = time.perf_counter()
            function(*arguments)
            times[name].append(time.perf_counter() - start)
            del arguments  # so that a started iterator stops before the next function is timed
    return {name: statistics.median(values) for name, values in times.items()}


def main():
    args = parse_args()
    batch_size, sequence_length = args.batch_size, args.sequence_length
    teacher, student_config = random_teacher(args.small)
    student = student_backbone(student_config, teacher=teacher)
    baseline = student_backbone(student_config, teacher=teacher)
    print(f"teacher {teacher.num_layers}x{teacher.hidden_dim}: {teacher.count_params():,} params; "
          f"student {student.num_layers}x{student.hidden_dim}: {student.count_params():,} params; "
          f"batch {batch_size}, sequence {sequence_length}")

    x = tf.nest.map_structure(tf.constant, random_batch(batch_size, sequence_length))

    def forward(model, jit_compile):
        return tf.function(lambda: model(x, training=False)["sequence_output"], jit_compile=jit_compile)

    teacher_forward = forward(teacher, True)

    optimizer = keras.optimizers.AdamW(1e-4)
    optimizer.build(baseline.trainable_variables)

    @tf.function(jit_compile=True)
    def student_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(baseline(x, training=True)["sequence_output"]))
        gradients = tape.gradient(loss, baseline.trainable_variables)
        optimizer.apply_gradients(zip(gradients, baseline.trainable_variables))
        return loss

    def train_step(distiller, data):
        return compiled_step(distiller, data, args.jit_compile)

    distill_step = train_step(Distiller(teacher, student, stage="general"), (x,))
    bf16_student = student_backbone(student_config, teacher=teacher)
    bf16_step = train_step(
        Distiller(teacher, bf16_student, stage="general", teacher_dtype="bfloat16"), (x,)
    )
    teacher_classifier = keras_hub.models.BertTextClassifier(teacher, 2, preprocessor=None)
    labels = tf.constant(np.random.default_rng(0).integers(0, 2, batch_size), "int32")
    teacher_logits = teacher_classifier(x, training=False)
    prediction_steps = {}
    for name, inputs in (("", x), ("_cached", {**x, "teacher_logits": teacher_logits})):
        classifier = keras_hub.models.BertTextClassifier(
            student_backbone(student_config, teacher=teacher), 2, preprocessor=None
        )
        distiller = Distiller(teacher_classifier, classifier, stage="prediction")
        prediction_steps[f"prediction_step{name}"] = train_step(distiller, (inputs, labels))

    functions = {
        "teacher_forward": lambda: teacher_forward().numpy(),
        "student_step": lambda: student_step().numpy(),
        "distill_step": distill_step,
        "distill_step_bf16_teacher": bf16_step,
        **prediction_steps,
    }
    # Inference is deployed in whichever mode is faster for a model, so both modes are timed.
    for role, model in (("teacher", teacher), ("student", baseline)):
        for mode, jit_compile in (("xla", True), ("graph", False)):
            functions[f"{role}_inference_{mode}"] = lambda f=forward(model, jit_compile): f().numpy()
    bf16_teacher = forward(with_dtype(teacher, "bfloat16"), False)
    functions["teacher_inference_bf16_graph"] = lambda: bf16_teacher().numpy()
    start = time.perf_counter()
    for function in functions.values():
        function()
        function()
    print(f"compile and warm-up: {time.perf_counter() - start:.1f} s")

    medians = median_seconds(args.rounds, functions)
    for name, seconds in medians.items():
        print(f"{name}_s={seconds:.4f}")
    overhead = medians["distill_step"] / (medians["teacher_forward"] + medians["student_step"])
    speedup = min(medians["teacher_inference_xla"], medians["teacher_inference_graph"]) / min(
        medians["student_inference_xla"], medians["student_inference_graph"]
    )
    print(f"distill_overhead_ratio={overhead:.3f}")
    print(f"inference_speedup={speedup:.2f}")
    print(f"bf16_teacher_step_ratio="
          f"{medians['distill_step_bf16_teacher'] / medians['distill_step']:.3f}")
    print(f"cached_logits_step_ratio="
          f"{medians['prediction_step_cached'] / medians['prediction_step']:.3f}")
    if args.official:
        print_official_ratios(args.official, {
            "distill_step": (medians["distill_step"], "official_distill_step_s"),
            "distill_step_bf16_teacher": (medians["distill_step_bf16_teacher"],
                                          "official_distill_step_s"),
            # The issue's target holds phase 2 against the authors' distillation step: their
            # prediction phase runs the teacher in every step too, and they time no other.
            "prediction_step_cached": (medians["prediction_step_cached"],
                                       "official_distill_step_s"),
            "student_step": (medians["student_step"], "official_student_step_s"),
            "teacher_inference": (min(medians["teacher_inference_xla"],
                                      medians["teacher_inference_graph"]),
                                  "official_teacher_infer_s"),
            "student_inference": (min(medians["student_inference_xla"],
                                      medians["student_inference_graph"]),
                                  "official_student_infer_s"),
        }, batch_size, sequence_length)


if __name__ == "__main__":
    main()
