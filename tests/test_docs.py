import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).parent.parent


def test_mkdocs_build_strict(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings")
    pytest.importorskip("mkdocs_jupyter")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for page in ("index.html", "losses/index.html", "architecture/index.html",
                 "datasets/index.html", "ablations/index.html", "api/recipe/index.html",
                 "api/augmentation/index.html",
                 "tutorials/01_quickstart/index.html"):
        assert (tmp_path / "site" / page).is_file(), page
    recipe_page = (tmp_path / "site" / "api" / "recipe" / "index.html").read_text()
    assert "task_distill" in recipe_page and "fit_resumable" in recipe_page
