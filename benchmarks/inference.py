"""Times teacher and student inference in Keras and in every exported form, side by side.

BERT-base and TinyBERT-4 classifiers (random weights, 2 classes; `--small`: a MiniLM-sized
teacher and the demo's 3x192 student) at batch 1 and batch 32, sequence 128 (64 with `--small`):
Keras with and without XLA, and the files of `tinybert-keras export` (ONNX Runtime and LiteRT,
float32 and dynamic-range int8), each run in its own runtime with every CPU core. All are timed in
turn, round after round, and the medians compared. With `--demo-student` (default: the demo's
student, if `tinybert-keras demo` has run here), that student is exported too and every form's
Rotten Tomatoes dev accuracy printed.

    python benchmarks/inference.py             # BERT-base and TinyBERT-4, about 10 minutes
    python benchmarks/inference.py --small     # a couple of minutes

Lines: `<model>_<form>_b<batch>_s=<median seconds>`, then `<model>_<form>_b32_vs_keras_graph=`
ratios, `inference_speedup_<form>_b32=<teacher / student>`, and `demo_dev_accuracy_<form>=`.
With `--official FILE` (the saved output of `official_speed.py`, run right before or after this
one): `<model>_<form>_b32_vs_official=<ours / the authors' inference time>`.
"""

import os
import pathlib
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from distill_step import benchmark_parser  # noqa: E402
from distill_step import median_seconds  # noqa: E402
from distill_step import print_official_ratios  # noqa: E402
from distill_step import random_batch  # noqa: E402
from distill_step import random_teacher  # noqa: E402

from tinybert_keras import data as data_lib  # noqa: E402
from tinybert_keras import student_backbone  # noqa: E402
from tinybert_keras.deploy import load_exported  # noqa: E402
from tinybert_keras.recipe import export_classifier  # noqa: E402
from tinybert_keras.recipe import presets  # noqa: E402

DEMO_STUDENT = "tinybert_demo/task/preset"
# Batch 1 is timed over this many calls per round, so that one round is measurable.
BATCH_1_CALLS = 10


def parse_args():
    parser = benchmark_parser(
        __doc__, "MiniLM-sized teacher, the demo's 3x192 student, sequence 64.", (7, 3))
    parser.add_argument("--demo-student", default=DEMO_STUDENT,
                        help="A distilled Rotten Tomatoes classifier preset whose exports are "
                        "scored on dev (skipped if absent).")
    return parser.parse_args()


def exported_forms(classifier, tokenizer, task, directory):
    """Saves a classifier as a preset, exports it, and returns `{form: runtime forward}`."""
    presets.save_classifier(classifier, tokenizer, task, directory / "preset")
    summary = export_classifier(directory / "preset", directory / "export")
    threads = os.cpu_count()
    return {form: load_exported(path, threads=threads) for form, path in summary["files"].items()}


def keras_forms(classifier):
    return {f"keras_{mode}": tf.function(lambda x: classifier(x, training=False),
                                          jit_compile=jit_compile, reduce_retracing=True)
            for mode, jit_compile in (("xla", True), ("graph", False))}


def demo_accuracies(preset, directory):
    """The Rotten Tomatoes dev accuracy of a classifier preset in Keras and each export."""
    summary = export_classifier(preset, directory)
    dev = data_lib.load_dataset("rotten_tomatoes")["dev"]
    preprocessor = keras_hub.models.TextClassifierPreprocessor.from_preset(
        summary["preprocessor"])
    x = {name: np.asarray(value) for name, value in preprocessor(list(dev.texts)).items()}
    labels = np.asarray(dev.labels)
    student = keras_hub.models.TextClassifier.from_preset(preset, preprocessor=None)
    forms = {"keras": lambda batch: np.asarray(student(batch, training=False))}
    forms.update({form: load_exported(path, threads=os.cpu_count())
                  for form, path in summary["files"].items()})
    accuracies = {}
    for form, forward in forms.items():
        logits = np.concatenate([
            forward({name: value[start:start + 32] for name, value in x.items()})
            for start in range(0, len(labels), 32)
        ])
        accuracies[form] = float(np.mean(logits.argmax(-1) == labels))
    return accuracies


def main():
    args = parse_args()
    sequence_length = args.sequence_length
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, "all_minilm_l6_v2")
    task = data_lib.load_dataset("rotten_tomatoes").task
    teacher, student_config = random_teacher(args.small, tokenizer.vocabulary_size())
    student = student_backbone(student_config, teacher=teacher)
    models = {role: keras_hub.models.BertTextClassifier(backbone, 2, preprocessor=None)
              for role, backbone in (("teacher", teacher), ("student", student))}
    batches = {size: random_batch(size, sequence_length) for size in (1, 32)}
    functions = {}
    with tempfile.TemporaryDirectory() as scratch:
        start = time.perf_counter()
        for role, classifier in models.items():
            classifier(batches[1])
            forms = keras_forms(classifier)
            forms.update(exported_forms(classifier, tokenizer, task, pathlib.Path(scratch) / role))
            for form, forward in forms.items():
                for size, x in batches.items():
                    calls = BATCH_1_CALLS if size == 1 else 1
                    functions[f"{role}_{form}_b{size}"] = (
                        lambda f=forward, x=x, calls=calls: [np.asarray(f(x)) for _ in range(calls)]
                    )
        for function in functions.values():
            function()
        print(f"teacher {teacher.num_layers}x{teacher.hidden_dim}, student "
              f"{student.num_layers}x{student.hidden_dim}, sequence {sequence_length}; export, "
              f"compile and warm-up: {time.perf_counter() - start:.0f} s")
        medians = median_seconds(args.rounds, functions)
    for name, seconds in medians.items():
        print(f"{name}_s={seconds / (BATCH_1_CALLS if name.endswith('_b1') else 1):.5f}")
    forms = sorted({name.split("_", 1)[1].rsplit("_", 1)[0] for name in medians})
    for role in models:
        for form in forms:
            ratio = medians[f"{role}_{form}_b32"] / medians[f"{role}_keras_graph_b32"]
            print(f"{role}_{form}_b32_vs_keras_graph={ratio:.3f}")
    for form in forms:
        print(f"inference_speedup_{form}_b32="
              f"{medians[f'teacher_{form}_b32'] / medians[f'student_{form}_b32']:.2f}")
    if args.official:
        print_official_ratios(args.official, {
            f"{role}_{form}_b32": (medians[f"{role}_{form}_b32"], f"official_{role}_infer_s")
            for role in models for form in forms
        }, 32, sequence_length)
    if pathlib.Path(args.demo_student).is_dir():
        with tempfile.TemporaryDirectory() as scratch:
            scores = demo_accuracies(args.demo_student, pathlib.Path(scratch) / "demo")
        for form, accuracy in scores.items():
            print(f"demo_dev_accuracy_{form}={accuracy:.4f}")
    else:
        print(f"No demo student at {args.demo_student}: run `tinybert-keras demo` for the "
              "exported students' dev accuracy.")


if __name__ == "__main__":
    main()
