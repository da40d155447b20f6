import json
import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

TUTORIALS = pathlib.Path(__file__).parent.parent / "tutorials"


def test_quickstart_runs_top_to_bottom_in_small_mode(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYBERT_QUICKSTART_MODE", "small")
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
    assert "| teacher |" in outputs and "| student |" in outputs
    task_dir = tmp_path / "tinybert_quickstart_small" / "task"
    summary = json.loads((task_dir / "summary.json").read_text())
    assert summary["best_interval"] >= 1
    assert any("image/png" in output.get("data", {}) for output in notebook.cells[-2].outputs)


def test_saved_notebook_is_small_and_has_outputs():
    path = TUTORIALS / "01_quickstart.ipynb"
    assert path.stat().st_size < 1_000_000
    notebook = nbformat.read(path, as_version=4)
    assert "colab.research.google.com" in notebook.cells[0].source
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("outputs") for cell in code_cells[1:])
