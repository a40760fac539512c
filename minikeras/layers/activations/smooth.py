"""Smooth and saturating activations: sigmoid, tanh and their relatives, GELU, softplus, ..."""
from __future__ import annotations

import numpy as np

from ... import backend
from ...backend.kernels import SCALED_TANH_A, SCALED_TANH_B
from .base import ActivationLayer, InputActivation, register_activation, stable_sigmoid


@register_activation("sigmoid")
class Sigmoid(ActivationLayer):
    r"""$y = \sigma(x) = 1 / (1 + e^{-x})$; $dy/dx = y (1 - y)$.

    Followed by the binary cross-entropy loss, the model fuses the two (gradient ``y - t``)."""

    keras_activation = "sigmoid"
    onnx_op = ("Sigmoid", {}, {})

    def _f(self, x, out):
        return backend.sigmoid(x, out)

    def _df(self, y, grad, out):
        return backend.sigmoid_backward(y, grad, out)


@register_activation("tanh")
class Tanh(ActivationLayer):
    r"""$y = \tanh x$; $dy/dx = 1 - y^2$."""

    keras_activation = "tanh"
    onnx_op = ("Tanh", {}, {})

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

    def keras_layers(self, name=None):
        """Keras has no 1.7159 tanh(2x/3), but a chain of three layers computes it."""
        name = name or self.name
        return [("Rescaling", f"{name}_in", {"scale": SCALED_TANH_B, "offset": 0.0}, []),
                ("Activation", name, {"activation": "tanh"}, []),
                ("Rescaling", f"{name}_out", {"scale": SCALED_TANH_A, "offset": 0.0}, [])]

    def to_onnx(self, g, x):
        inner = g.op("Tanh", g.op("Mul", x, g.constant(SCALED_TANH_B)))
        return g.op("Mul", inner, g.constant(SCALED_TANH_A))


@register_activation("silu", "swish")
class Swish(InputActivation):
    r"""$y = x \sigma(x)$; $dy/dx = s (1 + x (1 - s))$ with $s = \sigma(x)$."""

    keras_activation = "silu"

    def _value(self, x):
        return x * stable_sigmoid(x)

    def _slope(self, x, y):
        s = stable_sigmoid(x)
        return s * (1.0 + x * (1.0 - s))

    def to_onnx(self, g, x):
        return g.op("Mul", x, g.op("Sigmoid", x))


@register_activation("softplus")
class Softplus(InputActivation):
    r"""$y = \log(1 + e^x)$ (computed without overflow); $dy/dx = \sigma(x)$."""

    keras_activation = "softplus"
    onnx_op = ("Softplus", {}, {})

    def _value(self, x):
        return np.logaddexp(0.0, x)

    def _slope(self, x, y):
        return stable_sigmoid(x)


@register_activation("softsign")
class Softsign(InputActivation):
    r"""$y = x / (1 + \lvert x \rvert)$; $dy/dx = 1 / (1 + \lvert x \rvert)^2$."""

    keras_activation = "softsign"
    onnx_op = ("Softsign", {}, {})

    def _value(self, x):
        return x / (1.0 + np.abs(x))

    def _slope(self, x, y):
        return 1.0 / np.square(1.0 + np.abs(x))


@register_activation("hard_sigmoid")
class HardSigmoid(InputActivation):
    r"""Keras 3's $y = \operatorname{relu6}(x + 3) / 6$; $dy/dx = 1/6$ for $-3 < x < 3$, else 0."""

    keras_activation = "hard_sigmoid"
    onnx_op = ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}, {})

    def _value(self, x):
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def _slope(self, x, y):
        return np.where(np.abs(x) < 3.0, 1.0 / 6.0, 0.0)


@register_activation("hard_silu", "hard_swish")
class HardSwish(InputActivation):
    r"""$y = x \operatorname{relu6}(x + 3) / 6$; $dy/dx = \operatorname{relu6}(x + 3) / 6 + x / 6$ for $-3 < x < 3$."""

    keras_activation = "hard_silu"
    onnx_op = ("HardSwish", {}, {})

    def _value(self, x):
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0

    def _slope(self, x, y):
        return np.clip(x + 3.0, 0.0, 6.0) / 6.0 + np.where(np.abs(x) < 3.0, x / 6.0, 0.0)


@register_activation("mish")
class Mish(InputActivation):
    r"""$y = x \tanh(\operatorname{softplus} x)$; $dy/dx = t + x (1 - t^2) \sigma(x)$ with
    $t = \tanh(\operatorname{softplus} x)$."""

    keras_activation = "mish"

    def _value(self, x):
        return x * np.tanh(np.logaddexp(0.0, x))

    def _slope(self, x, y):
        t = np.tanh(np.logaddexp(0.0, x))
        return t + x * (1.0 - t * t) * stable_sigmoid(x)

    def to_onnx(self, g, x):
        return g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))


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

    keras_activation = "gelu"

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

    def to_onnx(self, g, x):
        if self.approximate:
            cubic = g.op("Mul", g.op("Mul", g.op("Mul", x, x), x), g.constant(GELU_TANH_COEFFICIENT))
            gate = g.op("Tanh", g.op("Mul", g.op("Add", x, cubic), g.constant(np.sqrt(2.0 / np.pi))))
        else:
            gate = g.op("Erf", g.op("Div", x, g.constant(np.sqrt(2.0))))
        return g.op("Mul", g.op("Mul", x, g.constant(0.5)), g.op("Add", gate, g.constant(1.0)))


@register_activation("exponential")
class Exponential(InputActivation):
    r"""$y = e^x$; $dy/dx = y$."""

    keras_activation = "exponential"
    onnx_op = ("Exp", {}, {})

    def _value(self, x):
        return np.exp(x)

    def _slope(self, x, y):
        return y


@register_activation("log_sigmoid")
class LogSigmoid(InputActivation):
    r"""$y = \log \sigma(x) = -\operatorname{softplus}(-x)$; $dy/dx = \sigma(-x)$."""

    keras_activation = "log_sigmoid"

    def _value(self, x):
        return -np.logaddexp(0.0, -x)

    def _slope(self, x, y):
        return stable_sigmoid(-x)

    def to_onnx(self, g, x):
        return g.op("Neg", g.op("Softplus", g.op("Neg", x)))


@register_activation("sparse_plus")
class SparsePlus(InputActivation):
    r"""$y = 0$ for $x \le -1$, $(x + 1)^2 / 4$ for $-1 < x < 1$, $x$ for $x \ge 1$;
    $dy/dx = 0$, $(x + 1) / 2$, 1."""

    keras_activation = "sparse_plus"

    def _value(self, x):
        return np.where(x <= -1.0, 0.0, np.where(x < 1.0, 0.25 * np.square(x + 1.0), x))

    def _slope(self, x, y):
        return np.where(x <= -1.0, 0.0, np.where(x < 1.0, 0.5 * (x + 1.0), 1.0))

    def to_onnx(self, g, x):
        shifted = g.op("Add", x, g.constant(1.0))
        square = g.op("Mul", g.op("Mul", shifted, shifted), g.constant(0.25))
        middle_or_top = g.op("Where", g.op("Less", x, g.constant(1.0)), square, x)
        return g.op("Where", g.op("LessOrEqual", x, g.constant(-1.0)), g.constant(0.0), middle_or_top)


@register_activation("sparse_sigmoid")
class SparseSigmoid(InputActivation):
    r"""$y = \operatorname{clip}((x + 1) / 2, 0, 1)$; $dy/dx = 1/2$ for $-1 < x < 1$, else 0."""

    keras_activation = "sparse_sigmoid"

    def _value(self, x):
        return np.clip(0.5 * (x + 1.0), 0.0, 1.0)

    def _slope(self, x, y):
        return np.where(np.abs(x) < 1.0, 0.5, 0.0)

    def to_onnx(self, g, x):
        half = g.op("Mul", g.op("Add", x, g.constant(1.0)), g.constant(0.5))
        return g.op("Clip", half, g.constant(0.0), g.constant(1.0))


@register_activation("squareplus")
class Squareplus(InputActivation):
    r"""$y = \left(x + \sqrt{x^2 + b}\right) / 2$; $dy/dx = \left(1 + x / \sqrt{x^2 + b}\right) / 2$."""

    keras_activation = "squareplus"

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

    def to_onnx(self, g, x):
        root = g.op("Sqrt", g.op("Add", g.op("Mul", x, x), g.constant(self.b)))
        return g.op("Mul", g.op("Add", x, root), g.constant(0.5))


@register_activation("tanh_shrink")
class TanhShrink(InputActivation):
    r"""$y = x - \tanh x$; $dy/dx = \tanh^2 x$."""

    keras_activation = "tanh_shrink"

    def _value(self, x):
        return x - np.tanh(x)

    def _slope(self, x, y):
        return np.square(np.tanh(x))

    def to_onnx(self, g, x):
        return g.op("Sub", x, g.op("Tanh", x))
