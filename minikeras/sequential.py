"""Keras' ``Sequential``: a model that is a stack of layers, each reading the previous one's output."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from . import regularizers
from .checks import is_int
from .graph import KerasTensor, Program, call_symbolically
from .layers import activations
from .layers.base import Layer
from .layers.base import registry as layer_registry
from .layers.batchnorm import BatchNorm
from .layers.dense import Dense
from .layers.dropout import Dropout
from .layers.input import Input, InputLayer
from .model import Model
from .registry import custom_object_scope, serialize
from .version import __version__


def _sample_shape(shape, what: str) -> tuple[int, ...]:
    """A per-sample shape from an int, a tuple of ints, or Keras' ``(None, ...)`` with the batch axis."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape and shape[0] is None:
        shape = shape[1:]
    if not shape or not all(is_int(d, 1) for d in shape):
        raise ValueError(f"{what} must be a positive integer or a tuple of them (per sample); got {shape!r}.")
    return tuple(int(d) for d in shape)


class Sequential(Model, kind="sequential"):
    """A sequential stack of layers (Keras' Sequential; ``Model(layers=...)`` makes one too).

    Parameters
    ----------
    layers : list of Layer, optional
        Layers to add in order; an `Input(shape=...)` first gives the input shape.
    name : str, optional
    input_dim : int or tuple of int, optional
        Per-sample input shape (``3072`` or ``(28, 28)``); also taken from an `Input`, from a
        first layer's ``input_shape=``, or from the first data seen.
    seed : int, optional
        Seed of the model's generator (initialization, shuffling, splits, dropout).
    dtype : {"float32", "float64"}, optional
        Dtype of every parameter, activation and gradient (`minikeras.config.floatx()`, float32,
        by default).

    Examples
    --------
    >>> model = Model(input_dim=4, seed=0)
    >>> model.add_layer(8, "relu")
    >>> model.add_layer(3, "softmax")
    >>> model.predict(np.ones((2, 4), dtype="float32"), verbose=0).shape
    (2, 3)
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None, *, input_dim=None,
                 seed: int | None = None, dtype: str | None = None, trainable: bool = True):
        if isinstance(layers, (int, np.integer)) or (isinstance(layers, tuple) and all(is_int(d, 1) for d in layers)):
            layers, input_dim = None, layers  # the course API's Model(3072): an input dimension
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers; got {type(layers).__name__}.")
        self._init_model(name, "sequential", seed, dtype, trainable)
        self.layers: list[Any] = []  # layers, and models used as layers
        # Keras' Sequential is a graph too: each built layer's call on the symbolic input, so that
        # model.inputs, model.outputs and layer.output exist (a feature extractor is a Model of them).
        self._input_tensor: KerasTensor | None = None
        self._layer_outputs: list[KerasTensor] = []
        self.sample_shape = None if input_dim is None else _sample_shape(input_dim, "input_dim")
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False

    # -- building ----------------------------------------------------------------------------
    def add(self, layer: Any) -> None:
        """Append a layer instance or a model (built at once when the input shape is known); an
        `Input` sets the input shape instead. A built layer (of another model) keeps its weights,
        which both models then share."""
        if isinstance(layer, KerasTensor):  # keras.Input(shape=...) as the first entry
            layer = layer.node.layer
        if not isinstance(layer, (Layer, Model)):
            hint = (" (a class: add an instance, e.g. layers.ReLU())" if isinstance(layer, type) else
                    f" Use layers.Activation({layer!r}) or add_layer(units, {layer!r})." if isinstance(layer, str) else
                    " Use add_layer(units, activation) to add a Dense layer by size.")
            raise TypeError(f"Model.add expects a Layer instance; got {layer!r}.{hint}")
        if isinstance(layer, InputLayer) or (isinstance(layer, Layer) and not self.layers
                                             and layer.declared_input_shape is not None):
            self._set_sample_shape(layer.declared_input_shape, type(layer).__name__)
            if isinstance(layer, InputLayer):
                return
        if layer in self.layers:
            raise ValueError(f"Layer {layer.name!r} is already in this model: a Sequential model calls each layer "
                             f"once (use the functional API to call one twice).")
        self._name_layer(layer)
        if self.sample_shape is not None:
            self._build_layer(layer, len(self.layers))  # a layer that cannot be built is not added
        self.layers.append(layer)
        self._layer_names.add(str(layer.name))
        self._invalidate()

    def _set_sample_shape(self, shape, source: str) -> None:
        if self.layers:
            raise ValueError(f"An {source} giving the input shape must come before every other layer.")
        shape = _sample_shape(shape, "The input shape")
        if self.sample_shape is not None and shape != self.sample_shape:
            raise ValueError(f"The model's input shape is already {self.sample_shape}; {source} gives {shape}.")
        self.sample_shape = shape

    def add_layer(self, units: int, activation=None, *, input_dim=None, kernel_initializer="he",
                  batch_norm: bool = False, dropout: float = 0.0, l2: float = 0.0) -> None:
        """Append ``Dense(units)`` (+ ``BatchNorm``) (+ activation) (+ ``Dropout(dropout)``): the
        courses' block, with He initialization by default.

        `activation` is a name (``"relu"``, ``"softmax"``, ...), a layer class or instance.
        `l2` puts ``regularizers.L2(l2)`` on the kernel. `input_dim` sets the model input
        shape when given with the first layer.
        """
        if input_dim is not None:
            self._set_sample_shape(input_dim, "input_dim")
        regularizer = regularizers.L2(l2) if l2 else None
        new_layers: list[Layer] = [Dense(units, kernel_initializer=kernel_initializer, kernel_regularizer=regularizer)]
        if batch_norm:
            new_layers.append(BatchNorm())
        if activation is not None:
            new_layers.append(activations.get(activation))
        if dropout:
            new_layers.append(Dropout(dropout))
        for layer in new_layers:
            self.add(layer)

    def _build_layer(self, layer: Any, index: int) -> None:
        """Build `layer` as the model's layer number `index` (its input: the output of the one before)."""
        shape = self.layers[index - 1].built_output_shape() if index else self.sample_shape
        if shape is None:
            raise ValueError("The model's input shape is unknown: start with Input(shape=...) or pass input_dim.")
        if layer.built:
            built_for = layer.built_input_shape()
            if tuple(built_for) != tuple(shape):
                raise ValueError(f"Layer {index} ({layer.name}) is already built, for inputs of per-sample shape "
                                 f"{built_for}; here it would read {tuple(shape)}.")
        else:
            try:
                layer.build(shape, self._rng, self.dtype)
            except ValueError as error:
                raise ValueError(f"Layer {index} ({layer.name}): {error}") from None
        if self._input_tensor is None:
            dtype = self.dtype.name if self.dtype.name in ("float32", "float64") else None
            self._input_tensor = Input(shape=tuple(shape), dtype=dtype)
        previous = self._layer_outputs[-1] if self._layer_outputs else self._input_tensor
        self._layer_outputs.append(call_symbolically(layer, previous))

    def build(self, input_shape=None, rng=None, dtype=None) -> None:
        """Build every layer for inputs of `input_shape` (per sample, or Keras' ``(None, ...)``).
        `rng` and `dtype` (given when the model is a layer of another) are not used: the model
        builds with its own generator and dtype."""
        if input_shape is not None:
            shape = _sample_shape(input_shape, "input_shape")
            if self.sample_shape is not None and shape != self.sample_shape:
                raise ValueError(f"This model takes inputs of per-sample shape {self.sample_shape}; got {shape}.")
            self.sample_shape = shape
        if self.sample_shape is None:
            raise ValueError("The model's input shape is unknown: start with Input(shape=...), pass input_dim, "
                             "or call fit/predict with data.")
        for index, layer in enumerate(self.layers[len(self._layer_outputs):], start=len(self._layer_outputs)):
            self._build_layer(layer, index)
        self._invalidate()

    @property
    def built(self) -> bool:
        """Every layer built (and called on the symbolic input) for the model's input shape."""
        return bool(self.layers) and len(self._layer_outputs) == len(self.layers)

    @property
    def input_shape(self) -> tuple | None:
        """Keras' ``(None, *per-sample shape)``, or None while unknown."""
        return None if self.sample_shape is None else (None, *self.sample_shape)

    @property
    def output_shape(self) -> tuple:
        """Keras' ``(None, *per-sample output shape)``."""
        self._require_built()
        return (None, *self.layers[-1].steps()[-1].built_output_shape())

    @property
    def inputs(self) -> list[KerasTensor]:
        """Keras' ``model.inputs``: the symbolic input of the built model, in a list."""
        self._require_built()
        return [self._input_tensor] if self._input_tensor is not None else []

    @property
    def outputs(self) -> list[KerasTensor]:
        """Keras' ``model.outputs``: the last layer's symbolic output, in a list
        (``Model(inputs=seq.inputs, outputs=seq.layers[-2].output)`` cuts a model out of it)."""
        self._require_built()
        return self._layer_outputs[-1:]

    @property
    def input(self) -> KerasTensor:
        return self.inputs[0]

    @property
    def output(self) -> KerasTensor:
        return self.outputs[0]

    def built_input_shape(self) -> tuple[int, ...]:
        self._require_built()
        return tuple(self.sample_shape or ())

    def built_output_shape(self) -> tuple[int, ...]:
        return tuple(self.output_shape[1:])

    def call_output_shape(self, input_shape) -> tuple[int, ...]:
        if tuple(input_shape) != self.built_input_shape():
            raise ValueError(f"model {self.name!r} takes inputs of per-sample shape {self.built_input_shape()}")
        return self.built_output_shape()

    @property
    def output_names(self) -> list[str]:
        return [str(self.layers[-1].name)] if self.layers else []

    def _program(self) -> Program:
        program = Program([self.built_input_shape()], input_names=["input"])
        program.output_ids = [self.emit(program, tuple(program.input_ids))]
        return program

    def emit(self, program: Program, inputs: tuple[int, ...], merged: bool = False) -> int:
        tensor = inputs[0]
        for layer in self.layers:
            tensor = layer.emit(program, (tensor,))
        return tensor

    def _require_built(self, x=None) -> None:
        if not self.layers:
            raise ValueError("The model has no layers: add some with add() or add_layer().")
        if not self.built:
            self.build(None if x is None or self.sample_shape is not None else np.shape(x)[1:])

    # -- layers ------------------------------------------------------------------------------
    def pop(self) -> Layer:
        """Remove and return the last layer (its weights go with it)."""
        if not self.layers:
            raise ValueError("There is no layer to pop: the model is empty.")
        layer = self.layers.pop()
        self._layer_outputs = self._layer_outputs[:len(self.layers)]
        self._layer_names.discard(str(layer.name))
        self._invalidate()
        return layer

    def get_config(self) -> dict:
        """The architecture as JSON-able data (no weights)."""
        return {"name": self.name, "input_shape": None if self.sample_shape is None else list(self.sample_shape),
                "dtype": self.dtype.name, "seed": self.seed,
                "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config, custom_objects=None) -> Model:
        """A new model with the architecture of `config` (fresh weights drawn with its seed); custom
        classes are those registered or given in `custom_objects`."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"A model config must be a dict with a 'layers' list; got {config!r}.")
        input_shape = config.get("input_shape")
        with custom_object_scope(custom_objects):
            stack = [layer_registry.from_config(item) for item in config["layers"]]
        return cls(input_dim=None if input_shape is None else tuple(input_shape), layers=stack,
                   seed=config.get("seed"), dtype=config.get("dtype", "float32"), name=config.get("name"))

    def to_json(self, **kwargs) -> str:
        """The architecture as a JSON string (``models.model_from_json`` rebuilds it); `kwargs` go to `json.dumps`."""
        return json.dumps({"class_name": "Sequential", "config": self.get_config(),
                           "minikeras_version": __version__}, **kwargs)

    def __repr__(self) -> str:
        layers = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential(name={self.name!r}, input_shape={self.input_shape}, layers=[{layers}])"

