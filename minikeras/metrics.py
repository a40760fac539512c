"""Metrics computed from the model output and the prepared targets of a batch."""
from __future__ import annotations

import numpy as np

from .losses import class_ids, dense_targets
from .registry import Registry


class Metric:
    """Base class: ``metric(output, targets) -> float`` (the batch mean)."""

    name = ""
    accepts_logits = False  # True when the metric of softmax(z) equals the metric of z

    def __call__(self, output: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}


registry = Registry("metric", Metric, required=("__call__",))


@registry.register("accuracy", "acc", "categorical_accuracy")
class Accuracy(Metric):
    """Fraction of samples whose output argmax equals the class id (or the target argmax).

    The argmax of the logits equals the argmax of the softmax, so logits may be passed.
    """

    name = "accuracy"
    accepts_logits = True

    def __call__(self, output, targets):
        return np.count_nonzero(output.argmax(axis=1) == class_ids(targets)) / output.shape[0]


class _ErrorMetric(Metric):
    def _targets(self, output, targets):
        return dense_targets(targets, output.shape[1], output.dtype)


@registry.register("mae", "mean_absolute_error")
class MeanAbsoluteError(_ErrorMetric):
    """Mean over all entries of ``|output - target|``."""

    name = "mae"

    def __call__(self, output, targets):
        return float(np.mean(np.abs(output - self._targets(output, targets))))


@registry.register("mse", "mean_squared_error")
class MeanSquaredError(_ErrorMetric):
    """Mean over all entries of ``(output - target)^2``."""

    name = "mse"

    def __call__(self, output, targets):
        return float(np.mean((output - self._targets(output, targets)) ** 2))


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """``counts[i, j]`` = number of samples of class i predicted as class j.

    >>> confusion_matrix([0, 1, 1], [0, 1, 0])
    array([[1, 0],
           [1, 1]])
    """
    y_true, y_pred = np.asarray(y_true).astype(np.intp), np.asarray(y_pred).astype(np.intp)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(f"y_true and y_pred must be class-id vectors of one shape; got {y_true.shape} "
                         f"and {y_pred.shape}.")
    n = num_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0))) + 1
    return np.bincount(y_true * n + y_pred, minlength=n * n).reshape(n, n)


def get(spec) -> Metric:
    return registry.get(spec)
