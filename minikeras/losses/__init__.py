"""Losses (Keras 3's names, formulas and reductions), by family: cross-entropies, regression, hinge.

``loss(output, targets, sample_weight=None) -> (value, d value / d output)``; targets are prepared
once per data set by ``loss.prepare_targets`` (see `minikeras.targets`).
"""
from ..targets import class_ids, dense_targets, is_class_ids, one_hot
from ..targets import prepare as _prepare
from .base import EPSILON, ElementwiseLoss, Loss, LossFunctionWrapper, registry
from .crossentropy import BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy
from .hinge import CategoricalHinge, Hinge, SquaredHinge
from .regression import (
    Huber,
    KLDivergence,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    Poisson,
)

__all__ = ["Loss", "LossFunctionWrapper", "ElementwiseLoss", "registry", "get", "EPSILON", "prepare_targets",
           "class_ids", "dense_targets", "is_class_ids", "one_hot", "BinaryCrossentropy", "CategoricalCrossentropy",
           "SparseCategoricalCrossentropy", "CategoricalHinge", "Hinge", "SquaredHinge", "Huber", "KLDivergence",
           "LogCosh", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredError",
           "MeanSquaredLogarithmicError", "Poisson"]


def prepare_targets(y, n_outputs: int, dtype):
    """Class ids as an ``intp`` vector, or one-hot/real rows as a ``(N, n_outputs)`` array (see `targets`)."""
    return _prepare(y, n_outputs, dtype, "classes")


def get(spec) -> Loss:
    """A loss from a name (``"binary_crossentropy"``, ``"mse"``, ...), a class, a config, an
    instance, or a function ``fn(y_true, y_pred)`` written with ops (`LossFunctionWrapper`)."""
    if callable(spec) and not isinstance(spec, (type, Loss)):
        return LossFunctionWrapper(spec)
    return registry.get(spec)
