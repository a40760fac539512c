"""Shrinkage and threshold activations: zero (or a value) inside a band, the input outside."""
from __future__ import annotations

import numpy as np

from .base import InputActivation, register_activation


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

    keras_activation = "hard_shrink"
    onnx_op = ("Shrink", {"bias": 0.0}, {"lambd": "threshold"})

    def _value(self, x):
        return np.where(np.abs(x) > self.threshold, x, 0.0)

    def _slope(self, x, y):
        return (np.abs(x) > self.threshold).astype(x.dtype)


@register_activation("soft_shrink")
class SoftShrink(ThresholdedActivation):
    r"""$y = x - \theta$ above the `threshold` $\theta$, $x + \theta$ below $-\theta$, else 0;
    $dy/dx = 1$ outside $[-\theta, \theta]$, else 0."""

    keras_activation = "soft_shrink"
    onnx_op = ("Shrink", {}, {"lambd": "threshold", "bias": "threshold"})

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

    def to_onnx(self, g, x):
        return g.op("Where", g.op("Greater", x, g.constant(self.threshold)), x, g.constant(self.default_value))
