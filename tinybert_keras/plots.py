"""Loss curves of the recipe's stages, one panel per stage, one line per TinyBERT loss term."""

from tinybert_keras.core import distiller

# The columns of a stage's history: the Distiller's loss terms, then the total.
LOSS_TERMS = (*(f"{term}_loss" for term in distiller.LOSS_TERMS), "loss")


def plot_loss_curves(histories, title=None):
    """Plots each stage's training losses against the checkpoint interval.

    Args:
        histories: a dict from stage name to a history dict, as `recipe.read_history` returns
            (or `keras.callbacks.History.history`): column name to a list of values.
        title: an optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:
    ```python
    from tinybert_keras import recipe
    figure = plot_loss_curves({
        "intermediate": recipe.read_history("runs/task/intermediate"),
        "prediction": recipe.read_history("runs/task/prediction"),
    })
    figure.savefig("losses.png")
    ```
    """
    import matplotlib.pyplot as plt

    stages = {name: history for name, history in histories.items() if history}
    if not stages:
        raise ValueError("No history to plot: every stage's history is empty.")
    figure, axes = plt.subplots(1, len(stages), figsize=(4.5 * len(stages), 3.4), squeeze=False)
    for axis, (name, history) in zip(axes[0], stages.items()):
        terms = [term for term in LOSS_TERMS if term in history]
        for term in terms:
            values = history[term]
            style = {"color": "black", "linestyle": "--"} if term == "loss" else {}
            axis.plot(range(1, len(values) + 1), values, marker="o", markersize=3,
                      label="total" if term == "loss" else term.removesuffix("_loss"), **style)
        axis.set_title(name)
        axis.set_xlabel("checkpoint interval")
        axis.set_ylabel("training loss")
        if any(min(history[term]) > 0 for term in terms):
            axis.set_yscale("log")
        axis.legend(fontsize="small")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure
