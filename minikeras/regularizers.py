"""Weight penalties added to the loss.

``L2(lam)`` adds ``lam * ||W||^2`` to the loss and ``2 * lam * W`` to the gradient of ``W``.
"""
from __future__ import annotations

import numpy as np

from . import ops
from .registry import Registry, describe, serialize


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


@registry.register("l2")
class L2(Regularizer):
    """Penalty ``l2 * sum(W ** 2)``; gradient ``2 * l2 * W``."""

    def __init__(self, l2: float = 0.01):
        l2 = float(l2)
        if not l2 >= 0:
            raise ValueError(f"L2 strength must be >= 0; got {l2!r}.")
        self.l2 = l2

    def penalty(self, weights):
        flat = weights.reshape(-1)
        return self.l2 * np.dot(flat, flat)

    def add_gradient(self, weights, grad, scratch):
        ops.axpy(2.0 * self.l2, weights, grad, scratch)

    def get_config(self):
        return {"l2": self.l2}


l2 = L2  # Keras' function-style name: regularizers.l2(0.01)


def get(spec):
    """A regularizer from an instance, a config dict, a name or None (no penalty)."""
    if spec is None:
        return None
    return registry.get(spec)
