"""Layers that only rearrange their inputs (Flatten, Reshape) or pass them on (Identity)."""
from __future__ import annotations

import math

import numpy as np

from .base import Layer, registry


@registry.register("flatten")
class Flatten(Layer):
    """Flatten every sample: ``(N, d1, d2, ...) -> (N, d1 * d2 * ...)``; backward reshapes back.

    Examples
    --------
    >>> Flatten().output_shape((28, 28))
    (784,)
    """

    keras_class = "Flatten"

    def output_shape(self, input_shape):
        return (math.prod(input_shape),)

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(grad_out.shape[0], *self.input_shape)

    def to_onnx(self, g, x):
        return g.op("Flatten", x, axis=1)


@registry.register("reshape")
class Reshape(Layer):
    """Reshape every sample to `target_shape` (one entry may be -1: inferred); backward reshapes back.

    Examples
    --------
    >>> Reshape((3, -1)).output_shape((12,))
    (3, 4)
    """

    keras_class = "Reshape"
    keras_arguments = ("target_shape",)

    def __init__(self, target_shape, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in target_shape) > 1 or any(d == 0 or d < -1 for d in target_shape):
            raise ValueError(f"Reshape target_shape takes positive sizes and at most one -1; got {target_shape}.")
        self.target_shape = target_shape

    def output_shape(self, input_shape):
        size, known = math.prod(input_shape), math.prod(d for d in self.target_shape if d != -1)
        if (size % known if -1 in self.target_shape else size != known):
            raise ValueError(f"Cannot reshape samples of shape {tuple(input_shape)} ({size} values) to "
                             f"{self.target_shape}.")
        return tuple(size // known if d == -1 else d for d in self.target_shape)

    def forward(self, x, training=False):
        return x.reshape(x.shape[0], *self.output_shape(self.input_shape))

    def backward(self, grad_out):
        return grad_out.reshape(grad_out.shape[0], *self.input_shape)

    def get_config(self):
        return {"target_shape": list(self.target_shape), **super().get_config()}

    def to_onnx(self, g, x):
        return g.op("Reshape", x, g.constant([0, *self.output_shape(self.input_shape)], np.int64))


@registry.register()
class Identity(Layer):
    """Keras' ``Identity``: ``y = x``, ``dx = g`` (a placeholder that keeps a model's layout)."""

    keras_class = "Identity"

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out

    def to_onnx(self, g, x):
        return x
