"""Accuracy metrics: binary, categorical (class ids or one-hot alike), top-k, and the automatic
``"accuracy"`` that picks one of them from the model's output as Keras does."""
from __future__ import annotations

import numpy as np

from ..targets import class_ids
from .base import MeanMetricWrapper, registry


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per sample: the fraction of its entries where ``y_pred > threshold`` equals ``y_true``."""
    y_true = np.asarray(y_true)
    y_true = y_true.reshape(y_pred.shape) if y_true.size == y_pred.size else y_true
    return np.mean((y_pred > threshold) == (y_true > 0.5), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """Per sample: 1 where the argmax of ``y_pred`` is the class (id, or argmax of a one-hot row)."""
    return y_pred.argmax(axis=1) == class_ids(np.asarray(y_true))


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Per sample: 1 where the class is among the `k` largest outputs (ties resolved as numpy sorts)."""
    ids = class_ids(np.asarray(y_true))
    if k >= y_pred.shape[1]:
        return np.ones(y_pred.shape[0], dtype=bool)
    top = np.argpartition(-y_pred, k - 1, axis=1)[:, :k]
    return (top == ids[:, None]).any(axis=1)


@registry.register("binary_accuracy")
class BinaryAccuracy(MeanMetricWrapper):
    """Fraction of entries where ``y_pred > threshold`` agrees with the 0/1 label."""

    name = "binary_accuracy"

    def __init__(self, name: str | None = None, dtype=None, threshold: float = 0.5):
        super().__init__(binary_accuracy, name or "binary_accuracy", dtype, threshold=threshold)


@registry.register("categorical_accuracy")
class CategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose output argmax is their class. The argmax of the logits is the
    argmax of the softmax, so logits may be passed."""

    name = "categorical_accuracy"
    accepts_logits = True

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(categorical_accuracy, name or "categorical_accuracy", dtype)

    def update_state(self, y_true, y_pred, sample_weight=None):
        if sample_weight is not None:
            return super().update_state(y_true, y_pred, sample_weight)
        # The unweighted count, without a float copy of the hits: this runs on every training batch.
        self.total += np.count_nonzero(categorical_accuracy(y_true, y_pred))
        self.count += y_pred.shape[0]


@registry.register("sparse_categorical_accuracy")
class SparseCategoricalAccuracy(CategoricalAccuracy):
    """`CategoricalAccuracy` for class ids (it takes one-hot rows too)."""

    name = "sparse_categorical_accuracy"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(name or "sparse_categorical_accuracy", dtype)


@registry.register("top_k_categorical_accuracy")
class TopKCategoricalAccuracy(MeanMetricWrapper):
    """Fraction of samples whose class is among the `k` largest outputs (logits give the same)."""

    name = "top_k_categorical_accuracy"
    accepts_logits = True

    def __init__(self, k: int = 5, name: str | None = None, dtype=None):
        super().__init__(top_k_categorical_accuracy, name or "top_k_categorical_accuracy", dtype, k=int(k))


@registry.register("sparse_top_k_categorical_accuracy")
class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """`TopKCategoricalAccuracy` for class ids."""

    name = "sparse_top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name: str | None = None, dtype=None):
        super().__init__(k, name or "sparse_top_k_categorical_accuracy", dtype)


@registry.register("accuracy", "acc")
class Accuracy(CategoricalAccuracy):
    """``"accuracy"``: resolved by the model's output as Keras resolves the string — binary accuracy
    at threshold 0.5 for a one-unit output, else argmax agreement (class ids or one-hot alike).

    Examples
    --------
    >>> Accuracy().resolve(n_outputs=1)
    BinaryAccuracy(name='accuracy', threshold=0.5)
    """

    name = "accuracy"

    def __init__(self, name: str | None = None, dtype=None):
        super().__init__(name or "accuracy", dtype)

    def resolve(self, n_outputs: int):
        """The metric this stands for on a model with `n_outputs` output units, under the same name."""
        if n_outputs == 1:
            return BinaryAccuracy(name=self.name)
        return CategoricalAccuracy(name=self.name)
