"""Activation layers: thin wrappers around the kernels in `minikeras.backend`, and Keras' `Activation`.

Each caches its output ``y`` and writes the derivative from it where it can. `registry` maps
activation names (``"relu"``, as in ``Dense(64, activation="relu")``) to these classes; the layer
registry knows them by class name (``"ReLU"``).
"""
from __future__ import annotations

import numpy as np

from .. import initializers, backend, regularizers
from ..registry import Registry, serialize
from .base import Layer
from .base import registry as layer_registry


class ActivationLayer(Layer):
    """Elementwise ``y = f(x)``; backward ``dx = g * f'(x)`` written from ``y``.

    Shapes: x, y, g, dx all ``(N, ...)``.
    """

    def __init__(self, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
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


registry = Registry("activation", ActivationLayer, class_names=False)
# Keras' activation *functions* and its layers differ in a default: leaky_relu's slope is 0.2, LeakyReLU's 0.3.
FUNCTION_DEFAULTS = {"leaky_relu": {"negative_slope": 0.2}}


def register_activation(*names: str):
    """Class decorator: an activation layer found by each of `names` (``Dense(10, activation=name)``)
    and, in configs and model files, by its class name."""

    def add(cls: type) -> type:
        registry.add(cls, *names)
        layer_registry.add(cls)
        return cls

    return add


@register_activation("relu")
class ReLU(ActivationLayer):
    """Keras' ReLU: ``y = x`` for ``threshold <= x < max_value``, ``max_value`` above it,
    ``negative_slope * (x - threshold)`` below the threshold (defaults: ``max(x, 0)``).

    Examples
    --------
    >>> ReLU()
    ReLU()
    """

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


@register_activation("leaky_relu")
class LeakyReLU(ActivationLayer):
    r"""$y = x$ for $x > 0$, $\alpha x$ otherwise, $\alpha$ = `negative_slope` (Keras: 0.3 for the layer,
    0.2 for `activation="leaky_relu"`; `alpha=` is Keras 2's name and still accepted)."""

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


@register_activation("sigmoid")
class Sigmoid(ActivationLayer):
    r"""$y = \sigma(x) = 1 / (1 + e^{-x})$; $dy/dx = y (1 - y)$.

    Followed by the binary cross-entropy loss, the model fuses the two (gradient ``y - t``)."""

    def _f(self, x, out):
        return backend.sigmoid(x, out)

    def _df(self, y, grad, out):
        return backend.sigmoid_backward(y, grad, out)


@register_activation("tanh")
class Tanh(ActivationLayer):
    r"""$y = \tanh x$; $dy/dx = 1 - y^2$."""

    def _f(self, x, out):
        return backend.tanh(x, out)

    def _df(self, y, grad, out):
        return backend.tanh_backward(y, grad, out)


@register_activation("scaled_tanh")
class ScaledTanh(ActivationLayer):
    """LeCun's improved sigmoid ``y = 1.7159 * tanh(2x / 3)`` (Efficient BackProp, 1998)."""

    def _f(self, x, out):
        return backend.scaled_tanh(x, out)

    def _df(self, y, grad, out):
        return backend.scaled_tanh_backward(y, grad, out)


class AxisActivation(ActivationLayer):
    """An activation computed along one axis of each sample: `axis` counts the batch axis, as in
    Keras (``-1``, the default, is the last; the batch axis 0 cannot be chosen)."""

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} axis must be an int; got {axis!r}.")
        self.axis = int(axis)
        self._axis = -1

    def output_shape(self, input_shape):
        rank = len(input_shape) + 1
        if not -rank < self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{type(self).__name__} axis must be one of the per-sample axes of inputs of shape "
                             f"(N, {', '.join(map(str, input_shape))}): 1..{rank - 1} or -1..-{rank - 1}; "
                             f"got axis={self.axis}.")
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._axis = self.axis % (len(self.input_shape) + 1)

    @property
    def resolved_axis(self) -> int:
        """`axis` as a non-negative axis of the batch array (set by `build`)."""
        return self._axis

    @property
    def over_last_axis(self) -> bool:
        """Whether it runs over the class axis of ``(N, classes)`` outputs (so a loss can fuse with it)."""
        return self.input_shape is not None and len(self.input_shape) == 1

    def get_config(self):
        return {"axis": self.axis, **super().get_config()}


@register_activation("softmax")
class Softmax(AxisActivation):
    r"""$y_i = e^{x_i} / \sum_j e^{x_j}$ along `axis`; backward
    $\partial L / \partial x = y \odot \left(g - \sum_j g_j y_j\right)$.

    Followed by the categorical cross-entropy loss on ``(N, classes)`` outputs, the model fuses
    the two and never runs this backward (the gradient of the pair at the logits is ``p - y``).

    Examples
    --------
    >>> Softmax(axis=1)
    Softmax(axis=1)
    """

    def _f(self, x, out):
        return backend.softmax(x, out, self._axis)

    def _df(self, y, grad, out):
        return backend.softmax_backward(y, grad, out, self._axis)


@register_activation("log_softmax")
class LogSoftmax(AxisActivation):
    r"""$y = x - \log \sum_j e^{x_j}$ along `axis` (Keras' `log_softmax` activation);
    backward $\partial L / \partial x = g - \operatorname{softmax}(x) \sum_j g_j$."""

    def _f(self, x, out):
        return backend.log_softmax(x, out, self._axis)

    def _df(self, y, grad, out):
        return backend.log_softmax_backward(y, grad, out, self._axis)


@register_activation("sparsemax")
class Sparsemax(AxisActivation):
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection of x onto the probability
    simplex along `axis`, ``y = max(x - tau, 0)`` with ``tau`` such that ``sum(y) = 1`` (many
    outputs are exactly 0). Backward, with ``S`` the support (y > 0):
    ``dx = S * (g - sum(g * S) / sum(S))``."""

    def _f(self, x, out):
        z = np.moveaxis(x, self._axis, -1)
        ranked = -np.sort(-z, axis=-1)
        cumulative = np.cumsum(ranked, axis=-1)
        rank = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        support = np.add.reduce(1.0 + rank * ranked > cumulative, axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumulative, support - 1, axis=-1) - 1.0) / support
        np.maximum(z - tau, 0.0, out=np.moveaxis(out, self._axis, -1))
        return out

    def _df(self, y, grad, out):
        support = (y > 0).astype(y.dtype)
        mean = np.add.reduce(grad * support, axis=self._axis, keepdims=True) / np.add.reduce(
            support, axis=self._axis, keepdims=True)
        return np.multiply(support, grad - mean, out=out)


@register_activation("glu")
class GLU(AxisActivation):
    """Gated linear unit (Dauphin et al. 2017): with ``a, b`` the two halves of x along `axis`,
    ``y = a * sigmoid(b)`` (half as wide); backward ``da = g * sigmoid(b)``,
    ``db = g * a * sigmoid(b) (1 - sigmoid(b))``."""

    def output_shape(self, input_shape):
        super().output_shape(input_shape)
        position = self.axis % (len(input_shape) + 1) - 1
        if input_shape[position] % 2:
            raise ValueError(f"GLU splits axis {self.axis} in two halves: its size must be even; got per-sample "
                             f"shape {tuple(input_shape)}.")
        shape = list(input_shape)
        shape[position] //= 2
        return tuple(shape)

    def forward(self, x, training=False):
        self._x = x
        linear, gate = np.split(x, 2, axis=self._axis)
        self._gate = _sigmoid(gate)
        return np.multiply(linear, self._gate, out=self._buffer("y", linear.shape))

    def backward(self, grad_out):
        out = self._buffer("dx", self._x.shape)
        d_linear, d_gate = np.split(out, 2, axis=self._axis)
        np.multiply(grad_out, self._gate, out=d_linear)
        linear = np.split(self._x, 2, axis=self._axis)[0]
        np.multiply(grad_out * linear, self._gate * (1.0 - self._gate), out=d_gate)
        return out


class InputActivation(ActivationLayer):
    """Elementwise ``y = f(x)`` whose derivative needs the input: backward ``dx = g * f'(x)``."""

    def __init__(self, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self._x = None

    def _value(self, x):
        raise NotImplementedError

    def _slope(self, x, y):
        raise NotImplementedError

    def forward(self, x, training=False):
        self._x = x
        out = self._buffer("y", x.shape)
        out[...] = self._value(x)
        self._y = out
        return out

    def backward(self, grad_out):
        out = self._buffer("dx", grad_out.shape)
        np.multiply(grad_out, self._slope(self._x, self._y), out=out)
        return out


def _sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@register_activation("elu")
class ELU(InputActivation):
    r"""$y = x$ for $x > 0$, $\alpha (e^x - 1)$ otherwise; $dy/dx = 1$ or $y + \alpha$."""

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

    def _value(self, x):
        return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    def _slope(self, x, y):
        return np.where(x > 0, SELU_SCALE, y + SELU_SCALE * SELU_ALPHA)


@register_activation("silu", "swish")
class Swish(InputActivation):
    r"""$y = x \sigma(x)$; $dy/dx = s (1 + x (1 - s))$ with $s = \sigma(x)$."""

    def _value(self, x):
        return x * _sigmoid(x)

    def _slope(self, x, y):
        s = _sigmoid(x)
        return s * (1.0 + x * (1.0 - s))


@register_activation("softplus")
class Softplus(InputActivation):
    r"""$y = \log(1 + e^x)$ (computed without overflow); $dy/dx = \sigma(x)$."""

    def _value(self, x):
        return np.logaddexp(0.0, x)

    def _slope(self, x, y):
        return _sigmoid(x)


@register_activation("softsign")
class Softsign(InputActivation):
    r"""$y = x / (1 + \lvert x \rvert)$; $dy/dx = 1 / (1 + \lvert x \rvert)^2$."""

    def _value(self, x):
        return x / (1.0 + np.abs(x))

    def _slope(self, x, y):
        return 1.0 / np.square(1.0 + np.abs(x))


@register_activation("hard_sigmoid")
class HardSigmoid(InputActivation):
    r"""Keras 3's $y = \operatorname{relu6}(x + 3) / 6$; $dy/dx = 1/6$ for $-3 < x < 3$, else 0."""

    def _value(self, x):
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def _slope(self, x, y):
        return np.where(np.abs(x) < 3.0, 1.0 / 6.0, 0.0)


@register_activation("hard_silu", "hard_swish")
class HardSwish(InputActivation):
    r"""$y = x \operatorname{relu6}(x + 3) / 6$; $dy/dx = \operatorname{relu6}(x + 3) / 6 + x / 6$ for $-3 < x < 3$."""

    def _value(self, x):
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def _slope(self, x, y):
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0 + np.where(np.abs(x) < 3.0, x / 6.0, 0.0)


@register_activation("mish")
class Mish(InputActivation):
    r"""$y = x \tanh(\operatorname{softplus} x)$; $dy/dx = t + x (1 - t^2) \sigma(x)$ with
    $t = \tanh(\operatorname{softplus} x)$."""

    def _value(self, x):
        return x * np.tanh(np.logaddexp(0.0, x))

    def _slope(self, x, y):
        t = np.tanh(np.logaddexp(0.0, x))
        return t + x * (1.0 - t * t) * _sigmoid(x)


GELU_TANH_COEFFICIENT = 0.044715  # Hendrycks & Gimpel 2016, as Keras and PyTorch


@register_activation("gelu")
class GELU(InputActivation):
    r"""Gaussian error linear unit (Hendrycks & Gimpel 2016), Keras' `gelu`.

    Exact (`approximate=False`, the default): $y = x \Phi(x)$ with
    $\Phi(x) = \left(1 + \operatorname{erf}(x / \sqrt{2})\right) / 2$,
    $dy/dx = \Phi(x) + x e^{-x^2/2} / \sqrt{2\pi}$.
    `approximate=True`: $y = x (1 + t) / 2$ with $t = \tanh\left(\sqrt{2/\pi}\, (x + 0.044715 x^3)\right)$,
    $dy/dx = (1 + t) / 2 + x (1 - t^2) \sqrt{2/\pi}\, (1 + 3 \cdot 0.044715 x^2) / 2$.
    """

    def __init__(self, approximate: bool = False, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if not isinstance(approximate, (bool, np.bool_)):
            raise TypeError(f"GELU approximate must be True or False; got {approximate!r}.")
        self.approximate = bool(approximate)

    def _tanh_term(self, x):
        return np.tanh(np.sqrt(2.0 / np.pi) * (x + GELU_TANH_COEFFICIENT * x ** 3))

    def _value(self, x):
        if self.approximate:
            return 0.5 * x * (1.0 + self._tanh_term(x))
        return 0.5 * x * (1.0 + backend.erf(x / np.sqrt(2.0)))

    def _slope(self, x, y):
        if self.approximate:
            t = self._tanh_term(x)
            return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * np.sqrt(2.0 / np.pi) * (
                1.0 + 3.0 * GELU_TANH_COEFFICIENT * x * x)
        return 0.5 * (1.0 + backend.erf(x / np.sqrt(2.0))) + x * np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)

    def get_config(self):
        return {"approximate": self.approximate, **super().get_config()}


@register_activation("relu6")
class ReLU6(InputActivation):
    r"""$y = \min(\max(x, 0), 6)$; $dy/dx = 1$ for $0 < x < 6$, else 0."""

    def _value(self, x):
        return np.clip(x, 0.0, 6.0)

    def _slope(self, x, y):
        return ((x > 0) & (x < 6.0)).astype(x.dtype)


@register_activation("exponential")
class Exponential(InputActivation):
    r"""$y = e^x$; $dy/dx = y$."""

    def _value(self, x):
        return np.exp(x)

    def _slope(self, x, y):
        return y


@register_activation("celu")
class CELU(InputActivation):
    r"""$y = \max(x, 0) + \alpha \left(e^{\min(x, 0) / \alpha} - 1\right)$; $dy/dx = 1$ for $x > 0$, else
    $e^{x / \alpha}$."""

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


class ThresholdedActivation(InputActivation):
    """An elementwise activation with a `threshold` (a number >= 0)."""

    def __init__(self, threshold: float = 0.5, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if not threshold >= 0:
            raise ValueError(f"{type(self).__name__} threshold must be >= 0; got {threshold!r}.")
        self.threshold = float(threshold)

    def get_config(self):
        return {"threshold": self.threshold, **super().get_config()}


@register_activation("hard_shrink")
class HardShrink(ThresholdedActivation):
    r"""$y = x$ where $\lvert x \rvert > \theta$ (`threshold`), else 0; $dy/dx = 1$ there, else 0."""

    def _value(self, x):
        return np.where(np.abs(x) > self.threshold, x, 0.0)

    def _slope(self, x, y):
        return (np.abs(x) > self.threshold).astype(x.dtype)


@register_activation("soft_shrink")
class SoftShrink(ThresholdedActivation):
    r"""$y = x - \theta$ above the `threshold` $\theta$, $x + \theta$ below $-\theta$, else 0;
    $dy/dx = 1$ outside $[-\theta, \theta]$, else 0."""

    def _value(self, x):
        return np.where(x > self.threshold, x - self.threshold, np.where(x < -self.threshold, x + self.threshold, 0.0))

    def _slope(self, x, y):
        return (np.abs(x) > self.threshold).astype(x.dtype)


@register_activation("threshold")
class Threshold(InputActivation):
    r"""$y = x$ where $x > \theta$ (`threshold`), else `default_value`; $dy/dx = 1$ there, else 0
    (Keras' function takes both arguments; the layer defaults to 0 and 0)."""

    def __init__(self, threshold: float = 0.0, default_value: float = 0.0, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.threshold, self.default_value = float(threshold), float(default_value)

    def _value(self, x):
        return np.where(x > self.threshold, x, self.default_value)

    def _slope(self, x, y):
        return (x > self.threshold).astype(x.dtype)

    def get_config(self):
        return {"threshold": self.threshold, "default_value": self.default_value, **super().get_config()}


@register_activation("hard_tanh")
class HardTanh(InputActivation):
    r"""$y = \operatorname{clip}(x, -1, 1)$; $dy/dx = 1$ for $-1 < x < 1$, else 0."""

    def _value(self, x):
        return np.clip(x, -1.0, 1.0)

    def _slope(self, x, y):
        return (np.abs(x) < 1.0).astype(x.dtype)


@register_activation("log_sigmoid")
class LogSigmoid(InputActivation):
    r"""$y = \log \sigma(x) = -\operatorname{softplus}(-x)$; $dy/dx = \sigma(-x)$."""

    def _value(self, x):
        return -np.logaddexp(0.0, -x)

    def _slope(self, x, y):
        return _sigmoid(-x)


@register_activation("sparse_plus")
class SparsePlus(InputActivation):
    r"""$y = 0$ for $x \le -1$, $(x + 1)^2 / 4$ for $-1 < x < 1$, $x$ for $x \ge 1$;
    $dy/dx = 0$, $(x + 1) / 2$, 1."""

    def _value(self, x):
        return np.where(x <= -1.0, 0.0, np.where(x < 1.0, 0.25 * np.square(x + 1.0), x))

    def _slope(self, x, y):
        return np.where(x <= -1.0, 0.0, np.where(x < 1.0, 0.5 * (x + 1.0), 1.0))


@register_activation("sparse_sigmoid")
class SparseSigmoid(InputActivation):
    r"""$y = \operatorname{clip}((x + 1) / 2, 0, 1)$; $dy/dx = 1/2$ for $-1 < x < 1$, else 0."""

    def _value(self, x):
        return np.clip(0.5 * (x + 1.0), 0.0, 1.0)

    def _slope(self, x, y):
        return np.where(np.abs(x) < 1.0, 0.5, 0.0)


@register_activation("squareplus")
class Squareplus(InputActivation):
    r"""$y = \left(x + \sqrt{x^2 + b}\right) / 2$; $dy/dx = \left(1 + x / \sqrt{x^2 + b}\right) / 2$."""

    def __init__(self, b: float = 4.0, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if not b >= 0:
            raise ValueError(f"Squareplus b must be >= 0; got {b!r}.")
        self.b = float(b)

    def _value(self, x):
        return 0.5 * (x + np.sqrt(x * x + self.b))

    def _slope(self, x, y):
        return 0.5 * (1.0 + x / np.sqrt(x * x + self.b))

    def get_config(self):
        return {"b": self.b, **super().get_config()}


@register_activation("tanh_shrink")
class TanhShrink(InputActivation):
    r"""$y = x - \tanh x$; $dy/dx = \tanh^2 x$."""

    def _value(self, x):
        return x - np.tanh(x)

    def _slope(self, x, y):
        return np.square(np.tanh(x))


@register_activation("linear")
class Linear(ActivationLayer):
    """Identity ``y = x`` (what ``activation="linear"`` adds)."""

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


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
                "alpha_regularizer": None if self.alpha_regularizer is None else serialize(self.alpha_regularizer),
                "shared_axes": self.shared_axes, **super().get_config()}


def get(spec) -> Layer:
    """An activation layer from a name in `registry` (``"relu"``), a function of
    `minikeras.activations` (``activations.relu``), a layer class or a layer instance."""
    if callable(spec) and not isinstance(spec, (type, Layer)):
        name = getattr(spec, "__name__", None)
        if getattr(spec, "__module__", None) != "minikeras.activations" or name not in registry.names():
            raise TypeError(f"An activation function must be one of minikeras.activations ({', '.join(registry.names())}), "
                            f"whose backward pass minikeras knows; got {spec!r}. For another one, write a layer.")
        spec = name
    if isinstance(spec, str):
        return registry.get(spec, **FUNCTION_DEFAULTS.get(spec, {}))
    return layer_registry.get(spec)


def name_of(layer: Layer):
    """What a config stores for an activation: its name when it is the name's default, else its config."""
    for name, cls in ((n, registry.lookup(n)) for n in registry.names()):
        if type(layer) is cls and layer.get_config() == {**get(name).get_config(), "name": layer.name}:
            return name
    return serialize(layer)


@layer_registry.register()
class Activation(Layer):
    """Keras' ``layers.Activation(activation)``: applies a named activation (``"relu"``, ``"softmax"``,
    ...) or an activation layer. It runs as that activation (so a final softmax still fuses with
    the cross-entropy).

    Examples
    --------
    >>> Activation("relu")
    Activation(activation='relu')
    """

    def __init__(self, activation, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if isinstance(activation, Layer) and not isinstance(activation, ActivationLayer):
            raise TypeError(f"Activation takes an activation name or layer; got {activation!r}.")
        self.activation = get(activation)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self.activation.name = f"{self.name}_{type(self.activation).__name__.lower()}"
        self.activation.build(input_shape, rng, dtype)

    def output_shape(self, input_shape):
        return self.activation.output_shape(input_shape)

    def steps(self):
        return [self.activation]

    def forward(self, x, training=False):
        return self.activation.forward(x, training)

    def backward(self, grad_out):
        return self.activation.backward(grad_out)

    def get_config(self):
        return {"activation": name_of(self.activation), **super().get_config()}
