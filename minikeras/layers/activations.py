"""Activation layers: thin wrappers around the kernels in `minikeras.ops`.

Each caches its output ``y`` and writes the derivative from it. `registry` maps activation
names (``"relu"``) to these classes; the layer registry knows them by class name (``"ReLU"``).
"""
from __future__ import annotations

from .. import ops
from ..registry import Registry
from .base import Layer
from .base import registry as layer_registry


class Activation(Layer):
    """Elementwise ``y = f(x)``; backward ``dx = g * f'(x)`` written from ``y``.

    Shapes: x, y, g, dx all ``(N, ...)``.
    """

    def __init__(self, name: str | None = None):
        super().__init__(name)
        self._y = None

    def _f(self, x, out):
        raise NotImplementedError

    def _df(self, y, grad, out):
        raise NotImplementedError

    def forward(self, x, training=False):
        self._y = self._f(x, out=self._buffer("y", x.shape))
        return self._y

    def backward(self, grad_out):
        return self._df(self._y, grad_out, out=self._buffer("dx", grad_out.shape))


registry = Registry("activation", Activation, class_names=False)


def register_activation(name: str):
    """Class decorator: an activation layer found as `name` (``add_layer(10, name)``) and, in configs
    and model files, by its class name."""

    def add(cls: type) -> type:
        registry.add(cls, name)
        layer_registry.add(cls)
        return cls

    return add


@register_activation("relu")
class ReLU(Activation):
    """``y = max(x, 0)``.

    >>> ReLU()
    ReLU()
    """

    def _f(self, x, out):
        return ops.relu(x, out)

    def _df(self, y, grad, out):
        return ops.relu_backward(y, grad, out)


@register_activation("leaky_relu")
class LeakyReLU(Activation):
    """``y = x`` for x > 0, ``alpha * x`` otherwise (0 <= alpha < 1)."""

    def __init__(self, alpha: float = 0.01, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= alpha < 1.0:
            raise ValueError(f"LeakyReLU alpha must be in [0, 1); got {alpha!r}.")
        self.alpha = float(alpha)

    def _f(self, x, out):
        return ops.leaky_relu(x, self.alpha, out)

    def _df(self, y, grad, out):
        return ops.leaky_relu_backward(y, grad, self.alpha, out)

    def get_config(self):
        return {"alpha": self.alpha, "name": self.name}


@register_activation("sigmoid")
class Sigmoid(Activation):
    """``y = 1 / (1 + exp(-x))``; ``dy/dx = y (1 - y)``."""

    def _f(self, x, out):
        return ops.sigmoid(x, out)

    def _df(self, y, grad, out):
        return ops.sigmoid_backward(y, grad, out)


@register_activation("tanh")
class Tanh(Activation):
    """``y = tanh(x)``; ``dy/dx = 1 - y^2``."""

    def _f(self, x, out):
        return ops.tanh(x, out)

    def _df(self, y, grad, out):
        return ops.tanh_backward(y, grad, out)


@register_activation("scaled_tanh")
class ScaledTanh(Activation):
    """LeCun's improved sigmoid ``y = 1.7159 * tanh(2x / 3)`` (Efficient BackProp, 1998)."""

    def _f(self, x, out):
        return ops.scaled_tanh(x, out)

    def _df(self, y, grad, out):
        return ops.scaled_tanh_backward(y, grad, out)


@register_activation("softmax")
class Softmax(Activation):
    """Row-wise ``y = exp(x) / sum(exp(x))``; backward ``dx = y * (g - sum(g * y))``.

    Followed by the categorical cross-entropy loss, the model fuses the two and never runs
    this backward (the gradient of the pair with respect to the logits is ``p - y``).
    """

    def output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"Softmax expects flat inputs (N, classes); got per-sample shape "
                             f"{tuple(input_shape)}.")
        return tuple(input_shape)

    def _f(self, x, out):
        return ops.softmax(x, out)

    def _df(self, y, grad, out):
        return ops.softmax_backward(y, grad, out)


@register_activation("linear")
class Linear(Activation):
    """Identity ``y = x`` (what ``activation="linear"`` adds)."""

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


def get(spec) -> Layer:
    """An activation layer from a name in `registry` (``"relu"``), a layer class or a layer instance."""
    return registry.get(spec) if isinstance(spec, str) else layer_registry.get(spec)
