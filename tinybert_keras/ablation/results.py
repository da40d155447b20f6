"""An ablation study's results: the tidy CSV, means with 95% intervals over seeds, differences.

Intervals are Student-t intervals over seeds (the seed changes the student's initialisation,
dropout and data order; teacher, augmented set and general students are shared). A difference
between two variants is taken seed by seed (both ran with the same seed) and its interval is the
t interval of those paired differences, so a difference smaller than the noise between seeds is
"not resolved".
"""

import csv
import json
import math
import pathlib
import statistics

from tinybert_keras.config.ablation import VARIANTS
from tinybert_keras.data import integrity

COLUMNS = ("task", "variant", "seed", "metric", "value", "seconds", "settings_hash")
"""The columns of `results.csv`: one row per run and metric."""

# Two-sided 95% quantiles of Student's t for 1..30 degrees of freedom; 1.96 beyond.
_T_975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
          2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
          2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def collect(runs_dir):
    """The rows of every finished run under a study's `runs/` folder.

    Args:
        runs_dir: the folder holding `<task>/<variant>/seed<k>/result.json` files.

    Returns:
        A list of dicts with the `COLUMNS`, sorted by task, variant, seed and metric order.

    Example:
    ```python
    rows = collect("tinybert_ablation/runs")
    ```
    """
    rows = []
    for path in sorted(pathlib.Path(runs_dir).glob("*/*/seed*/result.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        for metric, value in record["metrics"].items():
            rows.append({"task": record["task"], "variant": record["variant"],
                         "seed": int(record["seed"]), "metric": metric, "value": float(value),
                         "seconds": float(record["seconds"]),
                         "settings_hash": record["settings_hash"]})
    return sorted(rows, key=lambda row: (row["task"], row["variant"], row["seed"]))


def write_csv(path, rows):
    """Writes rows to a CSV with the `COLUMNS`, whole or not at all.

    Args:
        path: the file.
        rows: dicts with the `COLUMNS`.

    Example:
    ```python
    write_csv("tinybert_ablation/results.csv", collect("tinybert_ablation/runs"))
    ```
    """
    with integrity.replacing(path) as partial:
        with open(partial, "w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=COLUMNS)
            writer.writeheader()
            writer.writerows(rows)


def read_csv(path):
    """Reads a study's `results.csv`.

    Args:
        path: the file.

    Returns:
        A list of dicts with the `COLUMNS` (numbers as numbers).

    Example:
    ```python
    rows = read_csv("tinybert_ablation/results.csv")
    ```
    """
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: expected the columns {COLUMNS}; got {reader.fieldnames}.")
        return [{**row, "seed": int(row["seed"]), "value": float(row["value"]),
                 "seconds": float(row["seconds"])} for row in reader]


def interval(values):
    """The mean and the half-width of its 95% Student-t interval.

    Args:
        values: a list of numbers (one per seed).

    Returns:
        `(mean, half_width)`; the half-width is `nan` for fewer than two values.

    Example:
    ```python
    interval([0.80, 0.82, 0.81])  # (0.81, 0.0248...)
    ```
    """
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan
    t = _T_975[len(values) - 2] if len(values) <= len(_T_975) + 1 else 1.96
    return mean, t * statistics.stdev(values) / math.sqrt(len(values))


def scores(rows, metric=None):
    """The main metric of each run, by task and variant, each a dict from seed to value.

    A variant's learning-rate sweep (`labels_only@0.001`, ...) is reduced to its best rate per
    task (the best mean over seeds), under the variant's name; the chosen rates are in
    `chosen_rates[task][variant]`. A sweep of several rates keeps each rate's row too.

    Args:
        rows: the rows of `results.csv`.
        metric: the metric to use; `None` takes each run's first (the task's main metric).

    Returns:
        `(table, chosen_rates)`: `table[task][variant][seed]` and
        `chosen_rates[task][variant]`.

    Example:
    ```python
    table, rates = scores(read_csv("results.csv"))
    ```
    """
    table, seen = {}, set()
    for row in rows:
        run = (row["task"], row["variant"], row["seed"])
        if (metric is None and run in seen) or (metric is not None and row["metric"] != metric):
            continue
        seen.add(run)
        table.setdefault(row["task"], {}).setdefault(row["variant"], {})[row["seed"]] = (
            row["value"])
    chosen = {}
    for task, variants in table.items():
        sweeps = {}
        for name, values in variants.items():
            if "@" in name:
                sweeps.setdefault(name.split("@")[0], {})[name] = values
        for variant, sweep in sweeps.items():
            best = max(sweep, key=lambda name: statistics.fmean(sweep[name].values()))
            variants[variant] = sweep[best]
            if len(sweep) == 1:  # the reduced row says it all
                del variants[best]
            chosen.setdefault(task, {})[variant] = float(best.split("@")[1])
    return table, chosen


def averaged(table):
    """Adds a task `"average"`: per variant and seed, the mean over the tasks that have it.

    Args:
        table: `scores`' table.

    Returns:
        The table with an `"average"` task (variants and seeds present in every task).

    Example:
    ```python
    table = averaged(scores(read_csv("results.csv"))[0])
    ```
    """
    tasks = [task for task in table if task != "average"]
    average = {}
    for variant in set.intersection(*(set(table[task]) for task in tasks)):
        seeds = set.intersection(*(set(table[task][variant]) for task in tasks))
        average[variant] = {seed: statistics.fmean(table[task][variant][seed] for task in tasks)
                            for seed in sorted(seeds)}
    return {**table, "average": average}


def difference(values_a, values_b):
    """The paired difference `a - b` over the seeds both have: mean and 95% half-width.

    Args:
        values_a: a dict from seed to value.
        values_b: the same for the other variant.

    Returns:
        `(mean, half_width, seeds)`.

    Example:
    ```python
    difference({0: 0.8, 1: 0.82}, {0: 0.7, 1: 0.75})  # (0.085, ..., 2)
    ```
    """
    seeds = sorted(set(values_a) & set(values_b))
    if not seeds:
        raise ValueError("The two variants share no seed: nothing to compare.")
    mean, half = interval([values_a[seed] - values_b[seed] for seed in seeds])
    return mean, half, len(seeds)


def verdict(mean, half):
    """`"holds"` when the interval lies above 0, `"reversed"` below, else `"not resolved"`.

    Args:
        mean: a difference's mean.
        half: its interval's half-width.

    Returns:
        A string.

    Example:
    ```python
    verdict(0.02, 0.01)  # 'holds'
    ```
    """
    if math.isnan(half):
        return "not resolved"
    if mean - half > 0:
        return "holds"
    if mean + half < 0:
        return "reversed"
    return "not resolved"


def variant_order(table):
    """The variants present in a table, in the paper's order, then any others.

    Args:
        table: `scores`' table.

    Returns:
        A list of variant names.

    Example:
    ```python
    variant_order(averaged(scores(read_csv("results.csv"))[0]))  # ['full', 'no_gd', ...]
    ```
    """
    present = {variant for variants in table.values() for variant in variants}
    return [name for name in VARIANTS if name in present] + sorted(
        name for name in present if name not in VARIANTS)
