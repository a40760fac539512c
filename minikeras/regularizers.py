"""Weight penalties added to the loss (Keras 3's classes, function-style names and defaults).

``L2(lam)`` adds ``lam * ||W||^2`` to the loss and ``2 * lam * W`` to the gradient of ``W``;
``L1(lam)`` adds ``lam * sum |W|`` and ``lam * sign(W)``; ``L1L2`` both;
``OrthogonalRegularizer`` penalizes the cosines between a kernel's rows (or columns).
"""
from __future__ import annotations

import numpy as np

from . import backend
from .registry import Registry, describe, serialize

__all__ = ["Regularizer", "L1", "L2", "L1L2", "OrthogonalRegularizer", "l1", "l2", "l1_l2", "orthogonal_regularizer",
           "get", "serialize", "deserialize", "registry"]


class Regularizer:
    """Base class: ``penalty(w) -> float`` and ``add_gradient(w, grad)`` (in place)."""

    def penalty(self, weights: np.ndarray):
        """The penalty as a numpy scalar of the weights' dtype."""
        raise NotImplementedError

    def add_gradient(self, weights: np.ndarray, grad: np.ndarray, scratch: np.ndarray) -> None:
        """grad += d penalty / d weights, using `scratch` (shaped like weights) as workspace."""
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("regularizer", Regularizer, required=("penalty", "add_gradient", "get_config"))


def _strength(name: str, value, default: float) -> float:
    """A finite factor >= 0 (None: Keras' default)."""
    value = default if value is None else value
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 <= value < np.inf:
        raise ValueError(f"Regularization factor {name} must be a finite number >= 0; got {value!r}.")
    return float(value)


@registry.register("l2")
class L2(Regularizer):
    r"""Penalty $\lambda \sum W^2$ for $\lambda$ = `l2`; gradient $2 \lambda W$."""

    def __init__(self, l2: float = 0.01):
        self.l2 = _strength("l2", l2, 0.01)

    def penalty(self, weights):
        flat = weights.reshape(-1)
        return self.l2 * np.dot(flat, flat)

    def add_gradient(self, weights, grad, scratch):
        backend.axpy(2.0 * self.l2, weights, grad, scratch)

    def get_config(self):
        return {"l2": self.l2}


@registry.register("l1")
class L1(Regularizer):
    r"""Penalty $\lambda \sum |W|$ for $\lambda$ = `l1`; gradient $\lambda \operatorname{sign}(W)$
    (0 at $W = 0$, as autodiff gives)."""

    def __init__(self, l1: float = 0.01):
        self.l1 = _strength("l1", l1, 0.01)

    def penalty(self, weights):
        return weights.dtype.type(self.l1) * np.abs(weights).sum()

    def add_gradient(self, weights, grad, scratch):
        backend.axpy(self.l1, np.sign(weights, out=scratch), grad, scratch)

    def get_config(self):
        return {"l1": self.l1}


@registry.register("l1_l2")
class L1L2(Regularizer):
    """Penalty ``l1 * sum |W| + l2 * sum(W ** 2)``; gradient ``l1 * sign(W) + 2 * l2 * W``
    (Keras' defaults are 0 for both)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.parts = (L1(_strength("l1", l1, 0.0)), L2(_strength("l2", l2, 0.0)))

    @property
    def l1(self) -> float:
        return self.parts[0].l1

    @property
    def l2(self) -> float:
        return self.parts[1].l2

    def penalty(self, weights):
        return sum(part.penalty(weights) for part in self.parts)

    def add_gradient(self, weights, grad, scratch):
        for part in self.parts:
            part.add_gradient(weights, grad, scratch)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


NORM_EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest row norm OrthogonalRegularizer divides by


@registry.register("orthogonal_regularizer")
class OrthogonalRegularizer(Regularizer):
    """Keras' orthogonality penalty on a 2-D kernel: with ``U`` its rows (``mode="rows"``) or columns
    scaled to unit length and ``C = U U^T`` their cosines, the penalty is
    ``factor / 2 * sum_{i != j} |C_ij| / (n (n - 1) / 2)`` for n rows.

    Gradient: with ``S = sign(C)`` off the diagonal and ``k = factor / (n (n - 1) / 2)``,
    ``dU = k S U``, then through the scaling ``dW_r = (dU_r - U_r (U_r . dU_r)) / |W_r|``.
    """

    def __init__(self, factor: float = 0.01, mode: str = "rows"):
        self.factor = _strength("factor", factor, 0.01)
        if mode not in ("rows", "columns"):
            raise ValueError(f"OrthogonalRegularizer mode must be 'rows' or 'columns'; got {mode!r}.")
        self.mode = mode

    def _rows(self, weights):
        if weights.ndim != 2:
            raise ValueError(f"OrthogonalRegularizer needs a 2-D kernel; got shape {weights.shape}.")
        return weights if self.mode == "rows" else weights.T

    def _unit_rows(self, rows):
        norms = np.sqrt(np.maximum(np.square(rows).sum(axis=1, keepdims=True), NORM_EPSILON ** 2))
        return rows / norms, norms

    def _pairs(self, rows) -> float:
        n = rows.shape[0]
        return max(n * (n - 1) / 2.0, 1.0)

    def penalty(self, weights):
        rows = self._rows(weights)
        unit, _ = self._unit_rows(rows)
        cosines = unit @ unit.T
        np.fill_diagonal(cosines, 0.0)
        return weights.dtype.type(self.factor * 0.5 / self._pairs(rows)) * np.abs(cosines).sum()

    def add_gradient(self, weights, grad, scratch):
        rows = self._rows(weights)
        unit, norms = self._unit_rows(rows)
        signs = np.sign(unit @ unit.T)
        np.fill_diagonal(signs, 0.0)
        d_unit = (self.factor / self._pairs(rows)) * (signs @ unit)
        d_rows = (d_unit - unit * np.sum(unit * d_unit, axis=1, keepdims=True)) / norms
        # Norms clamped at the floor pass no gradient through the scaling.
        d_rows[(norms <= NORM_EPSILON).ravel()] = d_unit[(norms <= NORM_EPSILON).ravel()] / NORM_EPSILON
        grad += d_rows if self.mode == "rows" else d_rows.T

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# Keras' function-style names: regularizers.l2(0.01), regularizers.l1_l2(l1=0.01, l2=0.01).
l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer


def get(spec):
    """A regularizer from an instance, a config dict, a name or None (no penalty)."""
    if spec is None:
        return None
    return registry.get(spec)


def deserialize(config: dict) -> Regularizer:
    """Keras' ``regularizers.deserialize``: a regularizer from ``{"class_name": ..., "config": ...}``."""
    return registry.from_config(config)
