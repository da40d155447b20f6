"""How far a bfloat16 (or float16) teacher's outputs move from its float32 outputs: no timing.

Runs the offline MiniLM teacher (all-MiniLM-L6-v2; or a fine-tuned classifier preset with
`--teacher`) on real Rotten Tomatoes sentences, once in float32 and once as
`tinybert_keras.core.precision.with_dtype(teacher, dtype)`, and prints, for what TinyBERT's
losses read (the embedding output, every hidden state, every layer's attention scores before
softmax, the logits), the relative error `||low - float32|| / ||float32||` over real tokens
(attention: pairs of real tokens), the worst layer of each kind, and how often the argmax of the
logits agrees.

    python benchmarks/teacher_precision.py                         # MiniLM, random head
    python benchmarks/teacher_precision.py --teacher tinybert_demo/teacher/preset
"""

import argparse
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras_hub  # noqa: E402
import numpy as np  # noqa: E402

from tinybert_keras import data as data_lib  # noqa: E402
from tinybert_keras.config import DataSettings  # noqa: E402
from tinybert_keras.core.layerwise import LayerwiseBert  # noqa: E402
from tinybert_keras.core.precision import with_dtype  # noqa: E402
from tinybert_keras.recipe import load_task  # noqa: E402
from tinybert_keras.recipe import presets  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teacher", default="all_minilm_l6_v2",
                        help="A classifier preset, or a backbone preset (then a random head).")
    parser.add_argument("--dtype", default="bfloat16", choices=("bfloat16", "float16"))
    parser.add_argument("--examples", type=int, default=256, help="Dev sentences to run.")
    parser.add_argument("--sequence-length", type=int, default=48)
    return parser.parse_args()


def relative_error(low, high, weights):
    low, high = np.asarray(low, "float32"), np.asarray(high, "float32")
    return float(np.sqrt(np.sum(weights * (low - high) ** 2) / np.sum(weights * high ** 2)))


def main():
    args = parse_args()
    is_classifier = presets.read_task(args.teacher) is not None
    teacher = presets.load_classifier(args.teacher, num_classes=None if is_classifier else 2)
    tokenizer = presets.load(keras_hub.tokenizers.Tokenizer, args.teacher)
    dev = load_task(DataSettings(task="rotten_tomatoes", dev_examples=args.examples))["dev"]
    batches = data_lib.make_dataset(dev, tokenizer, 32, sequence_length=args.sequence_length)
    views = {"float32": LayerwiseBert(teacher),
             args.dtype: LayerwiseBert(with_dtype(teacher, args.dtype))}
    errors, agree, total = {}, 0, 0
    for x, _ in batches:
        outputs = {name: view(x, training=False) for name, view in views.items()}
        high, low = outputs["float32"], outputs[args.dtype]
        mask = np.asarray(x["padding_mask"], "float32")
        pairs = (mask[:, :, None] * mask[:, None, :])[:, None]
        found = {"embeddings": [(low["embeddings"], high["embeddings"], mask[..., None])],
                 "hidden_states": [(a, b, mask[..., None]) for a, b in
                                   zip(low["hidden_states"][1:], high["hidden_states"][1:])],
                 "attention_scores": [(a, b, pairs) for a, b in
                                      zip(low["attention_scores"], high["attention_scores"])],
                 "logits": [(low["logits"], high["logits"], 1.0)]}
        for kind, layers in found.items():
            for index, (a, b, weights) in enumerate(layers):
                errors.setdefault((kind, index), []).append(relative_error(a, b, weights))
        agree += int(np.sum(np.argmax(low["logits"], -1) == np.argmax(high["logits"], -1)))
        total += int(mask.shape[0])
    print(f"teacher {args.teacher}, {args.dtype} vs float32, {total} Rotten Tomatoes dev "
          f"sentences, length {args.sequence_length}")
    for kind in ("embeddings", "hidden_states", "attention_scores", "logits"):
        per_layer = [float(np.mean(values)) for (name, _), values in errors.items()
                     if name == kind]
        layers = " ".join(f"{value:.4f}" for value in per_layer)
        print(f"{kind}_relative_error_max={max(per_layer):.4f}  (per layer: {layers})")
    print(f"logits_argmax_agreement={agree / total:.4f}")


if __name__ == "__main__":
    main()
