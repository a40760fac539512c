import numpy as np
import pytest

from minikeras import metrics


def test_accuracy_with_ids_and_one_hot():
    output = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    accuracy = metrics.get("accuracy")
    assert accuracy(output, np.array([0, 1, 1])) == pytest.approx(2 / 3)
    assert accuracy(output, np.eye(2)[[0, 1, 1]]) == pytest.approx(2 / 3)


def test_error_metrics():
    output = np.array([[1.0, 0.0], [0.0, 0.5]])
    assert metrics.get("mae")(output, np.array([0, 1])) == pytest.approx((0 + 0 + 0 + 0.5) / 4)
    assert metrics.get("mse")(output, np.array([[0.0, 0.0], [0.0, 0.0]])) == pytest.approx(1.25 / 4)


def test_unknown_metric():
    with pytest.raises(ValueError, match="Unknown metric 'f1'"):
        metrics.get("f1")
