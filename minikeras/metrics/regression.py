"""Regression metrics, accumulated over batches: mean absolute, squared (and its root),
percentage error, and the coefficient of determination R^2."""
from __future__ import annotations

import numpy as np

from ..targets import dense_targets
from .base import MeanMetricWrapper, Metric, registry, sum_rows

EPSILON = 1e-7


def _dense(y_true, y_pred):
    return dense_targets(np.asarray(y_true), y_pred.shape[1], y_pred.dtype).reshape(y_pred.shape)


def mean_absolute_error(y_true, y_pred):
    """Per sample: mean over the outputs of ``|y_pred - y_true|``."""
    return np.mean(np.abs(y_pred - _dense(y_true, y_pred)), axis=1)


def mean_squared_error(y_true, y_pred):
    """Per sample: mean over the outputs of ``(y_pred - y_true)^2``."""
    return np.mean((y_pred - _dense(y_true, y_pred)) ** 2, axis=1)


def mean_absolute_percentage_error(y_true, y_pred):
    """Per sample: ``100 * mean |y_true - y_pred| / max(|y_true|, 1e-7)``."""
    y_true = _dense(y_true, y_pred)
    return 100.0 * np.mean(np.abs(y_true - y_pred) / np.maximum(np.abs(y_true), EPSILON), axis=1)


@registry.register("mae", "mean_absolute_error")
class MeanAbsoluteError(MeanMetricWrapper):
    """Mean over samples of `mean_absolute_error`."""

    name = "mean_absolute_error"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(mean_absolute_error, name or "mean_absolute_error", dtype)


@registry.register("mse", "mean_squared_error")
class MeanSquaredError(MeanMetricWrapper):
    """Mean over samples of `mean_squared_error`."""

    name = "mean_squared_error"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(mean_squared_error, name or "mean_squared_error", dtype)


@registry.register("rmse", "root_mean_squared_error")
class RootMeanSquaredError(MeanSquaredError):
    """Square root of the mean squared error over everything seen (not a mean of batch roots)."""

    name = "root_mean_squared_error"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(name or "root_mean_squared_error", dtype)

    def result(self):
        return float(np.sqrt(super().result()))


@registry.register("mape", "mean_absolute_percentage_error")
class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Mean over samples of `mean_absolute_percentage_error`."""

    name = "mean_absolute_percentage_error"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(mean_absolute_percentage_error, name or "mean_absolute_percentage_error", dtype)


@registry.register("r2_score")
class R2Score(Metric):
    """``R^2 = 1 - SS_res / SS_tot`` per output over everything seen, then averaged
    (``class_aggregation="uniform_average"``), weighted by each output's ``SS_tot``
    (``"variance_weighted_average"``) or not (None: one score per output). With `num_regressors`
    ``p`` > 0: the adjusted ``1 - (1 - R^2)(n - 1) / (n - p - 1)``."""

    resets_at_init = True

    name = "r2_score"
    state_names = ("total", "squared_total", "residual", "count", "num_samples")
    aggregations = (None, "uniform_average", "variance_weighted_average")

    def __init__(self, class_aggregation="uniform_average", num_regressors: int = 0, name: str | None = None,
                 dtype=None):
        if class_aggregation not in self.aggregations:
            raise ValueError(f"class_aggregation must be one of {self.aggregations}; got {class_aggregation!r}.")
        if num_regressors < 0:
            raise ValueError(f"num_regressors must be >= 0; got {num_regressors!r}.")
        self.class_aggregation, self.num_regressors = class_aggregation, int(num_regressors)
        super().__init__(name, dtype)

    def reset_state(self):
        self.total = self.squared_total = self.residual = self.count = 0.0
        self.num_samples = 0

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = _dense(y_true, y_pred).astype(np.float64)
        weights = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        self.total = self.total + sum_rows(y_true, weights)
        self.squared_total = self.squared_total + sum_rows(y_true ** 2, weights)
        self.residual = self.residual + sum_rows((y_true - y_pred) ** 2, weights)
        self.count = self.count + np.sum(weights)
        self.num_samples += len(y_true)

    def result(self):
        if not self.count:
            return 0.0
        mean = self.total / self.count
        spread = self.squared_total - self.total * mean
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = 1.0 - self.residual / spread
        scores = np.where(np.isinf(scores), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            score = np.mean(scores)
        elif self.class_aggregation == "variance_weighted_average":
            score = np.sum(spread * scores) / np.sum(spread)
        else:
            return scores
        p, n = self.num_regressors, self.num_samples
        if 0 < p < n - 1:
            score = 1.0 - (1.0 - score) * (n - 1) / (n - p - 1)
        return float(score)

    def get_config(self):
        return {"class_aggregation": self.class_aggregation, "num_regressors": self.num_regressors,
                "name": self.name}
