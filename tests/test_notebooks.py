"""The tutorials: each runs top to bottom in small mode and shows what its prose promises; each
saved copy is small, carries a real small-mode run's outputs, a Colab badge and one install cell.

Small mode is what a learner's CPU runs: the real MiniLM teacher on real offline data. The runs
(`notebook_runs.start`) go two at a time in one fresh cache, so the teacher notebooks 03 to 07
share is fine-tuned once, as in a learner's cache.
"""

import json
import pathlib
import re

import pytest

nbformat = pytest.importorskip("nbformat")
pytest.importorskip("nbclient")
tomllib = pytest.importorskip("tomllib")  # Python 3.11+

from conftest import use_fresh_cache  # noqa: E402
import notebook_runs  # noqa: E402
from tinybert_keras.config import RecipeConfig  # noqa: E402
from tinybert_keras.data import registry  # noqa: E402
from tinybert_keras.recipe import evaluation  # noqa: E402
from tinybert_keras.recipe import inputs  # noqa: E402
from tinybert_keras.recipe import presets  # noqa: E402
from tinybert_keras.recipe import read_history  # noqa: E402

ROOT = pathlib.Path(__file__).parent.parent
TUTORIALS = ROOT / "tutorials"
NOTEBOOKS = sorted(TUTORIALS.glob("*.ipynb"))
# Longest first, on two workers; 05 fine-tunes the shared teacher while 01 makes its own.
ORDER = ("05", "01", "04", "03", "07", "06", "02")
# In small mode notebook 05's grid fine-tunes the shared teacher too.
SHARED_TEACHER = ("03", "04", "05", "06", "07")


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The small-mode runs of the selected tests' notebooks: `{number: wait}`, `wait()` giving
    `(printed, left_out, folder)`."""
    root = tmp_path_factory.mktemp("small_mode")
    with pytest.MonkeyPatch.context() as environment:
        # Notebook 04's offline masked LM trains for 18 minutes, once per cache and settings;
        # like the downloaded wheels, it is kept in (and reused from) the shared cache.
        shared_lms = registry.cache_dir() / "masked_lms"
        shared_lms.mkdir(parents=True, exist_ok=True)
        cache = use_fresh_cache(root / "cache", environment)
        (cache / "masked_lms").symlink_to(shared_lms)
        environment.setenv("TINYBERT_TUTORIAL_MODE", "small")
        pool, waits = notebook_runs.start(notebook_runs.selected(request, ORDER), root, cache,
                                          environment, shared_teacher=SHARED_TEACHER)
        with pool:
            yield waits


def _run(runs, number):
    printed, _, folder = runs[number]()
    assert "mode: small" in printed and "Traceback" not in printed
    return printed, folder


def _number(pattern, printed):
    return float(re.search(pattern, printed)[1])


def _floor():
    """The best constant prediction on the small mode's dev set (demo_quick's data)."""
    data = inputs.load_task(RecipeConfig.named("demo_quick").data_settings())
    return evaluation.chance_score(data.task, data["dev"].labels)


def _summary(folder):
    return json.loads((folder / "summary.json").read_text())


def test_01_quickstart(runs):
    printed, folder = _run(runs, "01")
    for row in ("teacher", "TinyBERT student", "labels-only student"):
        assert f"| {row} |" in printed
    run_dir = folder / "tinybert_quickstart_small"
    summary = _summary(run_dir / "task")
    metric = presets.read_task(folder / summary["preset"])["metrics"][0]
    dev = read_history(run_dir / "task" / "prediction")[f"val_{metric}"]
    assert len(dev) >= 2
    assert summary["best_interval"] == dev.index(max(dev)) + 1
    assert summary["student_dev"][metric] == pytest.approx(max(dev))
    # What a learner must see: a student that learned, and learned more than without a teacher.
    labels_only = _summary(run_dir / "labels_only")
    majority = _number(r"the floor every model must beat\): ([0-9.]+)", printed)
    assert summary["student_dev"][metric] > max(majority + 0.1, labels_only["dev"][metric])


def test_02_general_distillation(runs):
    printed, folder = _run(runs, "02")
    for term in ("embedding", "attention", "hidden"):
        by_hand = _number(rf"{term} loss: by hand +([0-9.]+)", printed)
        assert by_hand == pytest.approx(_number(rf"{term} loss: by hand +[0-9.]+ \| Distiller +"
                                                rf"([0-9.]+)", printed), rel=1e-3)
        first, last = re.search(rf"{term}_loss: first interval ([0-9.]+) -> last ([0-9.]+)",
                                printed).groups()
        assert float(last) < float(first)
    before, after = re.search(r"attention loss on this sentence: before ([0-9.]+), after "
                              r"([0-9.]+)", printed).groups()
    assert float(after) < float(before)
    assert _summary(folder / "tinybert_general_small" / "general")["steps"] >= 1


def test_03_task_distillation(runs):
    printed, folder = _run(runs, "03")
    assert "refused: The teacher scores" in printed
    teacher = _number(r"fine-tuned teacher passes, dev: \{'accuracy': ([0-9.]+)\}", printed)
    floor = _number(r"best constant prediction on dev: ([0-9.]+)", printed)
    distilled = _number(r"\| distilled student \| ([0-9.]+)", printed)
    labels_only = _number(r"\| labels-only student \| ([0-9.]+)", printed)
    assert teacher >= floor + 0.1 and distilled > max(floor, labels_only)
    assert (folder / "tinybert_task_small" / "task" / "preset" / "task.json").is_file()


def test_04_data_augmentation(runs):
    printed, folder = _run(runs, "04")
    sentences, rows = re.search(r"(\d+) sentences -> (\d+) rows", printed).groups()
    assert int(rows) > int(sentences)
    assert _number(r"speed-up of fast mode: ([0-9.]+)x", printed) > 1
    floor = _floor()
    for name in ("without augmentation", "with augmentation"):
        assert _number(rf"{name}: student dev \{{'accuracy': ([0-9.]+)\}}", printed) > floor
        assert (folder / "tinybert_augment_small" / name.replace(" ", "_") / "preset").is_dir()


def test_05_ablations(runs):
    printed, folder = _run(runs, "05")
    scores = dict(re.findall(r"rotten_tomatoes (\w+)(?:@[0-9.e-]+)? seed 0: accuracy ([0-9.]+)",
                             printed))
    assert set(scores) == {"full", "no_trm", "labels_only"}
    assert float(scores["full"]) > max(float(scores["labels_only"]), _floor())
    assert (folder / "tinybert_ablation_small" / "results.csv").is_file()


def test_06_your_own_task_with_model_fit(runs):
    printed, folder = _run(runs, "06")
    best = _number(r"best dev accuracy ([0-9.]+)", printed)
    assert best > _floor()
    run_dir = folder / "my_distillation"
    assert list((run_dir / "logs").rglob("events.out.*"))
    assert (run_dir / "student_preset" / "label_names.json").is_file()
    assert "tinybert_keras imported: False" in printed


def test_07_distillation_from_first_principles(runs):
    printed, _ = _run(runs, "07")
    floor = _number(r"best constant prediction: ([0-9.]+)", printed)
    for name in ("logits-only", "TinyBERT"):
        assert _number(rf"{name} student dev accuracy: ([0-9.]+)", printed) > floor
    assert printed.count("correct: yours") == 2


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
