"""Times general distillation's input pipelines against the distillation step that consumes them.

On the offline news corpus (3,824 articles) with the bert-base-uncased vocabulary, in one
process, it times:
- streaming plain text (`text_corpus_dataset`: read, split, tokenize and pack on the fly),
- a prepared corpus (`prepared_corpus_dataset`: TFRecord parts written once by
  `write_prepared_corpus`, interleaved and parsed),
- one `Distiller` training step, XLA-compiled (BERT-base -> TinyBERT-4 at batch 32, sequence 128;
  smaller shapes with `--small`), which sets the rate at which training consumes examples.
Everything is warmed up first; then the three are timed in turn, round after round, so that the
machine's background load hits them alike, and the medians are compared. Preparing the corpus is
timed once, for information.

    python benchmarks/input_pipeline.py            # the whole news corpus, BERT-base step
    python benchmarks/input_pipeline.py --small    # 300 articles, the 6x384 -> 3x192 step

The last lines are `text_headroom=<text examples/s / step examples/s>` and
`prepared_headroom=<prepared examples/s / step examples/s>`, then whether the goal (each
pipeline at least 10 times faster than the step consumes) is met. In a multi-worker run every
worker reads the whole stream and keeps its share of each global batch, so the headroom is the
same per worker at the same step time.
"""

import itertools
import os
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import tensorflow as tf  # noqa: E402
from distill_step import benchmark_parser  # noqa: E402
from distill_step import compiled_step  # noqa: E402
from distill_step import median_seconds  # noqa: E402
from distill_step import random_batch  # noqa: E402
from distill_step import random_teacher  # noqa: E402
from distill_step import sized_option  # noqa: E402

from tinybert_keras import Distiller  # noqa: E402
from tinybert_keras import student_backbone  # noqa: E402
from tinybert_keras.data import corpus_sentences  # noqa: E402
from tinybert_keras.data import prepared_corpus_dataset  # noqa: E402
from tinybert_keras.data import text_corpus_dataset  # noqa: E402
from tinybert_keras.data import write_prepared_corpus  # noqa: E402
from tinybert_keras.recipe import presets  # noqa: E402

GOAL = 10.0


def parse_args():
    parser = benchmark_parser(
        __doc__, "300 articles; 6x384 teacher, 3x192 student, batch 16, seq 64.", (5, 3),
        official=False)
    sized_option(parser, "--batch-size", (32, 16), "Examples per step and per batch read.")
    parser.add_argument("--batches", type=int, default=50,
                        help="Batches each pipeline yields per round (default 50).")
    return parser.parse_args()


def news_slice(folder, articles):
    """Writes the first `articles` news articles as a text corpus; returns its path."""
    path = os.path.join(folder, "news.txt")
    with open(path, "w", encoding="utf-8") as file:
        for document, group in itertools.groupby(corpus_sentences(), key=lambda pair: pair[0]):
            if document >= articles:
                break
            file.write(" ".join(sentence for _, sentence in group) + "\n\n")
    return path


def make_step(batch_size, sequence_length, small):
    """One XLA-compiled general-distillation step on a fixed random batch, as a function."""
    teacher, student_config = random_teacher(small)
    student = student_backbone(student_config, teacher=teacher)
    x = tf.nest.map_structure(tf.constant, random_batch(batch_size, sequence_length))
    return compiled_step(Distiller(teacher, student, stage="general"), (x,))


def main():
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="input_pipeline_") as folder:
        measure(args, folder)


def measure(args, folder):
    """Prepares the corpus in `folder`, then times the pipelines and the step; prints rates."""
    batch_size, sequence_length = args.batch_size, args.sequence_length
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, "all_minilm_l6_v2")
    corpus = news_slice(folder, 300) if args.small else None

    start = time.perf_counter()
    prepared = write_prepared_corpus(os.path.join(folder, "prepared"), tokenizer, corpus,
                                     sequence_length, num_files=8)
    seconds = time.perf_counter() - start
    print(f"prepared {prepared['sequences']} sequences of {prepared['documents']} documents in "
          f"{seconds:.1f} s ({prepared['sequences'] / seconds:.0f} sequences/s, once)")

    datasets = {
        "text": text_corpus_dataset(corpus, tokenizer, sequence_length, batch_size),
        "prepared": prepared_corpus_dataset(os.path.join(folder, "prepared"), tokenizer,
                                            sequence_length, batch_size),
    }
    step = make_step(batch_size, sequence_length, args.small)

    def started(dataset):
        # A fresh iterator, started before the clock (threads, files, the first chunk) and
        # dropped after it: the steady rate, and nothing left running while the others are timed.
        iterator = iter(dataset)
        next(iterator)
        return iterator

    def read(iterator):
        for _ in range(args.batches):
            next(iterator)

    functions = {name: read for name in datasets}
    functions["step"] = step
    setup = {name: lambda dataset=dataset: started(dataset) for name, dataset in datasets.items()}
    start = time.perf_counter()
    median_seconds(2, functions, setup)
    print(f"compile and warm-up: {time.perf_counter() - start:.1f} s")

    medians = median_seconds(args.rounds, functions, setup)
    examples = {"text": args.batches * batch_size, "prepared": args.batches * batch_size,
                "step": batch_size}
    rates = {name: examples[name] / seconds for name, seconds in medians.items()}
    for name, rate in rates.items():
        print(f"{name}_examples_per_s={rate:.1f}")
    headroom = {name: rates[name] / rates["step"] for name in datasets}
    for name, ratio in headroom.items():
        print(f"{name}_headroom={ratio:.2f}")
    for name, ratio in headroom.items():
        print(f"goal {GOAL:.0f}x for {name}: {'met' if ratio >= GOAL else 'NOT met'}")


if __name__ == "__main__":
    main()
