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

    `seed` (Keras) gives the layer its own generator; by default masks come from the model's, so
    that a saved model resumes with the same masks.

    >>> Dropout(0.5)
    Dropout(rate=0.5)
    """

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
            raise ValueError(f"Dropout rate must be a number in [0, 1); got {rate!r}.")
        if noise_shape is not None:
            raise ValueError(f"noise_shape is not supported (masks are drawn per entry); got {noise_shape!r}.")
        self.rate = float(rate)
        self.seed = None if seed is None else int(seed)
        self._rng = None
        self._mask = None

    def build(self, input_shape, rng, dtype="float32"):
        super().build(input_shape, rng, dtype)
        self._rng = rng if self.seed is None else np.random.default_rng(self.seed)

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
        return {"rate": self.rate, "seed": self.seed, **super().get_config()}
