"""Metrics from counts of true and false positives, accumulated over batches as Keras does:
precision, recall, AUC (ROC or PR), F1 — and `confusion_matrix` for class ids.

Labels count as positive where ``y_true > 0.5``. Precision, recall and AUC look at every entry of
``(N, C)`` outputs (one-unit sigmoid outputs: one entry per sample); F1 keeps one count per class.
"""
from __future__ import annotations

import numpy as np

from ..targets import dense_targets
from .base import Metric, registry, sum_rows

EPSILON = 1e-7


def _entries(y_true, y_pred):
    """Labels (bool) and predictions, both flat, for entry-wise confusion counts."""
    y_true = dense_targets(np.asarray(y_true), y_pred.shape[1], y_pred.dtype)
    return (y_true > 0.5).reshape(-1), y_pred.reshape(-1)


def _ratio(numerator, denominator):
    """numerator / denominator, 0 where the denominator is 0 (Keras' divide_no_nan)."""
    return np.divide(numerator, denominator, out=np.zeros_like(np.asarray(numerator, dtype=np.float64)),
                     where=np.asarray(denominator) != 0)


class _ThresholdCounts(Metric):
    """True/false positives and negatives of ``y_pred > threshold`` at each of `thresholds`."""

    resets_at_init = True
    state_names = ("tp", "fp", "tn", "fn")

    def _set_thresholds(self, thresholds):
        self.thresholds = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))

    def reset_state(self):
        size = len(getattr(self, "thresholds", [0.5]))
        self.tp, self.fp, self.tn, self.fn = (np.zeros(size) for _ in range(4))

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, scores = _entries(y_true, y_pred)
        weights = np.ones(labels.size) if sample_weight is None else \
            np.repeat(np.asarray(sample_weight, dtype=np.float64), labels.size // len(sample_weight))
        positive = scores[None, :] > self.thresholds[:, None]
        self.tp += (positive & labels) @ weights
        self.fp += (positive & ~labels) @ weights
        self.fn += (~positive & labels) @ weights
        self.tn += (~positive & ~labels) @ weights


@registry.register("precision")
class Precision(_ThresholdCounts):
    """``TP / (TP + FP)`` of ``y_pred > thresholds`` (0.5 by default; a list gives one value each)."""

    name = "precision"

    def __init__(self, thresholds=None, name: str | None = None, dtype=None):
        self._set_thresholds(0.5 if thresholds is None else thresholds)
        self._single = thresholds is None or np.ndim(thresholds) == 0
        super().__init__(name, dtype)

    def result(self):
        value = _ratio(self.tp, self.tp + self.fp)
        return float(value[0]) if self._single else value

    def get_config(self):
        return {"thresholds": None if self._single else self.thresholds.tolist(), "name": self.name}


@registry.register("recall")
class Recall(Precision):
    """``TP / (TP + FN)`` of ``y_pred > thresholds`` (0.5 by default)."""

    name = "recall"

    def result(self):
        value = _ratio(self.tp, self.tp + self.fn)
        return float(value[0]) if self._single else value


@registry.register("auc")
class AUC(_ThresholdCounts):
    """Area under the ROC (``curve="ROC"``) or precision-recall (``"PR"``) curve, from counts at
    `num_thresholds` evenly spaced thresholds in [0, 1] (plus -1e-7 and 1 + 1e-7), as Keras: ROC by
    the trapezoid rule over (false positive rate, recall); PR by Davis & Goadrich's interpolation."""

    name = "auc"

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: str | None = None, dtype=None):
        if num_thresholds < 2:
            raise ValueError(f"num_thresholds must be > 1; got {num_thresholds!r}.")
        if curve not in ("ROC", "PR"):
            raise ValueError(f"curve must be 'ROC' or 'PR'; got {curve!r}.")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"summation_method must be 'interpolation', 'minoring' or 'majoring'; "
                             f"got {summation_method!r}.")
        self.num_thresholds, self.curve, self.summation_method = int(num_thresholds), curve, summation_method
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        self._set_thresholds([-EPSILON, *inner, 1.0 + EPSILON])
        super().__init__(name, dtype)

    def result(self):
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr_auc()
        recall = _ratio(self.tp, self.tp + self.fn)
        if self.curve == "ROC":
            x, y = _ratio(self.fp, self.fp + self.tn), recall
        else:
            x, y = recall, _ratio(self.tp, self.tp + self.fp)
        heights = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
                   "majoring": np.maximum(y[:-1], y[1:])}[self.summation_method]
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def _interpolated_pr_auc(self):
        tp, predicted = self.tp, self.tp + self.fp
        d_tp, d_predicted = tp[:-1] - tp[1:], predicted[:-1] - predicted[1:]
        slope = _ratio(d_tp, np.maximum(d_predicted, 0))
        intercept = tp[1:] - slope * predicted[1:]
        both = (predicted[:-1] > 0) & (predicted[1:] > 0)
        p_ratio = np.where(both, _ratio(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
        increments = _ratio(slope * (d_tp + intercept * np.log(p_ratio)), np.maximum(tp[1:] + self.fn[1:], 0))
        return float(np.sum(increments))

    def get_config(self):
        return {"num_thresholds": self.num_thresholds, "curve": self.curve,
                "summation_method": self.summation_method, "name": self.name}


@registry.register("f1_score")
class F1Score(Metric):
    """F1 per class from counts over all batches: ``2 P R / (P + R)`` (with Keras' 1e-7 guards).

    Predictions are ``y_pred > threshold``, or with ``threshold=None`` the row's largest output.
    `average`: None (one score per class, an array), ``"micro"`` (counts pooled over classes),
    ``"macro"`` (mean of the class scores) or ``"weighted"`` (weighted by each class's support).
    """

    resets_at_init = True
    state_names = ("tp", "fp", "fn", "support")

    name = "f1_score"
    averages = (None, "micro", "macro", "weighted")

    def __init__(self, average=None, threshold=None, name: str | None = None, dtype=None):
        if average not in self.averages:
            raise ValueError(f"average must be one of {self.averages}; got {average!r}.")
        self.average, self.threshold = average, threshold
        super().__init__(name, dtype)

    def reset_state(self):
        self.tp = self.fp = self.fn = self.support = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = dense_targets(np.asarray(y_true), y_pred.shape[1], np.float64)
        if self.threshold is None:
            predicted = (y_pred >= y_pred.max(axis=1, keepdims=True)) & (np.abs(y_pred) > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.astype(np.float64)
        axis = None if self.average == "micro" else 0
        self.tp = self.tp + sum_rows(predicted * y_true, sample_weight, axis)
        self.fp = self.fp + sum_rows(predicted * (1 - y_true), sample_weight, axis)
        self.fn = self.fn + sum_rows((1 - predicted) * y_true, sample_weight, axis)
        self.support = self.support + sum_rows(y_true, sample_weight, axis)

    def result(self):
        precision = self.tp / (self.tp + self.fp + EPSILON)
        recall = self.tp / (self.tp + self.fn + EPSILON)
        f1 = 2 * precision * recall / (precision + recall + EPSILON)
        if self.average == "weighted":
            return float(np.sum(f1 * self.support / (np.sum(self.support) + EPSILON)))
        if self.average is not None:
            return float(np.mean(f1))
        return np.asarray(f1)

    def get_config(self):
        return {"average": self.average, "threshold": self.threshold, "name": self.name}


def confusion_matrix(y_true, y_pred, num_classes: int | None = None) -> np.ndarray:
    """``counts[i, j]`` = number of samples of class i predicted as class j.

    Examples
    --------
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
