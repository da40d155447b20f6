import numpy as np
import pytest

from tinybert_keras.core.layer_maps import layer_map


@pytest.mark.parametrize(
    "strategy, m, n, expected",
    [
        ("uniform", 4, 12, (0, 3, 6, 9, 12)),
        ("uniform", 3, 6, (0, 2, 4, 6)),
        ("uniform", 6, 6, (0, 1, 2, 3, 4, 5, 6)),
        ("top", 4, 12, (0, 9, 10, 11, 12)),
        ("bottom", 4, 12, (0, 1, 2, 3, 4)),
        ([2, 5, 12], 3, 12, (0, 2, 5, 12)),
        ([np.int64(6), 6], 2, 6, (0, 6, 6)),
        ([2, 2, 3], 3, 3, (0, 2, 2, 3)),
    ],
)
def test_maps(strategy, m, n, expected):
    assert layer_map(strategy, m, n) == expected


def test_uniform_matches_official_indices():
    # Official code: student attention i (0-based) <- teacher i*k + k - 1, hidden i <- i*k.
    m, n = 4, 12
    k = n // m
    g = layer_map("uniform", m, n)
    assert [g[i + 1] - 1 for i in range(m)] == [i * k + k - 1 for i in range(m)]
    assert list(g) == [i * k for i in range(m + 1)]


@pytest.mark.parametrize(
    "strategy, m, n, message",
    [
        ("uniform", 5, 12, "multiple of the student depth"),
        ("middle", 4, 12, "Unknown layer map"),
        ("top", 8, 6, "more layers"),
        ([1, 2], 3, 6, "lists 2 teacher layers but the student has 3"),
        ([0, 3, 6], 3, 6, r"in 1\.\.6"),
        ([2, 4, 7], 3, 6, r"got \[7\]"),
        ([2.0, 4, 6], 3, 6, r"got \[2\.0\]"),
        ([3, 1], 2, 6, r"goes down at student layer 2 \(teacher layer 1 after 3\).*\[1, 3\]"),
    ],
)
def test_errors(strategy, m, n, message):
    with pytest.raises(ValueError, match=message):
        layer_map(strategy, m, n)
