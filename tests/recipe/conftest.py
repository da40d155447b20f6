import pytest

from recipe_tiny import tiny_runs


@pytest.fixture(scope="package")
def runs(tmp_path_factory):
    """A fine-tuned tiny teacher, general and task-distilled tiny students, shared by the tests."""
    return tiny_runs(tmp_path_factory.mktemp("runs"))
