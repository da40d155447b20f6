"""One entry point that loads any named dataset: a GLUE task or an offline dataset."""

from tinybert_keras.data.glue import GLUE_TASKS, load_glue
from tinybert_keras.data.offline import OFFLINE_DATASETS, load_offline


def load_dataset(name, **kwargs):
    """Loads a dataset by name.

    Args:
        name: a GLUE task ("sst2", "glue/mnli", ...; see `GLUE_TASKS`) or an offline dataset
            ("rotten_tomatoes", "vader_movies", "trec", "sms_spam").
        **kwargs: passed on to `load_glue` (`source=`, `data_dir=`) or `load_offline` (`seed=`).

    Returns:
        A `TaskData`.

    Example:
    ```python
    data = load_dataset("trec", seed=1)
    ```
    """
    if name in OFFLINE_DATASETS:
        return load_offline(name, **kwargs)
    if name.lower().replace("-", "").replace("glue/", "") in GLUE_TASKS:
        return load_glue(name, **kwargs)
    raise ValueError(
        f"Unknown dataset {name!r}; choose a GLUE task {GLUE_TASKS} or an offline dataset "
        f"{OFFLINE_DATASETS}. For your own CSV, TSV or JSONL files use load_files, or the "
        "settings train and dev (--train FILE --dev FILE) with text_columns and label_column."
    )
