"""Labels and targets: what the user passes as ``y``, turned once per data set into what a loss
and the metrics work on.

Three forms, chosen by the loss (`Loss.target_kind`):

- ``"classes"``: class ids ``(N,)`` / ``(N, 1)`` as an ``intp`` vector, or one-hot (or
  probability) rows ``(N, C)`` as floats — categorical cross-entropy and hinge;
- ``"sparse"``: class ids only — sparse categorical cross-entropy;
- ``"values"``: real targets ``(N, C)`` as floats, ``(N,)`` taken as ``(N, 1)`` for a one-unit
  output, and class ids one-hot encoded for a wider one — regression losses and binary
  cross-entropy.
"""
from __future__ import annotations

import numpy as np

from .checks import check_finite

TARGET_KINDS = ("classes", "sparse", "values")


def prepare(y, n_outputs: int, dtype, kind: str = "classes") -> np.ndarray:
    """`y` in the form `kind` asks for; ValueError saying what was expected and what was given."""
    y = numeric(y, n_outputs)
    if kind == "values":
        return _values(y, n_outputs, dtype)
    targets = _classes(y, n_outputs, dtype)
    if kind == "sparse" and not is_class_ids(targets):
        raise ValueError(f"sparse_categorical_crossentropy expects class ids of shape (N,) or (N, 1); got shape "
                         f"{y.shape}. For one-hot labels use categorical_crossentropy.")
    return targets


def numeric(y, n_outputs: int) -> np.ndarray:
    y = np.asarray(y)
    expected = f"numbers: class ids of shape (N,), or rows of shape (N, {n_outputs})"
    if y.dtype.kind in "USO":
        example = y.reshape(-1)[:3].tolist()
        raise ValueError(f"Labels must be {expected}; got {y.dtype} values such as {example}. Encode them first, "
                         f"e.g. classes, y = np.unique(y, return_inverse=True).")
    if not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(f"Labels must be {expected}; got dtype {y.dtype}.")
    if y.ndim == 0 or y.shape[0] == 0:
        raise ValueError(f"Labels must be {expected} with N >= 1; got an array of shape {y.shape}.")
    return y


def _classes(y: np.ndarray, n_outputs: int, dtype) -> np.ndarray:
    expected = (f"labels of shape (N,) or (N, 1) holding class ids in [0, {n_outputs}), "
                f"or one-hot/targets of shape (N, {n_outputs})")
    if y.ndim == 2 and y.shape[1] == n_outputs:
        y = np.asarray(y, dtype=dtype)
        check_finite(y, "y")
        return y
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"Expected {expected}; got shape {y.shape}.")
    return _class_ids(y, n_outputs, expected)


def _class_ids(y: np.ndarray, n_outputs: int, expected: str) -> np.ndarray:
    if y.dtype.kind not in "iub":
        if y.dtype.kind != "f" or not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise ValueError(f"Expected {expected}; got non-integer values of dtype {y.dtype}. For real-valued "
                             f"targets use a regression loss such as 'mse' or 'mae'.")
    if y.size and (y.min() < 0 or y.max() >= n_outputs):
        raise ValueError(f"Expected {expected}; got ids from {y.min()} to {y.max()}. "
                         f"Does the last layer have one unit per class?")
    return y.astype(np.intp)


def _values(y: np.ndarray, n_outputs: int, dtype) -> np.ndarray:
    if y.ndim == 1 and n_outputs == 1:
        y = y[:, None]
    if y.ndim == 2 and y.shape[1] == n_outputs:
        y = np.asarray(y, dtype=dtype)
        check_finite(y, "y")
        return y
    if n_outputs > 1 and (y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1)):
        return dense_targets(_classes(y, n_outputs, dtype), n_outputs, dtype)
    raise ValueError(f"Expected targets of shape (N, {n_outputs})"
                     f"{' or (N,)' if n_outputs == 1 else ', or class ids of shape (N,)'} for this model's "
                     f"{n_outputs} output{'s' if n_outputs > 1 else ''}; got shape {y.shape}.")


def is_class_ids(targets: np.ndarray) -> bool:
    """Whether prepared `targets` are class ids ``(N,)`` rather than rows of class weights ``(N, C)``."""
    return targets.ndim == 1


def class_ids(targets: np.ndarray) -> np.ndarray:
    """Class of each sample: the ids themselves, the argmax of one-hot/real rows, or for a single
    column of binary targets, whether it exceeds 0.5."""
    if is_class_ids(targets):
        return targets
    if targets.shape[1] == 1:
        return (targets[:, 0] > 0.5).astype(np.intp)
    return targets.argmax(axis=1)


def n_classes(n_outputs: int) -> int:
    """Classes behind `n_outputs` output units: a single (sigmoid) unit tells two apart."""
    return max(n_outputs, 2)


def dense_targets(targets: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """Prepared targets as a ``(N, n_classes)`` matrix: class ids one-hot encoded, others as they are."""
    return one_hot(targets, n_classes, dtype) if is_class_ids(targets) else targets


def one_hot(ids: np.ndarray, n_classes: int, dtype) -> np.ndarray:
    """Class ids ``(N,)`` as one-hot rows ``(N, n_classes)`` of `dtype`."""
    encoded = np.zeros((ids.shape[0], n_classes), dtype=dtype)
    encoded[np.arange(ids.shape[0]), ids] = 1
    return encoded
