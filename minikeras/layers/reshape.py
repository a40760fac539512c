"""Shape-only layers."""
from __future__ import annotations

import math

from .base import Layer, registry


@registry.register("flatten")
class Flatten(Layer):
    """Flatten every sample: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``; backward reshapes back.

    >>> Flatten().output_shape((28, 28))
    (784,)
    """

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(grad_out.shape[0], *self.input_shape)
