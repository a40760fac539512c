"""Losses and label handling.

Labels are accepted as class ids ``(N,)`` / ``(N, 1)`` or as one-hot / real targets ``(N, C)``.
`prepare_targets` turns them once per dataset into the form a loss works on: an integer id
vector, or a float ``(N, C)`` matrix. A loss returns the mean over samples of
``sample_weight_i * loss_i`` (weights default to 1) and its gradient with respect to the output.
"""
from __future__ import annotations

import inspect

import numpy as np

from . import ops
from .registry import Registry

PROBABILITY_FLOOR = 1e-7  # as Keras: log(p) is taken of max(p, 1e-7) when p is not from logits


def prepare_targets(y, n_outputs: int, dtype) -> np.ndarray:
    """Class ids as an ``intp`` vector, or real targets as a ``(N, n_outputs)`` array of `dtype`.

    Raises ValueError when the shape fits neither form or an id is outside ``[0, n_outputs)``.
    """
    y = np.asarray(y)
    expected = (f"labels of shape (N,) or (N, 1) holding class ids in [0, {n_outputs}), "
                f"or one-hot/targets of shape (N, {n_outputs})")
    if y.ndim == 2 and y.shape[1] == n_outputs:
        if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
            raise ValueError(f"Expected numeric {expected}; got dtype {y.dtype}.")
        return np.asarray(y, dtype=dtype)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"Expected {expected}; got shape {y.shape}.")
    return _class_ids(y, n_outputs, expected)


def _class_ids(y: np.ndarray, n_outputs: int, expected: str) -> np.ndarray:
    if y.dtype.kind not in "iub":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"Expected {expected}; got non-integer values of dtype {y.dtype}.")
    if y.size and (y.min() < 0 or y.max() >= n_outputs):
        raise ValueError(f"Expected {expected}; got ids from {y.min()} to {y.max()}. "
                         f"Does the last layer have one unit per class?")
    return y.astype(np.intp)


def is_class_ids(targets: np.ndarray) -> bool:
    return targets.ndim == 1


def class_ids(targets: np.ndarray) -> np.ndarray:
    """Class of each sample: the ids themselves, or the argmax of one-hot/real targets."""
    return targets if is_class_ids(targets) else targets.argmax(axis=1)


def dense_targets(targets: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """Prepared targets as a ``(N, n_classes)`` matrix: class ids one-hot encoded, others as they are."""
    return one_hot(targets, n_classes, dtype) if is_class_ids(targets) else targets


def one_hot(ids: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    encoded = np.zeros((ids.shape[0], n_classes), dtype=dtype)
    encoded[np.arange(ids.shape[0]), ids] = 1
    return encoded


class Loss:
    """Base class: ``loss(output, targets, sample_weight=None) -> (mean_loss, d_output)``.

    Attributes
    ----------
    logits_of : str or None
        The name of the activation (``"softmax"``) whose *input* this loss can take instead of its
        output. A loss that declares one is called with ``from_logits=True`` when the model ends
        with that activation: the model then skips the activation in training and the loss
        computes both in one stable step. Its ``__call__`` must accept ``from_logits``.
    """

    name = ""
    logits_of: str | None = None

    def prepare_targets(self, y, n_outputs, dtype):
        return prepare_targets(y, n_outputs, dtype)

    def __call__(self, output, targets, sample_weight=None):
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _check_logits_capability(cls: type) -> None:
    """A loss declaring `logits_of` must take ``from_logits``."""
    if cls.logits_of is not None and "from_logits" not in inspect.signature(cls.__call__).parameters:
        raise TypeError(f"{cls.__name__} declares logits_of={cls.logits_of!r}, so its __call__ must accept "
                        f"from_logits.")


registry = Registry("loss", Loss, required=("__call__",), check=_check_logits_capability)


def _weighted_mean(per_sample: np.ndarray, sample_weight):
    """Mean of ``sample_weight * per_sample``, a numpy scalar keeping the compute precision."""
    if sample_weight is not None:
        per_sample = per_sample * sample_weight
    return np.add.reduce(per_sample) / per_sample.shape[0]


def _scale_rows(grad: np.ndarray, sample_weight, scale: float) -> np.ndarray:
    """grad *= scale * sample_weight[:, None] in place."""
    if sample_weight is None:
        grad *= scale
    else:
        grad *= (scale * sample_weight)[:, None].astype(grad.dtype, copy=False)
    return grad


@registry.register("categorical_crossentropy", "crossentropy")
class CategoricalCrossentropy(Loss):
    """``loss_i = -sum_c t_ic log p_ic``, with ``p`` the softmax output.

    After a Softmax layer the model passes the logits ``z`` (``from_logits=True``): the loss is
    then computed as ``logsumexp(z_i) - z_i . t_i`` (stable for any finite logits) and the
    gradient with respect to the logits is ``p * sum_c t_ic - t_i`` (``p - t`` for one-hot).
    """

    name = "categorical_crossentropy"
    logits_of = "softmax"

    def __call__(self, output, targets, sample_weight=None, from_logits=False):
        if from_logits:
            return self._from_logits(output, targets, sample_weight)
        return self._from_probabilities(output, targets, sample_weight)

    def _from_logits(self, logits, targets, sample_weight):
        n = logits.shape[0]
        shifted, probs, log_norm = ops.softmax_and_log_normalizer(logits)
        if is_class_ids(targets):
            rows = np.arange(n)
            per_sample = log_norm - shifted[rows, targets]
            probs[rows, targets] -= 1
        else:
            target_mass = np.add.reduce(targets, axis=1)
            per_sample = log_norm * target_mass - np.einsum("ij,ij->i", shifted, targets)
            probs *= target_mass[:, None]
            probs -= targets
        return _weighted_mean(per_sample, sample_weight), _scale_rows(probs, sample_weight, 1.0 / n)

    def _from_probabilities(self, probs, targets, sample_weight):
        n = probs.shape[0]
        clipped = np.maximum(probs, PROBABILITY_FLOOR)
        grad = np.zeros_like(probs)
        if is_class_ids(targets):
            rows = np.arange(n)
            picked = clipped[rows, targets]
            per_sample = -np.log(picked)
            grad[rows, targets] = -1.0 / picked
        else:
            per_sample = -np.einsum("ij,ij->i", targets, np.log(clipped))
            np.divide(-targets, clipped, out=grad)
        return _weighted_mean(per_sample, sample_weight), _scale_rows(grad, sample_weight, 1.0 / n)


@registry.register("mse", "mean_squared_error")
class MeanSquaredError(Loss):
    """``loss_i = mean_c (p_ic - t_ic)^2`` (mean over all entries, as Keras); class ids are one-hot encoded.

    Gradient ``2 (p - t) / (N * C)``.
    """

    name = "mse"

    def prepare_targets(self, y, n_outputs, dtype):
        return dense_targets(prepare_targets(y, n_outputs, dtype), n_outputs, dtype)

    def __call__(self, output, targets, sample_weight=None):
        diff = output - targets
        per_sample = np.einsum("ij,ij->i", diff, diff) / output.shape[1]
        return _weighted_mean(per_sample, sample_weight), _scale_rows(diff, sample_weight, 2.0 / diff.size)


def get(spec) -> Loss:
    """A loss from ``"categorical_crossentropy"``, ``"mse"``, a class or an instance."""
    return registry.get(spec)
