"""Fully connected layer."""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..checks import check_int
from ..ops import column_sums
from ..registry import serialize
from .base import Layer, registry


@registry.register()
class Dense(Layer):
    """Affine map ``y = x @ kernel + bias``.

    Parameters
    ----------
    units : int
        Output width.
    kernel_initializer, bias_initializer : str or Initializer
    kernel_regularizer : Regularizer or None
        Adds its penalty of ``kernel`` to the loss (e.g. ``regularizers.L2(0.005)``).
    use_bias : bool

    Shapes
    ------
    x ``(N, in)``, kernel ``(in, units)``, bias ``(units,)``, y ``(N, units)``.

    Backward
    --------
    ``d_kernel = x.T @ g``, ``d_bias = sum_n g``, ``dx = g @ kernel.T``; the training engine adds
    the regularizer's gradient (``2 * lambda * kernel`` for L2).

    >>> Dense(10)
    Dense(units=10, kernel_initializer=He(), bias_initializer=Zeros(), kernel_regularizer=None, use_bias=True)
    """

    def __init__(self, units: int, kernel_initializer="he", bias_initializer="zeros",
                 kernel_regularizer=None, use_bias: bool = True, name: str | None = None):
        super().__init__(name)
        self.units = check_int("Dense units", units, 1)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.use_bias = bool(use_bias)
        self._x = None

    def output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Dense expects flat inputs of shape (N, features); got per-sample shape "
                             f"{tuple(input_shape)}. Add layers.Flatten() first.")
        return (self.units,)

    def build(self, input_shape, rng, dtype="float32"):
        super().build(input_shape, rng, dtype)
        self._add_param("kernel", self.kernel_initializer((self.input_shape[0], self.units), rng, self.dtype))
        if self.use_bias:
            self._add_param("bias", self.bias_initializer((self.units,), rng, self.dtype))

    def forward(self, x, training=False):
        self._x = x
        out = np.matmul(x, self.params["kernel"], out=self._buffer("y", (x.shape[0], self.units)))
        if self.use_bias:
            out += self.params["bias"]
        return out

    def backward(self, grad_out):
        kernel = self.params["kernel"]
        np.matmul(self._x.T, grad_out, out=self.grads["kernel"])
        if self.use_bias:
            column_sums(grad_out, self.grads["bias"])
        if not self.needs_input_grad:
            return None
        return np.matmul(grad_out, kernel.T, out=self._buffer("dx", self._x.shape))

    def regularizers(self):
        return {} if self.kernel_regularizer is None else {"kernel": self.kernel_regularizer}

    def get_config(self):
        regularizer = self.kernel_regularizer
        return {"units": self.units,
                "kernel_initializer": serialize(self.kernel_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": None if regularizer is None else serialize(regularizer),
                "use_bias": self.use_bias, "name": self.name}
