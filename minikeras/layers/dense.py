"""Fully connected layer."""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..backend import column_sums
from ..checks import check_int
from ..registry import serialize, serialize_optional
from . import keras_objects
from .activation_step import ActivationStep
from .base import Layer, registry


@registry.register()
class Dense(ActivationStep, Layer):
    r"""Affine map $y = x W + b$ (`kernel` $W$, `bias` $b$), then `activation` if one is given
    (Keras 3's signature and defaults).

    Parameters
    ----------
    units : int
        Output width.
    activation : str, activation layer or None
        Applied after the affine map (``"relu"``, ``"softmax"``, ...). It runs as a separate step
        (`steps`), so a final ``activation="softmax"`` fuses with the cross-entropy loss.
    use_bias : bool
    kernel_initializer, bias_initializer : str or Initializer
        Keras' defaults ``"glorot_uniform"`` and ``"zeros"`` (`Model.add_layer` uses He).
    kernel_regularizer, bias_regularizer : Regularizer or None
        Their penalties join the loss (e.g. ``regularizers.L2(0.005)``).

    Shapes
    ------
    x `(N, in)`, kernel `(in, units)`, bias `(units,)`, y `(N, units)`. As in Keras, inputs with
    more axes per sample are mapped along the last one: x `(N, ..., in)` gives y `(N, ..., units)`.

    Backward
    --------
    With $g = \partial L / \partial y$ at the affine output:
    $\partial L / \partial W = x^\top g$, $\partial L / \partial b = \sum_n g_n$,
    $\partial L / \partial x = g W^\top$; the training engine adds the regularizers' gradients
    ($2 \lambda W$ for L2).

    Examples
    --------
    >>> Dense(10, activation="relu", kernel_initializer="orthogonal")
    Dense(units=10, activation='relu', kernel_initializer=Orthogonal(gain=1.0, seed=None))
    """

    keras_class = "Dense"
    keras_arguments = ("units", "activation", "use_bias", "kernel_initializer", "bias_initializer",
                       "kernel_regularizer", "bias_regularizer")

    def __init__(self, units: int, activation=None, use_bias: bool = True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, name: str | None = None,
                 **kwargs):
        super().__init__(name, **kwargs)
        self.units = check_int("Dense units", units, 1)
        self.init_activation(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._x = None

    def output_shape(self, input_shape):
        if len(input_shape) < 1:
            raise ValueError(f"Dense maps the last axis of its inputs; got per-sample shape {tuple(input_shape)}.")
        return (*input_shape[:-1], self.units)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self.kernel = self.add_weight((self.input_shape[-1], self.units), self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, name="kernel")
        self.bias = self.add_weight((self.units,), self.bias_initializer, regularizer=self.bias_regularizer,
                                    name="bias") if self.use_bias else None
        self.build_activation((self.units,), rng, dtype)

    def forward(self, x, training=False):
        """The affine map only; the activation is the next step."""
        if x.ndim > 2:  # (N, ..., in): one product over all leading axes, as Keras maps the last one
            return self.forward(x.reshape(-1, x.shape[-1]), training).reshape(*x.shape[:-1], self.units)
        self._x = x
        out = np.matmul(x, self.kernel.value, out=self._buffer("y", (x.shape[0], self.units)))
        if self.bias is not None:
            out += self.bias.value
        return out

    def backward(self, grad_out):
        if grad_out.ndim > 2:
            flat = self.backward(grad_out.reshape(-1, self.units))
            return None if flat is None else flat.reshape(*grad_out.shape[:-1], self.kernel.shape[0])
        kernel = self.kernel.value
        np.matmul(self._x.T, grad_out, out=self.grads["kernel"])
        if self.bias is not None:
            column_sums(grad_out, self.grads["bias"])
        if not self.needs_input_grad:
            return None
        return np.matmul(grad_out, kernel.T, out=self._buffer("dx", self._x.shape))

    def get_config(self):
        return {"units": self.units,
                "activation": self.activation_config(),
                "use_bias": self.use_bias,
                "kernel_initializer": serialize(self.kernel_initializer),
                "bias_initializer": serialize(self.bias_initializer),
                "kernel_regularizer": serialize_optional(self.kernel_regularizer),
                "bias_regularizer": serialize_optional(self.bias_regularizer), **super().get_config()}

    def keras_layers(self, name=None):
        inline = self.keras_activation()
        config = {"units": self.units, "activation": inline or "linear", "use_bias": self.use_bias,
                  "kernel_initializer": keras_objects.initializer(self.kernel_initializer),
                  "bias_initializer": keras_objects.initializer(self.bias_initializer),
                  "kernel_regularizer": keras_objects.regularizer(self.kernel_regularizer),
                  "bias_regularizer": keras_objects.regularizer(self.bias_regularizer), "activity_regularizer": None,
                  "kernel_constraint": None, "bias_constraint": None}
        return self.with_keras_activation([("Dense", name or self.name, config, self.get_weights())])

    def to_onnx(self, g, x):
        y = g.op("MatMul", x, g.constant(self.kernel.value))
        return y if self.bias is None else g.op("Add", y, g.constant(self.bias.value))
