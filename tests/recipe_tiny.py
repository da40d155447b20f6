"""Tiny presets, data and corpora for the recipe, CLI and evaluation tests."""

import json

import numpy as np

WORDS = ["good", "great", "fun", "bad", "awful", "dull", "the", "movie", "film", "was", "a", "plot"]
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_data(size=96, seed=0):
    """A sentiment task a tiny BERT learns in a few dozen steps: one cue word decides the label."""
    from tinybert_keras.data import from_lists

    rng = np.random.default_rng(seed)
    texts, labels = [], []
    for _ in range(size):
        label = int(rng.integers(0, 2))
        cue = rng.choice(WORDS[:3] if label else WORDS[3:6])
        filler = rng.choice(WORDS[6:], size=3)
        texts.append(" ".join([*filler[:2], cue, filler[2]]))
        labels.append("pos" if label else "neg")
    cut = size * 3 // 4
    return from_lists(
        (texts[:cut], labels[:cut]), dev=(texts[cut:], labels[cut:]), name="tiny",
        label_names=("neg", "pos"), sequence_length=8,
    )


def tiny_csv_files(folder, size=96, seed=0):
    """`tiny_data` as a user's own files: `train.csv` and `dev.csv` (and `test.csv`, the dev
    rows again) with the columns `review` and `sentiment` (neg, pos); returns their paths."""
    import csv

    data = tiny_data(size, seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for split, file_split in (("train", "train"), ("dev", "dev"), ("test", "dev")):
        paths[split] = str(folder / f"{split}.csv")
        with open(paths[split], "w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(["review", "sentiment"])
            examples = data[file_split]
            writer.writerows(
                (text, data.task.label_names[label])
                for text, label in zip(examples.texts, examples.labels)
            )
    return paths


def tiny_teacher_preset(directory, num_layers=2, hidden_dim=8, seed=0):
    """Saves a random tiny BERT backbone and its WordPiece tokenizer as a keras-hub preset."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.BertBackbone(
        vocabulary_size=len(SPECIAL) + len(WORDS), num_layers=num_layers, num_heads=2,
        hidden_dim=hidden_dim, intermediate_dim=2 * hidden_dim, max_sequence_length=16,
        dropout=0.0,
    )
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=SPECIAL + WORDS)
    backbone.save_to_preset(str(directory))
    tokenizer.save_to_preset(str(directory))
    return str(directory)


def save_hf_tinybert(backbone, directory):
    """Writes a keras-hub BertBackbone in the layout of huawei-noah's TinyBERT checkpoints.

    `config.json`, `vocab.txt` and `model.safetensors` with `bert.`-prefixed keys, LayerNorm
    `weight`/`bias`, and the extra `fit_dense` projection the released general models carry.
    """
    from safetensors.numpy import save_file

    def dense(layer):
        kernel = np.asarray(layer.kernel)
        return kernel.reshape(kernel.shape[0], -1).T, np.asarray(layer.bias).reshape(-1)

    def output_dense(layer):
        kernel = np.asarray(layer.kernel)
        return kernel.reshape(-1, kernel.shape[-1]).T, np.asarray(layer.bias)

    tensors = {
        "bert.embeddings.word_embeddings.weight": backbone.get_layer("token_embedding").embeddings,
        "bert.embeddings.position_embeddings.weight":
            backbone.get_layer("position_embedding").position_embeddings,
        "bert.embeddings.token_type_embeddings.weight":
            backbone.get_layer("segment_embedding").embeddings,
        "bert.embeddings.LayerNorm.weight": backbone.get_layer("embeddings_layer_norm").gamma,
        "bert.embeddings.LayerNorm.bias": backbone.get_layer("embeddings_layer_norm").beta,
        "bert.pooler.dense.weight": np.asarray(backbone.get_layer("pooled_dense").kernel).T,
        "bert.pooler.dense.bias": backbone.get_layer("pooled_dense").bias,
        "fit_dense.weight": np.ones((4 * backbone.hidden_dim, backbone.hidden_dim), "float32"),
        "fit_dense.bias": np.zeros((4 * backbone.hidden_dim,), "float32"),
    }
    for i in range(backbone.num_layers):
        block = backbone.get_layer(f"transformer_layer_{i}")
        attention = block._self_attention_layer
        prefix = f"bert.encoder.layer.{i}."
        for name in ("query", "key", "value"):
            weight, bias = dense(getattr(attention, f"{name}_dense"))
            tensors[f"{prefix}attention.self.{name}.weight"] = weight
            tensors[f"{prefix}attention.self.{name}.bias"] = bias
        weight, bias = output_dense(attention.output_dense)
        tensors[f"{prefix}attention.output.dense.weight"] = weight
        tensors[f"{prefix}attention.output.dense.bias"] = bias
        norm = block._self_attention_layer_norm
        tensors[f"{prefix}attention.output.LayerNorm.weight"] = norm.gamma
        tensors[f"{prefix}attention.output.LayerNorm.bias"] = norm.beta
        tensors[f"{prefix}intermediate.dense.weight"] = np.asarray(
            block._feedforward_intermediate_dense.kernel).T
        tensors[f"{prefix}intermediate.dense.bias"] = block._feedforward_intermediate_dense.bias
        tensors[f"{prefix}output.dense.weight"] = np.asarray(
            block._feedforward_output_dense.kernel).T
        tensors[f"{prefix}output.dense.bias"] = block._feedforward_output_dense.bias
        norm = block._feedforward_layer_norm
        tensors[f"{prefix}output.LayerNorm.weight"] = norm.gamma
        tensors[f"{prefix}output.LayerNorm.bias"] = norm.beta
    tensors = {key: np.ascontiguousarray(np.asarray(value), "float32") for key, value in tensors.items()}
    directory.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(directory / "model.safetensors"))
    config = {
        "architectures": ["TinyBertForPreTraining"], "model_type": "bert",
        "vocab_size": backbone.vocabulary_size, "hidden_size": backbone.hidden_dim,
        "num_hidden_layers": backbone.num_layers, "num_attention_heads": backbone.num_heads,
        "intermediate_size": backbone.intermediate_dim,
        "max_position_embeddings": backbone.max_sequence_length, "type_vocab_size": 2,
        "hidden_act": "gelu", "pre_trained": "", "training": "",
    }
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (directory / "vocab.txt").write_text("\n".join(SPECIAL + WORDS) + "\n", encoding="utf-8")
    return str(directory)
