"""One entry point that loads any named dataset: a GLUE task or an offline dataset."""

import inspect

from tinybert_keras.config import ConfigError
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

    Raises:
        ConfigError: for an option the dataset's loader does not take, or an integer option
            that is not one.

    Example:
    ```python
    data = load_dataset("trec", seed=1)
    ```
    """
    if name in OFFLINE_DATASETS:
        loader = load_offline
    elif name.lower().replace("-", "").replace("glue/", "") in GLUE_TASKS:
        loader = load_glue
    else:
        raise ValueError(
            f"Unknown dataset {name!r}; choose a GLUE task {GLUE_TASKS} or an offline dataset "
            f"{OFFLINE_DATASETS}. For your own CSV, TSV or JSONL files use load_files, or the "
            "settings train and dev (--train FILE --dev FILE) with text_columns and label_column."
        )
    return loader(name, **_options(name, loader, kwargs))


def _options(name, loader, options):
    """The dataset options a loader takes, ints read from the strings of the command line."""
    parameters = dict(list(inspect.signature(loader).parameters.items())[1:])
    unknown = sorted(set(options) - set(parameters))
    if unknown:
        raise ConfigError(
            f"dataset_options: dataset {name!r} takes no option {unknown}; its options are "
            f"{sorted(parameters)}."
        )
    checked = dict(options)
    for key, value in options.items():
        if isinstance(parameters[key].default, int) and isinstance(value, str):
            try:
                checked[key] = int(value)
            except ValueError:
                raise ConfigError(
                    f"dataset_options: {key} of dataset {name!r} must be an integer; got "
                    f"{value!r}."
                ) from None
    return checked
