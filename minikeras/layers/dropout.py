"""Inverted dropout (Srivastava et al. 2014)."""
from __future__ import annotations

import numpy as np

from .base import Layer, registry


@registry.register("dropout")
class Dropout(Layer):
    """Zero each activation with probability `rate` during training and scale the rest by
    ``1 / (1 - rate)``, so that inference is the identity.

    Shapes
    ------
    x, y ``(N, ...)``; the mask has the shape of x and is drawn from the model's generator.

    Backward
    --------
    ``dx = g * mask / (1 - rate)``.

    >>> Dropout(0.5)
    Dropout(rate=0.5)
    """

    def __init__(self, rate: float, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be in [0, 1); got {rate!r}.")
        self.rate = float(rate)
        self._rng = None
        self._mask = None

    def build(self, input_shape, rng, dtype="float32"):
        super().build(input_shape, rng, dtype)
        self._rng = rng

    def forward(self, x, training=False):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        mask = self._rng.random(x.shape, dtype=self.dtype, out=self._buffer("mask", x.shape))
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        return np.multiply(x, mask, out=self._buffer("y", x.shape))

    def backward(self, grad_out):
        if self._mask is None:
            return grad_out
        return np.multiply(grad_out, self._mask, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"rate": self.rate, "name": self.name}
