"""The data-augmentation stage: a task's training split augmented once, for task distillation."""

import pathlib

from tinybert_keras.augmentation.files import build_augmenter
from tinybert_keras.augmentation.files import canonical_rows
from tinybert_keras.augmentation.writer import augment_to_file
from tinybert_keras.config import AugmentSettings
from tinybert_keras.recipe import inputs
from tinybert_keras.recipe.runs import finish_run
from tinybert_keras.recipe.runs import open_run

AUGMENTED_FILE = "train_augmented.tsv"


def augment_task(data, output_dir, settings=None, *, verbose=True, **overrides):
    """Augments a task's training split with TinyBERT's Algorithm 1 (the paper's DA).

    Each training example is written with its augmented copies to
    `<output_dir>/train_augmented.tsv`, in the task's own columns with class names as labels,
    which is what `task_distill(..., augmented_train=...)` reads for both phases. Resumable: an
    interrupted call continues where it stopped; a finished one returns at once.

    Args:
        data: a `TaskData`, a dataset name or a `DataSettings`.
        output_dir: the stage folder.
        settings: an `AugmentSettings` (N_a, K, p_t, the MLM, the word vectors, ...).
        verbose: show a progress bar.
        **overrides: any setting of `settings` by name.

    Returns:
        The summary dict: `path` of the augmented file, `rows`, `examples`.

    Example:
    ```python
    from tinybert_keras.recipe import task_distill

    summary = augment_task("sst2", "runs/augmented", masked_lm="none",
                           word_vectors="glove.6B.300d.txt")
    task_distill("runs/teacher/preset", "runs/general/preset", "sst2", "runs/task_augmented",
                 augmented_train=summary["path"])
    ```
    """
    settings = (settings or AugmentSettings()).replace(**overrides)
    data = inputs.load_task(data)
    with open_run(output_dir, {
        "stage": "augment", "data": inputs.describe_data(data), **settings.to_dict(),
    }) as finished:
        if finished is not None:
            return finished
        columns, texts, labels = canonical_rows(data.task, data["train"])
        path = pathlib.Path(output_dir) / AUGMENTED_FILE
        rows = augment_to_file(
            build_augmenter(settings, data.task.name), texts, labels, path, columns=columns,
            chunk_size=settings.chunk_size, verbose=verbose,
        )
        return finish_run(output_dir, {
            "stage": "augment", "path": str(path), "rows": rows, "examples": len(texts),
        }, results=[AUGMENTED_FILE])
