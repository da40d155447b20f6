import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402

from tinybert_keras.plots import plot_loss_curves  # noqa: E402


def test_one_panel_per_stage_one_line_per_term():
    figure = plot_loss_curves({
        "intermediate": {"attention_loss": [2.0, 1.0], "hidden_loss": [3.0, 2.0],
                         "loss": [5.0, 3.0], "val_accuracy": [0.5, 0.6]},
        "prediction": {"prediction_loss": [0.7, 0.5, 0.4], "loss": [0.7, 0.5, 0.4]},
        "skipped": {},
    }, title="demo")
    first, second = figure.axes
    assert first.get_title() == "intermediate"
    assert [line.get_label() for line in first.get_lines()] == ["attention", "hidden", "total"]
    assert list(second.get_lines()[0].get_ydata()) == [0.7, 0.5, 0.4]


def test_nothing_to_plot_is_an_error():
    with pytest.raises(ValueError, match="No history"):
        plot_loss_curves({"general": {}})
