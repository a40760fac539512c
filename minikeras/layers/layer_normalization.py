"""Layer normalization (Ba, Kiros & Hinton 2016)."""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..registry import serialize, serialize_optional
from . import keras_objects
from .base import Layer, registry


def per_sample_axes(layer: str, axis, input_shape) -> tuple[int, ...]:
    """Keras' `axis` (an int or a list; 0 is the batch, -1 the last) as sorted axes of the batch
    array, all of them per-sample axes."""
    rank = len(input_shape) + 1
    axes = [axis] if isinstance(axis, (int, np.integer)) else list(axis)
    if not axes or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) or not -rank < a < rank
                       or a % rank == 0 for a in axes):
        raise ValueError(f"{layer} axis must name per-sample axes of inputs of shape "
                         f"(N, {', '.join(map(str, input_shape))}): ints in 1..{rank - 1} or -1..-{rank - 1}; "
                         f"got {axis!r}.")
    return tuple(sorted({int(a) % rank for a in axes}))


@registry.register("layer_norm")
class LayerNormalization(Layer):
    r"""Normalize each sample over `axis`, then scale and shift (Keras 3's arguments and defaults).

    With means over the normalized axes: $\mu = \overline{x}$, $\sigma^2 = \overline{(x - \mu)^2}$,
    $\hat{x} = (x - \mu) / \sqrt{\sigma^2 + \epsilon}$, $y = \gamma \hat{x} + \beta$ — the same in
    training and inference.

    Shapes
    ------
    x, y ``(N, ...)``; gamma and beta: the sizes of the normalized axes (``(D,)`` for ``(N, D)``).

    Backward
    --------
    Sums over the other axes: $\partial L / \partial \gamma = \sum g \hat{x}$,
    $\partial L / \partial \beta = \sum g$; with $h = g \gamma$ and means over the normalized axes,
    $\partial L / \partial x = \left(h - \bar{h} - \hat{x}\, \overline{h \hat{x}}\right) / \sqrt{\sigma^2 + \epsilon}$.

    Examples
    --------
    >>> LayerNormalization(epsilon=1e-5)
    LayerNormalization(epsilon=1e-05)
    """

    keras_class = "LayerNormalization"
    keras_arguments = ("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                       "beta_regularizer", "gamma_regularizer")

    def __init__(self, axis=-1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, name: str | None = None, **kwargs):
        if kwargs.pop("rms_scaling", False):
            raise ValueError("rms_scaling=True is deprecated in Keras (it scales by the variance); use "
                             "LayerNormalization without it.")
        super().__init__(name, **kwargs)
        if beta_constraint is not None or gamma_constraint is not None:
            raise ValueError(f"LayerNormalization does not support weight constraints (minikeras has none); got "
                             f"beta_constraint={beta_constraint!r}, gamma_constraint={gamma_constraint!r}.")
        if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or not epsilon > 0:
            raise ValueError(f"LayerNormalization epsilon must be a number > 0; got {epsilon!r}.")
        self.axis = axis if isinstance(axis, (int, np.integer)) else list(axis)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self._axes = self._other_axes = ()
        self._broadcast = ()
        self._x_hat = self._inv_std = None

    def output_shape(self, input_shape):
        per_sample_axes("LayerNormalization", self.axis, input_shape)
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._axes = per_sample_axes("LayerNormalization", self.axis, self.input_shape)
        self._other_axes = tuple(a for a in range(len(self.input_shape) + 1) if a not in self._axes)
        shape = tuple(self.input_shape[a - 1] for a in self._axes)
        self._broadcast = tuple(size if a in self._axes else 1 for a, size in enumerate(self.input_shape, start=1))
        self.gamma = self.add_weight(shape, self.gamma_initializer, regularizer=self.gamma_regularizer,
                                     name="gamma") if self.scale else None
        self.beta = self.add_weight(shape, self.beta_initializer, regularizer=self.beta_regularizer,
                                    name="beta") if self.center else None

    @property
    def normalized_axes(self) -> tuple[int, ...]:
        """The axes of the batch array normalized over (set by `build`)."""
        return self._axes

    def broadcast_param(self, name: str):
        """``gamma`` or ``beta`` shaped to broadcast against a batch."""
        return getattr(self, name).value.reshape(self._broadcast)

    def forward(self, x, training=False):
        axes = self._axes
        centered = np.subtract(x, x.mean(axis=axes, keepdims=True), out=self._buffer("x_hat", x.shape))
        variance = np.mean(np.square(centered), axis=axes, keepdims=True)
        self._inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        self._x_hat = np.multiply(centered, self._inv_std, out=centered)
        out = self._buffer("y", x.shape)
        out[...] = self._x_hat
        if self.scale:
            out *= self.broadcast_param("gamma")
        if self.center:
            out += self.broadcast_param("beta")
        return out

    def backward(self, grad_out):
        x_hat, axes = self._x_hat, self._axes
        if self.scale:
            self.grads["gamma"][...] = np.add.reduce(grad_out * x_hat, axis=self._other_axes).reshape(
                self.grads["gamma"].shape)
        if self.center:
            self.grads["beta"][...] = np.add.reduce(grad_out, axis=self._other_axes).reshape(
                self.grads["beta"].shape)
        if not self.needs_input_grad:
            return None
        h = grad_out * self.broadcast_param("gamma") if self.scale else grad_out
        out = np.subtract(h, h.mean(axis=axes, keepdims=True), out=self._buffer("dx", grad_out.shape))
        out -= x_hat * np.mean(h * x_hat, axis=axes, keepdims=True)
        out *= self._inv_std
        return out

    def get_config(self):
        return {"axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                "beta_initializer": serialize(self.beta_initializer),
                "gamma_initializer": serialize(self.gamma_initializer),
                "beta_regularizer": serialize_optional(self.beta_regularizer),
                "gamma_regularizer": serialize_optional(self.gamma_regularizer),
                **super().get_config()}

    def keras_layers(self, name=None):
        config = {"axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
                  "beta_initializer": keras_objects.initializer(self.beta_initializer),
                  "gamma_initializer": keras_objects.initializer(self.gamma_initializer),
                  "beta_regularizer": keras_objects.regularizer(self.beta_regularizer),
                  "gamma_regularizer": keras_objects.regularizer(self.gamma_regularizer)}
        return [("LayerNormalization", name or self.name, config, self.get_weights())]

    def to_onnx(self, g, x):
        axes = list(self.normalized_axes)
        centered = g.op("Sub", x, g.op("ReduceMean", x, axes=axes, keepdims=1))
        variance = g.op("ReduceMean", g.op("Mul", centered, centered), axes=axes, keepdims=1)
        y = g.op("Div", centered, g.op("Sqrt", g.op("Add", variance, g.constant(self.epsilon))))
        if self.scale:
            y = g.op("Mul", y, g.constant(self.broadcast_param("gamma")))
        if self.center:
            y = g.op("Add", y, g.constant(self.broadcast_param("beta")))
        return y
