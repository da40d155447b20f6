"""An ablation study next to the paper: a Markdown table, and each claim with its verdict."""

import pathlib

from tinybert_keras.ablation import results as results_lib
from tinybert_keras.config.ablation import VARIANTS

# Each paper claim as comparisons "a beats b": the difference a - b must be above 0.
CLAIMS = (
    ("Each of GD, TD and DA helps.",
     (("full", "no_gd"), ("full", "no_td"), ("full", "no_da"))),
    ("TD and DA matter more than GD (removing either costs more than removing GD).",
     (("no_gd", "no_td"), ("no_gd", "no_da"))),
    ("Transformer-layer distillation is the key: w/o Trm is by far the worst.",
     (("no_embd", "no_trm"), ("no_attn", "no_trm"), ("no_hidn", "no_trm"),
      ("no_pred", "no_trm"))),
    ("Attention matters more than hidden states, which matter more than embeddings.",
     (("no_hidn", "no_attn"), ("no_embd", "no_hidn"))),
    ("The prediction-layer loss helps.", (("full", "no_pred"),)),
    ("Uniform mapping beats top and bottom.", (("full", "top"), ("full", "bottom"))),
    ("The full recipe beats the labels-only student by a wide margin.",
     (("full", "labels_only"),)),
)


def _points(mean, half):
    return f"{100 * mean:.1f} ± {100 * half:.1f}" if half == half else f"{100 * mean:.1f}"


def _label(name, chosen_rates):
    variant, _, rate = name.partition("@")
    label = VARIANTS[variant].label if variant in VARIANTS else variant
    if rate:
        return f"{label} at lr {rate}"
    rates = sorted({rates[name] for rates in chosen_rates.values() if name in rates})
    if rates:
        label += f" (lr {', '.join(f'{rate:g}' for rate in rates)})"
    return label


def markdown_table(rows, metric=None):
    """The study as a Markdown table: each variant's score per task and on average, in points
    with its 95% interval over seeds, next to the paper's number and drop from the full recipe.

    Args:
        rows: the rows of `results.csv`.
        metric: the metric; `None` takes each task's main metric.

    Returns:
        A string.

    Example:
    ```python
    from tinybert_keras.ablation import read_csv

    print(markdown_table(read_csv("results.csv")))
    ```
    """
    table, chosen = results_lib.scores(rows, metric)
    table = results_lib.averaged(table)
    tasks = [task for task in table if task != "average"]
    header = ["variant", *tasks, "average", "drop from full", "paper", "paper's drop"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    full = table["average"].get("full")
    for name in results_lib.variant_order(table):
        cells = [_label(name, chosen)]
        for task in [*tasks, "average"]:
            values = table[task].get(name)
            cells.append(_points(*results_lib.interval(list(values.values()))) if values else "-")
        average = table["average"].get(name)
        cells.append(_points(*results_lib.difference(full, average)[:2])
                     if full and average and name != "full" else "-")
        paper = VARIANTS[name].paper if name in VARIANTS else None
        cells.append("-" if paper is None else f"{paper:.1f}")
        cells.append("-" if paper is None or name == "full"
                     else f"{VARIANTS['full'].paper - paper:.1f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def claims(rows, metric=None):
    """Each of the paper's ablation claims, checked on the study's task average.

    Args:
        rows: the rows of `results.csv`.
        metric: the metric; `None` takes each task's main metric.

    Returns:
        A list of dicts: `claim`, `comparison` ("a vs b"), `difference` and `half_width` (in
        points, a - b over seeds), `paper` (the paper's difference), `verdict` ("holds",
        "reversed" or "not resolved"); comparisons whose variants did not run are left out.

    Example:
    ```python
    from tinybert_keras.ablation import read_csv

    for claim in claims(read_csv("results.csv")):
        print(claim["claim"], claim["comparison"], claim["verdict"])
    ```
    """
    table, _ = results_lib.scores(rows, metric)
    average = results_lib.averaged(table)["average"]
    found = []
    for claim, comparisons in CLAIMS:
        for better, worse in comparisons:
            if better not in average or worse not in average:
                continue
            mean, half, _ = results_lib.difference(average[better], average[worse])
            papers = (VARIANTS[better].paper, VARIANTS[worse].paper)
            found.append({
                "claim": claim, "comparison": f"{VARIANTS[better].label} vs {VARIANTS[worse].label}",
                "difference": 100 * mean, "half_width": 100 * half,
                "paper": None if None in papers else round(papers[0] - papers[1], 1),
                "verdict": results_lib.verdict(mean, half),
            })
    return found


def claims_table(found):
    """The claims `claims` found, as a Markdown table.

    Args:
        found: the list `claims` returns.

    Returns:
        A string: claim, comparison, our difference with its interval, the paper's, verdict.

    Example:
    ```python
    from tinybert_keras.ablation import read_csv

    print(claims_table(claims(read_csv("results.csv"))))
    ```
    """
    lines = ["| claim | comparison | ours (points, 95% CI) | paper | verdict |",
             "|---|---|---|---|---|"]
    for claim in found:
        paper = "-" if claim["paper"] is None else f"{claim['paper']:+.1f}"
        ours, half = f"{claim['difference']:+.1f}", claim["half_width"]
        ours += f" ± {half:.1f}" if half == half else " (one seed: no interval)"
        lines.append(f"| {claim['claim']} | {claim['comparison']} | {ours} | {paper} | "
                     f"{claim['verdict']} |")
    return "\n".join(lines)


def write_report(rows, output_dir, title=None):
    """Writes a study's `report.md` (both tables) and `ablations.png` (the chart).

    Args:
        rows: the rows of `results.csv`.
        output_dir: the study's folder.
        title: a title for both.

    Returns:
        The Markdown text.

    Example:
    ```python
    from tinybert_keras.ablation import read_csv

    print(write_report(read_csv("tinybert_ablation/results.csv"), "tinybert_ablation"))
    ```
    """
    import matplotlib.pyplot as plt

    from tinybert_keras.ablation.charts import plot_ablation

    output_dir = pathlib.Path(output_dir)
    text = (f"# {title or 'Ablation study'}\n\n## Scores (dev, points, 95% CI over seeds)\n\n"
            f"{markdown_table(rows)}\n\n## The paper's claims\n\n{claims_table(claims(rows))}\n")
    (output_dir / "report.md").write_text(text, encoding="utf-8")
    figure = plot_ablation(rows, title=title)
    figure.savefig(output_dir / "ablations.png", dpi=110)
    plt.close(figure)
    return text
