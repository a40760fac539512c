"""Metrics: Keras' interface and accumulation; values against independent float64 references."""
import numpy as np
import pytest

from minikeras import metrics


def test_accuracy_with_ids_and_one_hot():
    output = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
    accuracy = metrics.get("accuracy").resolve(n_outputs=2)
    assert accuracy(np.array([0, 1, 1]), output) == pytest.approx(2 / 3)
    accuracy.reset_state()
    assert accuracy(np.eye(2)[[0, 1, 1]], output) == pytest.approx(2 / 3)


def test_error_metrics():
    output = np.array([[1.0, 0.0], [0.0, 0.5]])
    assert metrics.get("mae")(np.array([0, 1]), output) == pytest.approx((0 + 0 + 0 + 0.5) / 4)
    assert metrics.get("mse")(np.array([[0.0, 0.0], [0.0, 0.0]]), output) == pytest.approx(1.25 / 4)


def test_a_string_names_the_metric_as_given():
    assert metrics.get("mae").name == "mae" and metrics.get("mean_absolute_error").name == "mean_absolute_error"
    assert metrics.get("acc").name == "acc"


def test_unknown_metric():
    with pytest.raises(ValueError, match="Unknown metric 'f1'"):
        metrics.get("f1")
