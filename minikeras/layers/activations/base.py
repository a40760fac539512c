"""The activation layers' base classes, their registry, and Keras' `Activation` layer.

An activation layer is elementwise (or, for the softmax family, along one axis of a sample):
`ActivationLayer` writes its derivative from the cached output, `InputActivation` from the input.
`registry` maps activation names (``"relu"``, as in ``Dense(64, activation="relu")``) to the
classes; the layer registry knows them by class name (``"ReLU"``). What each is in Keras files and
in ONNX is declared on the class (`keras_activation`, `onnx_op` or `to_onnx`).
"""
from __future__ import annotations

import numpy as np

from ...registry import Registry, serialize
from ..base import Layer
from ..base import registry as layer_registry


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

    # -- what it is in Keras files and in ONNX --------------------------------------------------
    keras_activation: str | None = None
    """Keras' activation name computing this function with the name's defaults (written as
    ``Activation(activation=...)``); None where Keras has none or computes another function."""
    onnx_op: tuple[str, dict, dict] | None = None
    """When one ONNX op computes the layer: ``(op, constant attributes, {attribute: layer attribute})``."""

    def keras_layers(self, name=None):
        if self.keras_class is not None:
            return super().keras_layers(name)
        if self.keras_activation is None or not self._has_default_arguments(self.keras_activation):
            raise ValueError(f"Cannot write layer {self.name!r} ({type(self).__name__}: {self.get_config()}) to a "
                             f"Keras file: Keras' activations take no such arguments.")
        return [("Activation", name or self.name, {"activation": self.keras_activation}, [])]

    def _has_default_arguments(self, activation_name: str) -> bool:
        return self.get_config() == {**get(activation_name).get_config(), "name": self.name}

    def to_onnx(self, graph, x):
        if self.onnx_op is None:
            return super().to_onnx(graph, x)
        op, constants, from_layer = self.onnx_op
        return graph.op(op, x, **constants, **{key: getattr(self, name) for key, name in from_layer.items()})


registry = Registry("activation", ActivationLayer, class_names=False)
# Keras' activation *functions* and its layers differ in a default: leaky_relu's slope is 0.2, LeakyReLU's 0.3.
FUNCTION_DEFAULTS = {"leaky_relu": {"negative_slope": 0.2}}
# Keras 3's activation functions that compute, by these names and with their defaults, what
# minikeras' activations of the same names compute: a Dense layer writes them inline in Keras files.
KERAS_FUNCTIONS = frozenset({"relu", "sigmoid", "softmax", "tanh", "elu", "selu", "softplus", "softsign", "swish",
                             "silu", "gelu", "exponential", "hard_sigmoid", "leaky_relu", "relu6", "mish",
                             "log_softmax"})


def register_activation(*names: str):
    """Class decorator: an activation layer found by each of `names` (``Dense(10, activation=name)``)
    and, in configs and model files, by its class name."""

    def add(cls: type) -> type:
        registry.add(cls, *names)
        layer_registry.add(cls)
        return cls

    return add


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


def stable_sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


@register_activation("linear")
class Linear(ActivationLayer):
    """Identity ``y = x`` (what ``activation="linear"`` adds)."""

    keras_activation = "linear"

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out

    def to_onnx(self, g, x):
        return x


def get(spec) -> Layer:
    """An activation layer from a name in `registry` (``"relu"``), a function of
    `minikeras.activations` (``activations.relu``), a layer class or a layer instance."""
    if callable(spec) and not isinstance(spec, (type, Layer)):
        name = getattr(spec, "__name__", None)
        if getattr(spec, "__module__", None) != "minikeras.activations" or name not in registry.names():
            raise TypeError(f"An activation function must be one of minikeras.activations "
                            f"({', '.join(registry.names())}), "
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

    keras_class = "Activation"
    keras_arguments = ("activation",)

    def keras_layers(self, name=None):
        return self.activation.keras_layers(name or self.name)

    def to_onnx(self, graph, x):
        return self.activation.to_onnx(graph, x)
