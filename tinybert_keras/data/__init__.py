"""Tasks, corpora, preprocessing and metrics that feed the Distiller."""

from tinybert_keras.data.catalog import load_dataset
from tinybert_keras.data.corpus import corpus_sentences, split_sentences, text_corpus_dataset
from tinybert_keras.data.custom import from_dataframe, from_lists
from tinybert_keras.data.files import load_files
from tinybert_keras.data.glue import GLUE_TASKS, glue_task, load_glue, load_glue_file
from tinybert_keras.data.metrics import (
    BinaryF1,
    MatthewsCorrelation,
    Correlation,
    TaskAccuracy,
    evaluate,
    metrics_for,
)
from tinybert_keras.data.offline import (
    OFFLINE_DATASETS,
    load_offline,
)
from tinybert_keras.data.prepared import (
    corpus_dataset,
    is_prepared_corpus,
    prepared_corpus_dataset,
    write_prepared_corpus,
)
from tinybert_keras.data.preprocessing import (
    check_same_vocabulary,
    make_dataset,
    make_distillation_dataset,
    make_preprocessor,
)
from tinybert_keras.data.registry import cache_dir, fetch_package_file
from tinybert_keras.data.tasks import (
    DataError,
    Examples,
    Task,
    TaskData,
    check_model_matches_task,
    check_outputs_match_task,
)
