"""Metrics with Keras' interface (``update_state``, ``result``, ``reset_state``), by family."""
from __future__ import annotations

from .accuracy import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    binary_accuracy,
    categorical_accuracy,
    top_k_categorical_accuracy,
)
from .base import Mean, MeanMetricWrapper, Metric, registry
from .confusion import AUC, F1Score, Precision, Recall, confusion_matrix
from .regression import (
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    R2Score,
    RootMeanSquaredError,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
)

__all__ = ["Metric", "Mean", "MeanMetricWrapper", "registry", "get", "Accuracy", "BinaryAccuracy",
           "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
           "SparseTopKCategoricalAccuracy", "Precision", "Recall", "AUC", "F1Score", "MeanAbsoluteError",
           "MeanSquaredError", "RootMeanSquaredError", "MeanAbsolutePercentageError", "R2Score",
           "binary_accuracy", "categorical_accuracy", "top_k_categorical_accuracy", "mean_absolute_error",
           "mean_squared_error", "mean_absolute_percentage_error", "confusion_matrix"]


def get(spec) -> Metric:
    """A metric from a name (``"accuracy"``, ``"auc"``, ...), a class, a config, an instance, or a
    plain function ``fn(y_true, y_pred) -> per-sample values`` (averaged over samples, as Keras)."""
    if callable(spec) and not isinstance(spec, (type, Metric)):
        return MeanMetricWrapper(spec)
    metric = registry.get(spec)
    if isinstance(spec, str):
        metric.name = spec  # as Keras: metrics=["mae"] logs "mae" and "val_mae"
    return metric
