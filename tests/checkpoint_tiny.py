"""Tiny checkpoints in the layout of huawei-noah's released general TinyBERTs, written here.

The authors' `general_distill.py` saves `TinyBertForPreTraining.state_dict()` with `torch.save`
and `BertConfig.to_json_file` (no `model_type`), plus the tokenizer's `vocab.txt`. The weights are
named `bert.*` (LayerNorm `weight`/`bias`), `cls.*` (pre-training heads, the decoder tied to the
word embeddings) and `fit_dense.*` (v1) or `fit_denses.N.*` (v2). torch is not installed here, so
`pytorch_model.bin` is written as `torch.save` writes it: a protocol-2 pickle of an OrderedDict of
`torch._utils._rebuild_tensor_v2` calls whose storages are persistent ids, in a zip archive with
the raw storages under `data/` (or, for the legacy format, after the pickles).
"""

import collections
import json
import pickle
import struct
import zipfile

import numpy as np

from recipe_tiny import SPECIAL
from recipe_tiny import WORDS

VOCABULARY = SPECIAL + WORDS
# 4L-312D and 6L-768D, scaled down: (layers, hidden, heads, intermediate).
SHAPES = {"4L-312D": (4, 12, 2, 24), "6L-768D": (6, 16, 2, 32)}
HUB = "huawei-noah/TinyBERT_General_{}"
STORAGES = {"float32": "FloatStorage", "float16": "HalfStorage"}


def _dimensions(shape):
    return SHAPES[shape] if isinstance(shape, str) else tuple(shape)


def authors_config(shape, vocabulary_size=len(VOCABULARY), max_position_embeddings=16):
    """The `config.json` the authors' `BertConfig.to_json_file` writes for a released model.

    `shape` is a key of `SHAPES` or a `(layers, hidden, heads, intermediate)` tuple.
    """
    layers, hidden, heads, intermediate = _dimensions(shape)
    return {
        "attention_probs_dropout_prob": 0.1, "cell": {}, "emb_size": hidden, "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1, "hidden_size": hidden, "initializer_range": 0.02,
        "intermediate_size": intermediate, "max_position_embeddings": max_position_embeddings,
        "num_attention_heads": heads, "num_hidden_layers": layers, "pre_trained": "",
        "structure": [], "training": "", "type_vocab_size": 2, "vocab_size": vocabulary_size,
    }


def authors_state_dict(shape, version, fit_size=16, seed=0, vocabulary_size=len(VOCABULARY),
                       max_position_embeddings=16):
    """Random weights named as `TinyBertForPreTraining` (v1) or v2's per-layer projections."""
    layers, hidden, _, intermediate = _dimensions(shape)
    rng = np.random.default_rng(seed)

    def normal(*size, mean=0.0):
        return (mean + 0.2 * rng.standard_normal(size)).astype("float32")

    def linear(name, rows, columns):
        return {f"{name}.weight": normal(rows, columns), f"{name}.bias": normal(rows)}

    def norm(name):
        return {f"{name}.weight": normal(hidden, mean=1.0), f"{name}.bias": normal(hidden)}

    words = normal(vocabulary_size, hidden)
    state = collections.OrderedDict({
        "bert.embeddings.word_embeddings.weight": words,
        "bert.embeddings.position_embeddings.weight": normal(max_position_embeddings, hidden),
        "bert.embeddings.token_type_embeddings.weight": normal(2, hidden),
        **norm("bert.embeddings.LayerNorm"),
    })
    for i in range(layers):
        prefix = f"bert.encoder.layer.{i}."
        for name in ("query", "key", "value"):
            state.update(linear(f"{prefix}attention.self.{name}", hidden, hidden))
        state.update(linear(f"{prefix}attention.output.dense", hidden, hidden))
        state.update(norm(f"{prefix}attention.output.LayerNorm"))
        state.update(linear(f"{prefix}intermediate.dense", intermediate, hidden))
        state.update(linear(f"{prefix}output.dense", hidden, intermediate))
        state.update(norm(f"{prefix}output.LayerNorm"))
    state.update(linear("bert.pooler.dense", hidden, hidden))
    if version == "v1":
        state["cls.predictions.bias"] = normal(vocabulary_size)
        state.update(linear("cls.predictions.transform.dense", hidden, hidden))
        state.update(norm("cls.predictions.transform.LayerNorm"))
        state["cls.predictions.decoder.weight"] = words  # tied: the same storage
        state.update(linear("cls.seq_relationship", 2, hidden))
        state.update(linear("fit_dense", fit_size, hidden))
    else:
        for i in range(layers + 1):
            state.update(linear(f"fit_denses.{i}", fit_size, hidden))
    return state


class _TorchPickle:
    """Writes the pickle `torch.save` writes for a state dict, opcode by opcode."""

    def __init__(self, legacy):
        self.legacy = legacy
        self.out = bytearray(pickle.PROTO + b"\x02")

    def op(self, *parts):
        for part in parts:
            self.out.extend(part)

    def global_(self, module, name):
        self.op(pickle.GLOBAL, f"{module}\n{name}\n".encode())

    def text(self, value):
        data = value.encode()
        self.op(pickle.BINUNICODE, struct.pack("<I", len(data)), data)

    def integer(self, value):
        self.op(pickle.BININT, struct.pack("<i", value))

    def integers(self, values):
        self.op(pickle.MARK)
        for value in values:
            self.integer(int(value))
        self.op(pickle.TUPLE)

    def ordered_dict(self):
        self.global_("collections", "OrderedDict")
        self.op(pickle.EMPTY_TUPLE, pickle.REDUCE)

    def tensor(self, key, array):
        self.global_("torch._utils", "_rebuild_tensor_v2")
        self.op(pickle.MARK, pickle.MARK)
        self.text("storage")
        self.global_("torch", STORAGES[array.dtype.name])
        self.text(key)
        self.text("cpu")
        self.integer(array.size)
        if self.legacy:
            self.op(pickle.NONE)  # no view metadata
        self.op(pickle.TUPLE, pickle.BINPERSID)
        self.integer(0)
        self.integers(array.shape)
        self.integers(np.array(array.strides) // array.itemsize)
        self.op(pickle.NEWFALSE)
        self.ordered_dict()  # backward hooks
        self.op(pickle.TUPLE, pickle.REDUCE)

    def state_dict(self, state, keys):
        self.ordered_dict()
        self.op(pickle.MARK)
        for name, array in state.items():
            self.text(name)
            self.tensor(keys[name], array)
        self.op(pickle.SETITEMS)
        # `state_dict()` sets `_metadata` (each module's version), pickled as the dict's state.
        self.op(pickle.EMPTY_DICT)
        self.text("_metadata")
        self.ordered_dict()
        self.text("")
        self.op(pickle.EMPTY_DICT)
        self.text("version")
        self.integer(1)
        self.op(pickle.SETITEM, pickle.SETITEM, pickle.SETITEM, pickle.BUILD, pickle.STOP)
        return bytes(self.out)


def _storages(state):
    """One storage per distinct array (tied weights share one), keyed "0", "1", ..."""
    keys, storages = {}, {}
    for name, array in state.items():
        key = next((k for k, stored in storages.items() if stored is array), str(len(storages)))
        storages[key] = array
        keys[name] = key
    return keys, storages


def write_torch(state, path, legacy=False):
    """Writes `state` as `torch.save` does: the zip format, or the legacy one."""
    keys, storages = _storages(state)
    data = _TorchPickle(legacy).state_dict(state, keys)
    if legacy:
        with open(path, "wb") as file:
            for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001,
                           "little_endian": True, "type_sizes": {"short": 2, "int": 4, "long": 8}}):
                pickle.dump(header, file, protocol=2)
            file.write(data)
            pickle.dump(sorted(storages), file, protocol=2)
            for key in sorted(storages):
                file.write(struct.pack("<q", storages[key].size))
                file.write(storages[key].astype(storages[key].dtype.newbyteorder("<")).tobytes())
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("pytorch_model/data.pkl", data)
        archive.writestr("pytorch_model/byteorder", "little")
        for key, array in storages.items():
            archive.writestr(f"pytorch_model/data/{key}", np.ascontiguousarray(array).tobytes())
        archive.writestr("pytorch_model/version", "3\n")


def write_checkpoint(directory, shape="4L-312D", version="v1", weights="pytorch_model.bin",
                     fit_size=16, seed=0, vocabulary=VOCABULARY, max_position_embeddings=16):
    """A general TinyBERT folder as published: config.json, vocab.txt and the weights.

    `shape` is a key of `SHAPES` or a `(layers, hidden, heads, intermediate)` tuple; `weights` is
    `"pytorch_model.bin"` (zip format), `"legacy"` (a pre-1.6 `pytorch_model.bin`) or
    `"model.safetensors"`. Returns the folder and the state dict written.
    """
    from safetensors.numpy import save_file

    state = authors_state_dict(shape, version, fit_size, seed, len(vocabulary),
                               max_position_embeddings)
    directory.mkdir(parents=True, exist_ok=True)
    if weights == "model.safetensors":
        # safetensors refuses shared memory: the tied decoder becomes a copy, as when the
        # authors' weights are converted with transformers.
        save_file({name: array.copy() for name, array in state.items()},
                  str(directory / weights))
    else:
        write_torch(state, directory / "pytorch_model.bin", legacy=weights == "legacy")
    config = authors_config(shape, len(vocabulary), max_position_embeddings)
    (directory / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n",
                                           encoding="utf-8")
    (directory / "vocab.txt").write_text("\n".join(vocabulary) + "\n", encoding="utf-8")
    return directory, state


def serve_hub(monkeypatch, repositories):
    """Serves `hf://` handles from local folders through keras-hub's own file fetching."""
    import huggingface_hub
    from huggingface_hub.utils import EntryNotFoundError

    def download(repo_id, filename, **_):
        path = repositories[repo_id] / filename
        if not path.is_file():
            raise EntryNotFoundError(f"{filename} is not in {repo_id}")
        return str(path)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", download)


def _gelu(x):
    # keras-hub's BERT, like Google's, uses the tanh approximation (the authors' code: erf).
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def _layer_norm(x, weight, bias):
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + 1e-12) * weight + bias


def reference_outputs(state, config, token_ids, segment_ids, padding_mask):
    """The authors' `BertModel` forward pass in numpy, straight from the torch-named weights."""
    def w(name):
        return state["bert." + name].astype("float64")

    def linear(name, x):
        return x @ w(name + ".weight").T + w(name + ".bias")

    batch, length = token_ids.shape
    heads = config["num_attention_heads"]
    x = (w("embeddings.word_embeddings.weight")[token_ids]
         + w("embeddings.position_embeddings.weight")[np.arange(length)]
         + w("embeddings.token_type_embeddings.weight")[segment_ids])
    x = _layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
    mask = (1.0 - padding_mask[:, None, None, :]) * -10000.0
    for i in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{i}."

        def split(name):
            return linear(layer + name, x).reshape(batch, length, heads, -1).transpose(0, 2, 1, 3)

        query, key, value = (split(f"attention.self.{name}") for name in ("query", "key", "value"))
        scores = query @ key.transpose(0, 1, 3, 2) / np.sqrt(query.shape[-1]) + mask
        probabilities = np.exp(scores - scores.max(-1, keepdims=True))
        probabilities /= probabilities.sum(-1, keepdims=True)
        context = (probabilities @ value).transpose(0, 2, 1, 3).reshape(batch, length, -1)
        x = _layer_norm(linear(layer + "attention.output.dense", context) + x,
                        w(layer + "attention.output.LayerNorm.weight"),
                        w(layer + "attention.output.LayerNorm.bias"))
        inner = _gelu(linear(layer + "intermediate.dense", x))
        x = _layer_norm(linear(layer + "output.dense", inner) + x,
                        w(layer + "output.LayerNorm.weight"), w(layer + "output.LayerNorm.bias"))
    pooled = np.tanh(linear("pooler.dense", x[:, 0]))
    return x, pooled
