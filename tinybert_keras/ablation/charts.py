"""Bar charts of an ablation study next to the paper: each variant's drop from the full recipe."""

from tinybert_keras.ablation import results as results_lib
from tinybert_keras.config.ablation import VARIANTS

GROUPS = ("procedure", "objective", "mapping", "floor")


def plot_ablation(rows, metric=None, title=None):
    """Each variant's drop from the full recipe, per task, with 95% intervals over seeds, and
    the paper's drop for the same variant.

    A drop is the full recipe's dev score minus the variant's, in points, seed by seed; the paper's
    is on its own tasks (the dev average over MNLI-m, MNLI-mm, MRPC and CoLA), so compare the
    order and the size, not the values. One panel per group of the paper's tables.

    Args:
        rows: the rows of `results.csv`.
        metric: the metric; `None` takes each task's main metric.
        title: an optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:
    ```python
    from tinybert_keras.ablation import read_csv

    figure = plot_ablation(read_csv("results.csv"), title="TinyBERT ablations, offline")
    figure.savefig("ablations.png")
    ```
    """
    import matplotlib.pyplot as plt

    table, _ = results_lib.scores(rows, metric)
    tasks = list(table)
    order = [name for name in results_lib.variant_order(table)
             if name != "full" and name in VARIANTS]
    groups = [group for group in GROUPS if any(VARIANTS[n].group == group for n in order)]
    if "full" not in results_lib.variant_order(table) or not groups:
        raise ValueError("The results need the full recipe and at least one other variant.")
    widths = [sum(VARIANTS[n].group == group for n in order) for group in groups]
    figure, axes = plt.subplots(1, len(groups), figsize=(2.2 * sum(widths) + 2, 3.8),
                                squeeze=False, gridspec_kw={"width_ratios": widths})
    bar = 0.8 / (len(tasks) + 1)
    for axis, group in zip(axes[0], groups):
        names = [name for name in order if VARIANTS[name].group == group]
        for index, task in enumerate(tasks):
            drops = [results_lib.difference(table[task]["full"], table[task][name])
                     if name in table[task] else (float("nan"),) * 3 for name in names]
            axis.bar([x + index * bar for x in range(len(names))],
                     [100 * drop[0] for drop in drops], bar, label=task,
                     yerr=[100 * drop[1] for drop in drops], capsize=3)
        paper = [VARIANTS["full"].paper - VARIANTS[name].paper
                 if VARIANTS[name].paper is not None else float("nan") for name in names]
        axis.plot([x + len(tasks) * bar for x in range(len(names))], paper, "kD",
                  label="paper (GLUE dev avg.)")
        axis.axhline(0, color="grey", linewidth=0.8)
        axis.set_xticks([x + len(tasks) * bar / 2 for x in range(len(names))])
        axis.set_xticklabels([VARIANTS[name].label for name in names], rotation=20,
                             ha="right", fontsize="small")
        axis.set_title(group)
        axis.set_ylabel("drop from the full recipe (points)")
    axes[0][0].legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
