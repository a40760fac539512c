"""Keras' ``keras.activations``: the activations as functions on arrays, and by name.

Each function computes its activation on a numpy array (through the activation layer of the same
name); passed as ``Dense(64, activation=activations.relu)`` it stands for that layer, whose
backward pass the training engine runs.

>>> relu(np.array([[-1.0, 2.0]]))
array([[0., 2.]])
"""
from __future__ import annotations

import numpy as np

from .layers import activations as _layers

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "scaled_tanh", "softmax", "log_softmax", "gelu", "linear", "elu", "selu", "silu",
           "swish", "softplus", "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "mish", "relu6", "exponential",
           "get"]


def relu(x, negative_slope: float = 0.0, max_value=None, threshold: float = 0.0) -> np.ndarray:
    """``max(x, 0)``, with Keras' optional slope below `threshold` and cap at `max_value`."""
    return _layers.ReLU(max_value=max_value, negative_slope=negative_slope, threshold=threshold)(x)


def leaky_relu(x, negative_slope: float = 0.2) -> np.ndarray:
    """``x`` where positive, ``negative_slope * x`` elsewhere (Keras' function default 0.2)."""
    return _layers.LeakyReLU(negative_slope=negative_slope)(x)


def sigmoid(x) -> np.ndarray:
    """``1 / (1 + exp(-x))``."""
    return _layers.Sigmoid()(x)


def tanh(x) -> np.ndarray:
    """``tanh(x)``."""
    return _layers.Tanh()(x)


def scaled_tanh(x) -> np.ndarray:
    """LeCun's ``1.7159 tanh(2x / 3)``."""
    return _layers.ScaledTanh()(x)


def softmax(x, axis: int = -1) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along `axis` (rows of ``(N, C)`` arrays by default)."""
    return _layers.Softmax(axis=axis)(x)


def log_softmax(x, axis: int = -1) -> np.ndarray:
    """``x - log sum(exp(x))`` along `axis`: the log of `softmax`, computed without underflow."""
    return _layers.LogSoftmax(axis=axis)(x)


def gelu(x, approximate: bool = False) -> np.ndarray:
    """``x * Phi(x)`` for the standard normal CDF ``Phi``; ``approximate=True`` uses the tanh form
    ``x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))) / 2``."""
    return _layers.GELU(approximate=approximate)(x)


def linear(x) -> np.ndarray:
    """``x`` itself."""
    return np.asarray(x)


def elu(x, alpha: float = 1.0) -> np.ndarray:
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere."""
    return _layers.ELU(alpha=alpha)(x)


def _elementwise(name: str, layer_class: type, formula: str):
    """The function form of a parameterless activation layer."""

    def activation(x) -> np.ndarray:
        return layer_class()(x)

    activation.__name__ = activation.__qualname__ = name
    activation.__doc__ = f"``{formula}``."
    return activation


selu = _elementwise("selu", _layers.SELU, "scale * elu(x, alpha)")
silu = _elementwise("silu", _layers.Swish, "x * sigmoid(x)")
swish = _elementwise("swish", _layers.Swish, "x * sigmoid(x)")
softplus = _elementwise("softplus", _layers.Softplus, "log(1 + exp(x))")
softsign = _elementwise("softsign", _layers.Softsign, "x / (1 + |x|)")
hard_sigmoid = _elementwise("hard_sigmoid", _layers.HardSigmoid, "relu6(x + 3) / 6")
hard_silu = _elementwise("hard_silu", _layers.HardSwish, "x * relu6(x + 3) / 6")
hard_swish = _elementwise("hard_swish", _layers.HardSwish, "x * relu6(x + 3) / 6")
mish = _elementwise("mish", _layers.Mish, "x * tanh(softplus(x))")
relu6 = _elementwise("relu6", _layers.ReLU6, "min(max(x, 0), 6)")
exponential = _elementwise("exponential", _layers.Exponential, "exp(x)")


def get(identifier):
    """The activation function named `identifier` (a function of this module is returned as it is)."""
    if callable(identifier) and getattr(identifier, "__name__", None) in __all__:
        return identifier
    if isinstance(identifier, str) and identifier in __all__ and identifier != "get":
        return globals()[identifier]
    raise ValueError(f"Unknown activation {identifier!r}. Expected one of: {', '.join(__all__[:-1])}.")
