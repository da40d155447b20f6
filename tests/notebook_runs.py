"""Executes the tutorials top to bottom for the notebook tests, two at a time, in one mode.

`test_notebooks` runs every tutorial in small mode (the real MiniLM teacher on real offline
data, as a learner's CPU runs it) and `test_notebooks_full_mode` in full mode (the Colab path,
with `hub_standins` for its downloads). Both use `start`: the selected tests' notebooks run in
the order given, two at a time (much of a run is single-threaded tracing and compiling, and CI
has two cores), in one fresh tinybert-keras cache, so that the teacher the series shares is
fine-tuned once, as a learner's cache would hold it. XLA keeps what it compiles in a cache of
the run's too, so a train step several notebooks share is compiled once. The saved notebooks
are not changed: each run executes an in-memory copy and writes it into its own folder.
"""

import concurrent.futures
import os
import pathlib
import threading
import time

import nbclient
import nbformat

TUTORIALS = pathlib.Path(__file__).parent.parent / "tutorials"
NOTEBOOKS = {path.name[:2]: path for path in sorted(TUTORIALS.glob("*.ipynb"))}
# The longest cell (notebook 05's live grid in small mode) runs for several minutes.
CELL_TIMEOUT = 1800


def execute(path, folder, first_cell=None, skip=None):
    """Runs the notebook at `path` in `folder`, where its executed copy is written too.

    Args:
        path: the saved notebook.
        folder: a new folder, the kernel's working directory.
        first_cell: code run before the notebook's own cells, or None.
        skip: a predicate on a code cell's source; the cells it accepts are left out.

    Returns:
        The text the run printed, and the sources of the cells left out.
    """
    notebook = nbformat.read(path, as_version=4)
    left_out = [cell.source for cell in notebook.cells
                if skip and cell.cell_type == "code" and skip(cell.source)]
    notebook.cells = [cell for cell in notebook.cells if cell.source not in left_out]
    if first_cell:
        notebook.cells.insert(0, nbformat.v4.new_code_cell(first_cell))
    folder.mkdir(parents=True)
    client = nbclient.NotebookClient(notebook, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(folder)}})
    try:
        client.execute()
    finally:
        nbformat.write(notebook, folder / path.name)
    printed = "\n".join(
        output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", []))
    return printed, left_out


def selected(request, order):
    """The notebook numbers, in `order`, of the tests of `request`'s module that will run
    (their names start `test_NN_`)."""
    return [number for number in order if any(
        item.module is request.module and item.name[5:7] == number
        for item in request.session.items)]


def start(numbers, root, cache, environment, shared_teacher=(), first_cell=None, skips=None):
    """Starts the runs of notebooks `numbers`, two at a time, each in `root / f"run_{number}"`.

    Args:
        numbers: notebook numbers ("01" ...), longest first.
        root: the folder of the runs.
        cache: the tinybert-keras cache they share (in the environment already).
        environment: a `pytest.MonkeyPatch` that the caller undoes once the runs are read;
            the kernels inherit this process's environment.
        shared_teacher: the notebooks that fine-tune the same teacher into the cache
            (`share_teacher=True`). The first of them to run makes it; the others start once
            it is there, since a second process claiming the same teacher folder is refused.
        first_cell: code each run executes first, or None.
        skips: `{number: predicate}` for `execute`'s `skip`.

    Returns:
        The thread pool (to be used as a context manager, which waits for the runs) and
        `{number: wait}`, where `wait()` returns `(printed, left_out, folder)`.
    """
    flags = f"{os.environ.get('TF_XLA_FLAGS', '')} --tf_xla_persistent_cache_directory="
    environment.setenv("TF_XLA_FLAGS", f"{flags}{root / 'xla'}".strip())
    first_sharing = next((number for number in numbers if number in shared_teacher), None)
    first_done = threading.Event()

    def run(number):
        if number in shared_teacher and number != first_sharing:
            while not (first_done.is_set() or list(cache.glob("teachers/*/summary.json"))):
                time.sleep(1)
        try:
            folder = root / f"run_{number}"
            skip = (skips or {}).get(number)
            return (*execute(NOTEBOOKS[number], folder, first_cell, skip), folder)
        finally:
            if number == first_sharing:
                first_done.set()

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    futures = {number: pool.submit(run, number) for number in numbers}
    return pool, {number: future.result for number, future in futures.items()}
