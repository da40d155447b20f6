import json
import pathlib
import re

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
tomllib = pytest.importorskip("tomllib")  # Python 3.11+

from tinybert_keras.recipe import presets  # noqa: E402
from tinybert_keras.recipe import read_history  # noqa: E402

ROOT = pathlib.Path(__file__).parent.parent
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))


def test_quickstart_runs_top_to_bottom_in_small_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYBERT_TUTORIAL_MODE", "small")
    notebook = nbformat.read(TUTORIALS / "01_quickstart.ipynb", as_version=4)
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3",
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()
    outputs = "\n".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "mode: small" in outputs
    for row in ("teacher", "TinyBERT student", "labels-only student"):
        assert f"| {row} |" in outputs
    run_dir = tmp_path / "tinybert_quickstart_small"
    summary = json.loads((run_dir / "task" / "summary.json").read_text())
    metric = presets.read_task(tmp_path / summary["preset"])["metrics"][0]
    dev = read_history(run_dir / "task" / "prediction")[f"val_{metric}"]
    assert len(dev) >= 2
    assert summary["best_interval"] == dev.index(max(dev)) + 1
    assert summary["student_dev"][metric] == pytest.approx(max(dev))
    # What a learner must see: a student that learned, and learned more than without a teacher.
    labels_only = json.loads((run_dir / "labels_only" / "summary.json").read_text())
    majority = float(re.search(r"the floor every model must beat\): ([0-9.]+)", outputs)[1])
    assert summary["student_dev"][metric] > max(majority + 0.1, labels_only["dev"][metric])
    assert any("image/png" in output.get("data", {}) for output in notebook.cells[-2].outputs)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_saved_notebook_is_small_and_has_outputs(path):
    assert path.stat().st_size < 1_000_000
    notebook = nbformat.read(path, as_version=4)
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") for cell in code_cells[1:])
    printed = "\n".join(output.get("text", "") for cell in code_cells for output in cell.outputs)
    assert "mode: small" in printed and "Traceback" not in printed


def test_the_series_is_in_the_docs_in_order():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    positions = [nav.find(f"tutorials/{path.name}") for path in NOTEBOOKS]
    assert -1 not in positions and positions == sorted(positions)


def _source_url():
    with open(ROOT / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["urls"]["Source"]


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_the_colab_badge_and_install_cell_use_the_source_repository(path):
    url = _source_url()
    repository = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+)", url).group(1)
    notebook = nbformat.read(path, as_version=4)
    badges = re.findall(r"\[!\[[^\]]*\]\([^)]*colab-badge[^)]*\)\]\((\S+?)\)",
                        notebook.cells[0].source)
    assert badges == [f"https://colab.research.google.com/github/{repository}/blob/main/"
                      f"tutorials/{path.name}"]
    installs = [cell.source for cell in notebook.cells
                if cell.cell_type == "code" and re.search(r"pip.*install", cell.source, re.S)]
    assert len(installs) == 1
    assert re.findall(r"git\+[^\s\"']+", installs[0]) == [f"git+{url}"]
