"""Keras' ``keras.activations``: the activations as functions on arrays, and by name.

Each function computes its activation on a numpy array (through the activation layer of the same
name); passed as ``Dense(64, activation=activations.relu)`` it stands for that layer, whose
backward pass the training engine runs.

Examples
--------
>>> relu(np.array([[-1.0, 2.0]]))
array([[0., 2.]])
"""
from __future__ import annotations

import numpy as np

from .layers import activations as _layers

_FUNCTIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "scaled_tanh", "softmax", "log_softmax", "gelu", "linear",
              "elu", "selu", "silu", "swish", "softplus", "softsign", "hard_sigmoid", "hard_silu", "hard_swish", "mish",
              "relu6", "exponential", "celu", "hard_shrink", "soft_shrink", "threshold", "squareplus", "glu",
              "sparsemax", "hard_tanh", "log_sigmoid", "sparse_plus", "sparse_sigmoid", "tanh_shrink")
__all__ = [*_FUNCTIONS, "get", "serialize", "deserialize"]


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


def celu(x, alpha: float = 1.0) -> np.ndarray:
    """``max(x, 0) + alpha * (exp(min(x, 0) / alpha) - 1)``."""
    return _layers.CELU(alpha=alpha)(x)


def hard_shrink(x, threshold: float = 0.5) -> np.ndarray:
    """``x`` where ``|x| > threshold``, else 0."""
    return _layers.HardShrink(threshold=threshold)(x)


def soft_shrink(x, threshold: float = 0.5) -> np.ndarray:
    """``x`` moved `threshold` towards 0, and 0 within ``[-threshold, threshold]``."""
    return _layers.SoftShrink(threshold=threshold)(x)


def threshold(x, threshold, default_value) -> np.ndarray:
    """``x`` where ``x > threshold``, else `default_value`."""
    return _layers.Threshold(threshold=threshold, default_value=default_value)(x)


def squareplus(x, b: float = 4) -> np.ndarray:
    """``(x + sqrt(x^2 + b)) / 2``."""
    return _layers.Squareplus(b=b)(x)


def glu(x, axis: int = -1) -> np.ndarray:
    """``a * sigmoid(b)`` for ``a, b`` the two halves of x along `axis`."""
    return _layers.GLU(axis=axis)(x)


def sparsemax(x, axis: int = -1) -> np.ndarray:
    """The projection of x onto the probability simplex along `axis` (a softmax with exact zeros)."""
    return _layers.Sparsemax(axis=axis)(x)


def selu(x) -> np.ndarray:
    r"""$\lambda x$ for $x > 0$, $\lambda \alpha (e^x - 1)$ otherwise (Keras' constants)."""
    return _layers.SELU()(x)


def silu(x) -> np.ndarray:
    r"""$x \sigma(x)$."""
    return _layers.Swish()(x)


def swish(x) -> np.ndarray:
    r"""$x \sigma(x)$ (the same as `silu`)."""
    return _layers.Swish()(x)


def softplus(x) -> np.ndarray:
    r"""$\log(1 + e^x)$."""
    return _layers.Softplus()(x)


def softsign(x) -> np.ndarray:
    r"""$x / (1 + \lvert x \rvert)$."""
    return _layers.Softsign()(x)


def hard_sigmoid(x) -> np.ndarray:
    r"""$\operatorname{relu6}(x + 3) / 6$."""
    return _layers.HardSigmoid()(x)


def hard_silu(x) -> np.ndarray:
    r"""$x \operatorname{relu6}(x + 3) / 6$."""
    return _layers.HardSwish()(x)


def hard_swish(x) -> np.ndarray:
    r"""$x \operatorname{relu6}(x + 3) / 6$ (the same as `hard_silu`)."""
    return _layers.HardSwish()(x)


def mish(x) -> np.ndarray:
    r"""$x \tanh(\operatorname{softplus} x)$."""
    return _layers.Mish()(x)


def relu6(x) -> np.ndarray:
    r"""$\min(\max(x, 0), 6)$."""
    return _layers.ReLU6()(x)


def exponential(x) -> np.ndarray:
    r"""$e^x$."""
    return _layers.Exponential()(x)


def hard_tanh(x) -> np.ndarray:
    r"""$\operatorname{clip}(x, -1, 1)$."""
    return _layers.HardTanh()(x)


def log_sigmoid(x) -> np.ndarray:
    r"""$\log \sigma(x) = -\operatorname{softplus}(-x)$."""
    return _layers.LogSigmoid()(x)


def sparse_plus(x) -> np.ndarray:
    r"""$0$ for $x \le -1$, $(x + 1)^2 / 4$ for $\lvert x \rvert < 1$, $x$ for $x \ge 1$."""
    return _layers.SparsePlus()(x)


def sparse_sigmoid(x) -> np.ndarray:
    r"""$\operatorname{clip}((x + 1) / 2, 0, 1)$."""
    return _layers.SparseSigmoid()(x)


def tanh_shrink(x) -> np.ndarray:
    r"""$x - \tanh x$."""
    return _layers.TanhShrink()(x)


def get(identifier):
    """The activation function named `identifier`: one of this module's, or one made from any other
    activation layer in the registry (`minikeras.layers.register_activation`). A function of this
    module is returned as it is."""
    if callable(identifier) and getattr(identifier, "__module__", None) == __name__ \
            and getattr(identifier, "__name__", None) in _layers.registry.names():
        return identifier
    if isinstance(identifier, str) and identifier in _FUNCTIONS:
        return globals()[identifier]
    if isinstance(identifier, str) and identifier in _layers.registry.names():
        return _from_registry(identifier)
    raise ValueError(f"Unknown activation {identifier!r}. Expected one of: {', '.join(_layers.registry.names())}.")


def _from_registry(name: str):
    """``f(x, **arguments)``: the registered activation layer `name` applied to an array."""
    cls, defaults = _layers.registry.lookup(name), _layers.FUNCTION_DEFAULTS.get(name, {})

    def activation(x, **arguments):
        return cls(**{**defaults, **arguments})(x)

    activation.__name__ = activation.__qualname__ = name
    activation.__module__, activation.__doc__ = __name__, cls.__doc__
    return activation


def __getattr__(name: str):
    # An activation registered after import (a user's) is reached as `activations.<name>` too.
    if name in _layers.registry.names():
        return _from_registry(name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def serialize(activation) -> str:
    """Keras' ``activations.serialize``: the name of an activation function of this module."""
    return get(activation).__name__


def deserialize(name: str):
    """Keras' ``activations.deserialize``: the activation function called `name`."""
    return get(name)
