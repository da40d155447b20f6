"""huawei-noah's released TinyBERT checkpoints, loaded as published.

The general TinyBERTs (`hf://huawei-noah/TinyBERT_General_4L_312D`, `..._6L_768D`, v1 and v2)
were written by the authors' own code: a `config.json` without `model_type` (keras-hub refuses
it: "Unrecognized format for config.json"), a `vocab.txt`, and the weights in
`pytorch_model.bin` named as in their `TinyBertForPreTraining`: `bert.*`, the pre-training heads
`cls.*`, and the projection to the teacher's width that general distillation trained:
`fit_dense` (v1, one shared by every layer) or `fit_denses.0` ... `fit_denses.L` (v2, one per
layer). A `model.safetensors` with the same names is read too.

`resolve` turns such a checkpoint, once, into a Hugging Face BERT folder that keras-hub loads
(`model_type: bert`, the backbone's tensors in `model.safetensors`, `tokenizer_config.json`), with
the checkpoint's projections beside it in `tinybert_projections.npz`. The folder lives in the
cache, named by a digest of the checkpoint's files. Converting builds no Keras model, so it draws
no random numbers: a first run and a rerun start from the same seeds.
"""

import dataclasses
import hashlib
import json
import pathlib
import shutil

import numpy as np

from tinybert_keras.core import compat
from tinybert_keras.data import DataError
from tinybert_keras.data import integrity
from tinybert_keras.data import registry
from tinybert_keras.recipe import weight_files

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
PROJECTIONS_FILE = "tinybert_projections.npz"
# Part of the cache key: a change in what the conversion writes converts checkpoints again.
CONVERSION_VERSION = 1
CONFIG_KEYS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
               "intermediate_size", "max_position_embeddings")


def is_released_config(config):
    """Whether a `config.json` is the authors' (a BERT's keys, no `model_type`).

    Args:
        config: the parsed `config.json`.

    Returns:
        `True` for the layout of the released TinyBERTs; `False` for keras-hub presets (they
        have `registered_name`) and Hugging Face Transformers checkpoints (`model_type`).

    Example:
    ```python
    is_released_config({"vocab_size": 30522, "hidden_size": 312, "num_hidden_layers": 4,
                        "num_attention_heads": 12, "intermediate_size": 1200,
                        "max_position_embeddings": 512})  # True
    ```
    """
    return (isinstance(config, dict) and "registered_name" not in config
            and "model_type" not in config and all(key in config for key in CONFIG_KEYS))


def _digest(files):
    digest = hashlib.sha256(f"conversion {CONVERSION_VERSION}\n".encode())
    for name, path in sorted(files.items()):
        digest.update(f"{name}:{integrity.sha256_of(path)}\n".encode())
    return digest.hexdigest()


def _backbone_shapes(config):
    """Every backbone tensor of the authors' `BertModel`, by name without `bert.`."""
    hidden, inner = config["hidden_size"], config["intermediate_size"]
    shapes = {
        "embeddings.word_embeddings.weight": (config["vocab_size"], hidden),
        "embeddings.position_embeddings.weight": (config["max_position_embeddings"], hidden),
        "embeddings.token_type_embeddings.weight": (config.get("type_vocab_size", 2), hidden),
        "embeddings.LayerNorm.weight": (hidden,), "embeddings.LayerNorm.bias": (hidden,),
        "pooler.dense.weight": (hidden, hidden), "pooler.dense.bias": (hidden,),
    }
    for i in range(config["num_hidden_layers"]):
        layer = f"encoder.layer.{i}."
        for dense, (rows, columns) in {
            "attention.self.query": (hidden, hidden), "attention.self.key": (hidden, hidden),
            "attention.self.value": (hidden, hidden), "attention.output.dense": (hidden, hidden),
            "intermediate.dense": (inner, hidden), "output.dense": (hidden, inner),
        }.items():
            shapes[f"{layer}{dense}.weight"] = (rows, columns)
            shapes[f"{layer}{dense}.bias"] = (rows,)
        for norm in ("attention.output.LayerNorm", "output.LayerNorm"):
            shapes[f"{layer}{norm}.weight"] = shapes[f"{layer}{norm}.bias"] = (hidden,)
    return shapes


def _check_config(config, path):
    problems = []
    if config.get("hidden_act", "gelu") != "gelu":
        problems.append(f"hidden_act is {config['hidden_act']!r} (keras-hub's BERT uses gelu)")
    if config.get("type_vocab_size", 2) != 2:
        problems.append(f"type_vocab_size is {config['type_vocab_size']} (keras-hub's BERT has 2)")
    if config.get("emb_size", config["hidden_size"]) != config["hidden_size"]:
        problems.append(f"emb_size {config['emb_size']} differs from hidden_size")
    if problems:
        raise DataError(f"cannot load as a keras-hub BERT: {'; '.join(problems)}.", source=path)


def _split_weights(weights, config, path):
    """The backbone's tensors (float32, names without `bert.`, LayerNorm `weight`/`bias`) and
    the projections (`fit_dense*`), each checked against the config."""
    renamed = {}
    for name, array in weights.items():
        name = name.removeprefix("bert.")
        if ".LayerNorm." in name:
            name = name.replace(".gamma", ".weight").replace(".beta", ".bias")
        renamed[name] = array
    shapes = _backbone_shapes(config)
    missing = [name for name in shapes if name not in renamed]
    wrong = [f"{name} {renamed[name].shape} (config: {shape})" for name, shape in shapes.items()
             if name in renamed and renamed[name].shape != shape]
    if missing or wrong:
        raise DataError(
            f"does not hold the BERT that config.json describes: missing {missing[:4]}"
            f"{' ...' if len(missing) > 4 else ''}, wrong shapes {wrong[:4]}.", source=path)
    backbone = {name: np.asarray(renamed[name], "float32") for name in shapes}
    projections = {name: np.asarray(array, "float32") for name, array in renamed.items()
                   if name.split(".")[0] in ("fit_dense", "fit_denses")}
    return backbone, projections


def _lowercase(preset, vocabulary):
    tokenizer_config = compat.preset_file(preset, "tokenizer_config.json")
    if tokenizer_config is not None:
        return bool(json.loads(pathlib.Path(tokenizer_config).read_text()).get("do_lower_case",
                                                                                 True))
    # The released English TinyBERTs are uncased; an uncased vocabulary has no capitals
    # outside its [SPECIAL] tokens.
    return not any(token[:1] != "[" and token.lower() != token for token in vocabulary)


def _convert(preset, config, files, target):
    from safetensors.numpy import save_file

    weights_name = next(name for name in WEIGHT_FILES if name in files)
    _check_config(config, files["config.json"])
    backbone, projections = _split_weights(
        weight_files.read_weights(files[weights_name]), config, files[weights_name])
    vocabulary = pathlib.Path(files["vocab.txt"]).read_text(encoding="utf-8").splitlines()
    hf_config = {
        "model_type": "bert", "architectures": ["BertModel"], "layer_norm_eps": 1e-12,
        **{key: config[key] for key in CONFIG_KEYS},
        **{key: config[key] for key in ("type_vocab_size", "hidden_act", "hidden_dropout_prob",
                                        "attention_probs_dropout_prob") if key in config},
        "tinybert_source": {"preset": str(preset), "weights": weights_name},
    }
    with integrity.replacing(target) as partial:
        partial.mkdir(parents=True)
        save_file(backbone, str(partial / "model.safetensors"))
        if projections:
            np.savez(partial / PROJECTIONS_FILE, **projections)
        shutil.copyfile(files["vocab.txt"], partial / "vocab.txt")
        (partial / "config.json").write_text(json.dumps(hf_config, indent=2) + "\n")
        (partial / "tokenizer_config.json").write_text(json.dumps(
            {"tokenizer_class": "BertTokenizer", "do_lower_case": _lowercase(preset, vocabulary)}))
        # The record sits beside the folder; it is checked whenever the folder is reused.
        integrity.write_manifest(target, integrity.record(partial))


def resolve(preset):
    """The form of any preset argument that keras-hub's `from_preset` loads.

    A released TinyBERT checkpoint (`is_released_config`; a local folder or an `hf://` handle,
    whose files come through keras-hub's own fetching) is converted once into the cache and its
    folder returned; the offline names of `tinybert_keras.data.registry` become their folders;
    anything else is returned as it is.

    Args:
        preset: a preset name, folder or handle.

    Returns:
        A string for `from_preset`.

    Raises:
        DataError: naming the file, if the checkpoint lacks a file, or its files are corrupt or
            do not match its `config.json`.

    Example:
    ```python
    backbone = keras_hub.models.BertBackbone.from_preset(
        resolve("hf://huawei-noah/TinyBERT_General_4L_312D"))
    ```
    """
    preset = registry.resolve_preset(preset)
    if not (preset.startswith("hf://") or pathlib.Path(preset).is_dir()):
        return preset
    config_path = compat.preset_file(preset, "config.json")
    if config_path is None:
        return preset
    try:
        config = json.loads(pathlib.Path(config_path).read_text(encoding="utf-8"))
    except ValueError as error:
        raise DataError(f"is not valid JSON: {error}", source=config_path) from None
    if not is_released_config(config):
        return preset
    files = {"config.json": config_path}
    for name in WEIGHT_FILES:
        path = compat.preset_file(preset, name)
        if path is not None:
            files[name] = path
            break
    else:
        raise DataError(f"has a TinyBERT config.json but neither of {WEIGHT_FILES}.",
                        source=preset)
    files["vocab.txt"] = compat.preset_file(preset, "vocab.txt")
    if files["vocab.txt"] is None:
        raise DataError("has a TinyBERT config.json but no vocab.txt.", source=preset)
    target = registry.cache_dir() / "checkpoints" / f"tinybert-{_digest(files)[:24]}"
    if not target.is_dir():
        print(f"Converting the TinyBERT checkpoint {preset} into {target} (once).")
        _convert(preset, config, files, target)
    expected = integrity.read_manifest(target)
    if expected is None:  # converted before records were kept
        integrity.write_manifest(target)
    elif problems := integrity.differences(target, expected):
        raise DataError(f"{'; '.join(problems)}, since {preset} was converted there. Delete "
                        f"{target} and it is converted again on the next run.")
    return str(target)


@dataclasses.dataclass(frozen=True)
class Projections:
    """A checkpoint's trained projections to the teacher's width, in Keras' layout.

    Args:
        name: `"fit_dense"` (one, shared by every layer) or `"fit_denses"` (one per layer, the
            embeddings' first).
        kernels: `(student width, teacher width)` arrays.
        biases: `(teacher width,)` arrays.

    Example:
    ```python
    projections = Projections("fit_dense", [np.ones((312, 768))], [np.zeros(768)])
    ```
    """

    name: str
    kernels: list
    biases: list


def read_projections(preset):
    """The trained projections a released TinyBERT checkpoint carries, if any.

    Args:
        preset: a student preset argument (see `resolve`).

    Returns:
        A `Projections`, or `None` for a preset without them.

    Example:
    ```python
    read_projections("hf://huawei-noah/TinyBERT_General_4L_312D").name  # 'fit_dense'
    ```
    """
    path = pathlib.Path(resolve(preset)) / PROJECTIONS_FILE
    if not path.is_file():
        return None
    with np.load(path) as arrays:
        if "fit_dense.weight" in arrays:
            return Projections("fit_dense", [arrays["fit_dense.weight"].T],
                               [arrays["fit_dense.bias"]])
        count = len([name for name in arrays.files if name.endswith(".weight")])
        return Projections("fit_denses", [arrays[f"fit_denses.{i}.weight"].T for i in range(count)],
                           [arrays[f"fit_denses.{i}.bias"] for i in range(count)])


def start_projections(distiller, projections):
    """Starts a `Distiller`'s projections from a checkpoint's trained ones, where they fit.

    `fit_dense` fits the one shared projection (`shared_projection=True`, the official code's
    setting), `fit_denses` the per-layer ones (embeddings and every student layer), each only if
    it maps the student's width to the teacher's.

    Args:
        distiller: a `Distiller` whose projections are still untrained.
        projections: `read_projections`' result, or `None`.

    Returns:
        The line it prints: which projections were taken, or why none were; `None` (nothing
        printed) when there was nothing to take (no projections, or a Distiller without the
        layerwise losses).

    Example:
    ```python
    start_projections(distiller, read_projections(student_preset))
    ```
    """
    if projections is None or not distiller.projections:
        return None
    wanted = [tuple(layer.kernel.shape) for layer in distiller.projections]
    given = [kernel.shape for kernel in projections.kernels]
    if given != wanted:
        hint = ""
        if len(given) == 1 < len(wanted):
            hint = " Set shared_projection to start from it (the official setting)."
        elif len(wanted) == 1 < len(given):
            hint = " Switch shared_projection off to start from them."
        elif given[0][1] != wanted[0][1]:
            hint = f" They map to width {given[0][1]}; the teacher is {wanted[0][1]} wide."
        note = (f"The student checkpoint's {projections.name} ({len(given)} x {given[0]}) does "
                f"not fit the Distiller's projections ({len(wanted)} x {wanted[0]}); they start "
                f"random.{hint}")
    else:
        for layer, kernel, bias in zip(distiller.projections, projections.kernels,
                                       projections.biases):
            layer.set_weights([kernel, bias])
        note = f"The projections start from the student checkpoint's trained {projections.name}."
    print(note)
    return note
