import numpy as np

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
