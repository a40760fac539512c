"""Rectifiers: ReLU and its relatives (leaky, exponential-linear, clipped, parametric)."""
from __future__ import annotations

import numpy as np

from ... import backend, initializers, regularizers
from ...registry import serialize, serialize_optional
from .. import keras_objects
from ..base import Layer
from ..base import registry as layer_registry
from .base import ActivationLayer, InputActivation, register_activation


@register_activation("relu")
class ReLU(ActivationLayer):
    """Keras' ReLU: ``y = x`` for ``threshold <= x < max_value``, ``max_value`` above it,
    ``negative_slope * (x - threshold)`` below the threshold (defaults: ``max(x, 0)``).

    Examples
    --------
    >>> ReLU()
    ReLU()
    """

    keras_class = "ReLU"
    keras_arguments = ("max_value", "negative_slope", "threshold")

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0, name: str | None = None,
                 **kwargs):
        super().__init__(name, **kwargs)
        if max_value is not None and max_value < 0:
            raise ValueError(f"ReLU max_value must be >= 0 or None; got {max_value!r}.")
        if negative_slope < 0:
            raise ValueError(f"ReLU negative_slope must be >= 0; got {negative_slope!r}.")
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope, self.threshold = float(negative_slope), float(threshold)
        self._plain = self.max_value is None and self.negative_slope == 0.0 and self.threshold == 0.0
        self._slope = None

    def forward(self, x, training=False):
        if self._plain:
            return super().forward(x, training)
        # dy/dx per entry: 1 between the threshold and max_value, negative_slope below, 0 above.
        slope = self._slope = np.where(x >= self.threshold, 1.0, self.negative_slope).astype(self.dtype)
        out = np.where(x >= self.threshold, x, self.negative_slope * (x - self.threshold)).astype(self.dtype)
        if self.max_value is not None:
            above = x >= self.max_value
            out[above], slope[above] = self.max_value, 0.0
        return out

    def backward(self, grad_out):
        if self._plain:
            return super().backward(grad_out)
        return grad_out * self._slope

    def _f(self, x, out):
        return backend.relu(x, out)

    def _df(self, y, grad, out):
        return backend.relu_backward(y, grad, out)

    def get_config(self):
        return {"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold,
                **super().get_config()}

    def to_onnx(self, g, x):
        if self.negative_slope == 0.0 and self.threshold == 0.0:
            y = g.op("Relu", x)
        else:  # negative_slope * (x - threshold) below the threshold, x from it on
            below = g.op("Mul", g.op("Sub", x, g.constant(self.threshold)), g.constant(self.negative_slope))
            y = g.op("Where", g.op("GreaterOrEqual", x, g.constant(self.threshold)), x, below)
        return y if self.max_value is None else g.op("Min", y, g.constant(self.max_value))


@register_activation("leaky_relu")
class LeakyReLU(ActivationLayer):
    r"""$y = x$ for $x > 0$, $\alpha x$ otherwise, $\alpha$ = `negative_slope` (Keras: 0.3 for the layer,
    0.2 for `activation="leaky_relu"`; `alpha=` is Keras 2's name and still accepted)."""

    keras_class = "LeakyReLU"
    keras_arguments = ("negative_slope",)
    onnx_op = ("LeakyRelu", {}, {"alpha": "negative_slope"})

    def __init__(self, negative_slope: float = 0.3, name: str | None = None, alpha: float | None = None, **kwargs):
        super().__init__(name, **kwargs)
        slope = negative_slope if alpha is None else alpha
        if not 0.0 <= slope < 1.0:
            raise ValueError(f"LeakyReLU negative_slope must be in [0, 1); got {slope!r}.")
        self.negative_slope = float(slope)

    def _f(self, x, out):
        return backend.leaky_relu(x, self.negative_slope, out)

    def _df(self, y, grad, out):
        return backend.leaky_relu_backward(y, grad, self.negative_slope, out)

    def get_config(self):
        return {"negative_slope": self.negative_slope, **super().get_config()}


@register_activation("elu")
class ELU(InputActivation):
    r"""$y = x$ for $x > 0$, $\alpha (e^x - 1)$ otherwise; $dy/dx = 1$ or $y + \alpha$."""

    keras_class = "ELU"
    keras_arguments = ("alpha",)
    onnx_op = ("Elu", {}, {"alpha": "alpha"})

    def __init__(self, alpha: float = 1.0, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.alpha = float(alpha)

    def _value(self, x):
        return np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))

    def _slope(self, x, y):
        return np.where(x > 0, 1.0, y + self.alpha)

    def get_config(self):
        return {"alpha": self.alpha, **super().get_config()}


SELU_ALPHA, SELU_SCALE = 1.67326324, 1.05070098  # Klambauer et al. 2017, Keras' constants


@register_activation("selu")
class SELU(InputActivation):
    r"""$y = \lambda x$ for $x > 0$, $\lambda \alpha (e^x - 1)$ otherwise (Keras' constants $\lambda$, $\alpha$)."""

    keras_activation = "selu"
    onnx_op = ("Selu", {"alpha": SELU_ALPHA, "gamma": SELU_SCALE}, {})

    def _value(self, x):
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    def _slope(self, x, y):
        return np.where(x > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA)


@register_activation("relu6")
class ReLU6(InputActivation):
    r"""$y = \min(\max(x, 0), 6)$; $dy/dx = 1$ for $0 < x < 6$, else 0."""

    keras_activation = "relu6"

    def _value(self, x):
        return np.clip(x, 0.0, 6.0)

    def _slope(self, x, y):
        return ((x > 0) & (x < 6.0)).astype(x.dtype)

    def to_onnx(self, g, x):
        return g.op("Clip", x, g.constant(0.0), g.constant(6.0))


@register_activation("celu")
class CELU(InputActivation):
    r"""$y = \max(x, 0) + \alpha \left(e^{\min(x, 0) / \alpha} - 1\right)$; $dy/dx = 1$ for $x > 0$, else
    $e^{x / \alpha}$."""

    keras_activation = "celu"
    onnx_op = ("Celu", {}, {"alpha": "alpha"})

    def __init__(self, alpha: float = 1.0, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if not alpha > 0:
            raise ValueError(f"CELU alpha must be > 0; got {alpha!r}.")
        self.alpha = float(alpha)

    def _value(self, x):
        return np.maximum(x, 0) + self.alpha * np.expm1(np.minimum(x, 0) / self.alpha)

    def _slope(self, x, y):
        return np.where(x > 0, 1.0, np.exp(np.minimum(x, 0) / self.alpha))

    def get_config(self):
        return {"alpha": self.alpha, **super().get_config()}


@register_activation("hard_tanh")
class HardTanh(InputActivation):
    r"""$y = \operatorname{clip}(x, -1, 1)$; $dy/dx = 1$ for $-1 < x < 1$, else 0."""

    keras_activation = "hard_tanh"

    def _value(self, x):
        return np.clip(x, -1.0, 1.0)

    def _slope(self, x, y):
        return (np.abs(x) < 1.0).astype(x.dtype)

    def to_onnx(self, g, x):
        return g.op("Clip", x, g.constant(-1.0), g.constant(1.0))


@layer_registry.register()
class PReLU(Layer):
    """Parametric ReLU (He et al. 2015): ``y = x`` for x > 0, ``alpha * x`` otherwise, with `alpha`
    learned per entry of the sample, or shared along `shared_axes` (Keras' 1-based axes of the input).

    Shapes
    ------
    x, y ``(N, *shape)``; alpha `shape` with the shared axes set to 1.

    Backward
    --------
    ``d_alpha = sum over the batch and shared axes of g * min(x, 0)``; ``dx = g`` where x > 0, else
    ``g * alpha``.

    Examples
    --------
    >>> PReLU(shared_axes=[1])
    PReLU(shared_axes=[1])
    """

    keras_class = "PReLU"
    keras_arguments = ("alpha_initializer", "alpha_regularizer", "shared_axes")

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if alpha_constraint is not None:
            raise ValueError(f"PReLU does not support weight constraints (minikeras has none); got "
                             f"alpha_constraint={alpha_constraint!r}.")
        if shared_axes is not None and not isinstance(shared_axes, (list, tuple)):
            shared_axes = [shared_axes]
        self.shared_axes = None if shared_axes is None else [int(axis) for axis in shared_axes]
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self._x = None

    def _alpha_shape(self, input_shape):
        shape = list(input_shape)
        for axis in self.shared_axes or ():
            if not 1 <= axis <= len(shape):
                raise ValueError(f"PReLU shared_axes must be input axes 1..{len(shape)} (0 is the batch); got "
                                 f"{self.shared_axes} for per-sample shape {tuple(input_shape)}.")
            shape[axis - 1] = 1
        return tuple(shape)

    def output_shape(self, input_shape):
        self._alpha_shape(input_shape)
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self.alpha = self.add_weight(self._alpha_shape(self.input_shape), self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, name="alpha")

    def forward(self, x, training=False):
        self._x = x
        out = self._buffer("y", x.shape)
        np.minimum(x, 0, out=out)
        out *= self.alpha.value
        out += np.maximum(x, 0)
        return out

    def backward(self, grad_out):
        x = self._x
        reduced = (0, *(self.shared_axes or ()))
        self.grads["alpha"][...] = np.add.reduce(grad_out * np.minimum(x, 0), axis=reduced, keepdims=True)[0]
        if not self.needs_input_grad:
            return None
        return np.multiply(grad_out, np.where(x > 0, 1, self.alpha.value), out=self._buffer("dx", x.shape))

    def get_config(self):
        return {"alpha_initializer": serialize(self.alpha_initializer),
                "alpha_regularizer": serialize_optional(self.alpha_regularizer),
                "shared_axes": self.shared_axes, **super().get_config()}

    def keras_layers(self, name=None):
        config = {"alpha_initializer": keras_objects.initializer(self.alpha_initializer),
                  "alpha_regularizer": keras_objects.regularizer(self.alpha_regularizer), "alpha_constraint": None,
                  "shared_axes": self.shared_axes}
        return [("PReLU", name or self.name, config, self.get_weights())]

    def to_onnx(self, g, x):
        return g.op("PRelu", x, g.constant(self.alpha.value))
