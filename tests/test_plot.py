import numpy as np
import pytest

import minikeras as mk
from minikeras import plot


def test_learning_curves_png(tmp_path):
    history = {"loss": [1.0, 0.5, 0.3], "accuracy": [0.5, 0.7, 0.8], "val_loss": [1.1, 0.6, 0.5],
               "val_accuracy": [0.4, 0.6, 0.7], "lr": [0.1, 0.1, 0.1]}
    figure = plot.learning_curves(history, tmp_path / "curves.png")
    assert len(figure.axes) == 2 and (tmp_path / "curves.png").stat().st_size > 5000


def test_confusion_matrix_png(tmp_path):
    y_true = np.array([0, 1, 2, 2, 1])
    y_pred = np.array([0, 2, 2, 2, 1])
    figure = plot.confusion_matrix(y_true, y_pred, ["a", "b", "c"], tmp_path / "cm.png")
    assert "accuracy 80.00%" in figure.axes[0].get_title()
    assert (tmp_path / "cm.png").stat().st_size > 5000


def test_other_figures_write_pngs(tmp_path):
    import minikeras as mk
    model = mk.Model(input_dim=12, seed=0)
    model.add_layer(4, "relu")
    model.add_layer(2, "softmax")
    figures = {
        "weights.png": lambda p: plot.first_layer_weights(model, (2, 2, 3), p, columns=2),
        "schedule.png": lambda p: plot.learning_rate(mk.schedules.CyclicLR(1e-5, 1e-1, 10), 60, p),
        "classes.png": lambda p: plot.class_distribution({"train": [0, 1, 1, 2], "test": [2, 2]}, None, p),
        "search.png": lambda p: plot.search_results(
            [{"status": "ok", "params": {"l2": v}, "metrics": {"acc": a}} for v, a in ((1e-4, .5), (1e-2, .6))],
            "l2", "acc", p),
        "range.png": lambda p: plot.lr_range({"lr": [1e-3, 1e-2, 1e-1], "loss": [2, 1, 3],
                                              "smoothed_loss": [2, 1.5, 2], "suggested": (1e-3, 1e-2)}, p),
    }
    for name, draw in figures.items():
        draw(tmp_path / name)
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 500, name
    assert plot.search_results([{"status": "ok", "params": {"l2": v}, "metrics": {"acc": 0.5}}
                                for v in (1e-4, 1e-1)], "l2", "acc").axes[0].get_xscale() == "log"


def test_plot_model_draws_every_layer_and_call(tmp_path):
    left, right = mk.Input(shape=(4,), name="left"), mk.Input(shape=(3,), name="right")
    h = mk.layers.Dense(5, activation="relu", name="hidden")(mk.layers.concatenate([left, right], name="join"))
    model = mk.Model([left, right], [mk.layers.Dense(2, name="a")(h), mk.layers.Add(name="skip")([h, h])])
    figure = mk.utils.plot_model(model, tmp_path / "graph.png", show_shapes=True, show_layer_names=True, rankdir="LR")
    texts = [text.get_text() for text in figure.axes[0].texts if text.get_text()]
    assert (tmp_path / "graph.png").stat().st_size > 0
    assert len(texts) == len(model.layers) and any("join (Concatenate)\noutput: (None, 7)" == t for t in texts)
    arrows = [text for text in figure.axes[0].texts if not text.get_text()]
    assert len(arrows) == 2 + 1 + 1 + 2  # join reads two, hidden one, a one, skip h twice
    stack = mk.Sequential([mk.Input(shape=(3,)), mk.layers.Dense(2), mk.layers.ReLU()])
    figure = mk.utils.plot_model(stack, tmp_path / "stack.png")
    assert [t.get_text() for t in figure.axes[0].texts if t.get_text()] == ["Dense", "ReLU"]
    with pytest.raises(ValueError, match="rankdir"):
        mk.utils.plot_model(stack, tmp_path / "x.png", rankdir="BT")
