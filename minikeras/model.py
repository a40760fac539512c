"""Model / Sequential: a stack of layers with Keras' layer, weight, config and file API.

Training (compile, fit, evaluate, predict) is the `Trainer` half of the class; every numeric
pass runs in the model's `engine`.
"""
from __future__ import annotations

import json
import re

import numpy as np

from . import gradcheck, regularizers, saving, seeding
from .checks import check_name, is_int
from .config import floatx
from .engine import Engine
from .layers import activations
from .layers.base import Layer
from .layers.base import registry as layer_registry
from .layers.batchnorm import BatchNorm
from .layers.dense import Dense
from .layers.dropout import Dropout
from .layers.input import InputLayer
from .registry import serialize
from .summary import print_summary
from .trainer import Trainer
from .variables import Variable
from .version import __version__


def _snake_case(name: str) -> str:
    """Keras' layer-name stem: ``Dense -> dense``, ``BatchNorm -> batch_norm``, ``ReLU -> re_lu``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _sample_shape(shape, what: str) -> tuple[int, ...]:
    """A per-sample shape from an int, a tuple of ints, or Keras' ``(None, ...)`` with the batch axis."""
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if shape and shape[0] is None:
        shape = shape[1:]
    if not shape or not all(is_int(d, 1) for d in shape):
        raise ValueError(f"{what} must be a positive integer or a tuple of them (per sample); got {shape!r}.")
    return tuple(int(d) for d in shape)


class Model(Trainer):
    """A sequential stack of layers (Keras' Sequential; `Sequential` is the same class).

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
        dtype = dtype or floatx()
        # longdouble is accepted for check_gradients, which computes in the widest float there is.
        if np.dtype(dtype) not in (np.float32, np.float64, np.longdouble):
            raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers must be a list of layers; got {type(layers).__name__}.")
        super().__init__()
        self.dtype = np.dtype(dtype)
        self.seed = seed
        self.name = "sequential" if name is None else check_name(name, "A model")
        self.layers: list[Layer] = []
        self.sample_shape = None if input_dim is None else _sample_shape(input_dim, "input_dim")
        self._rng = seeding.model_generator(seed)
        # Validation splits draw from their own seed, so a resumed fit holds out the same samples.
        self._split_seed = int(self._rng.integers(2**63))
        self._name_counts: dict[str, int] = {}
        self._layer_names: set[str] = set()  # kept with `layers`, so that adding a layer costs the same at any depth
        self._engine: Engine | None = None
        for layer in layers or []:
            self.add(layer)
        if not trainable:
            self.trainable = False

    # -- building ----------------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer instance (built at once when the input shape is known); an `Input` sets
        the input shape instead."""
        if not isinstance(layer, Layer):
            hint = (" (a class: add an instance, e.g. layers.ReLU())" if isinstance(layer, type) else
                    f" Use layers.Activation({layer!r}) or add_layer(units, {layer!r})." if isinstance(layer, str) else
                    " Use add_layer(units, activation) to add a Dense layer by size.")
            raise TypeError(f"Model.add expects a Layer instance; got {layer!r}.{hint}")
        if isinstance(layer, InputLayer) or (not self.layers and layer.declared_input_shape is not None):
            self._set_sample_shape(layer.declared_input_shape, type(layer).__name__)
            if isinstance(layer, InputLayer):
                return
        if layer.built:
            raise ValueError(f"Layer {layer.name!r} is already built (part of another model); "
                             f"create a new instance.")
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

    def _name_layer(self, layer: Layer) -> None:
        """Keras' automatic names: ``dense``, ``dense_1``, ``dense_2``, ... per model."""
        if layer.name is None:
            base = _snake_case(type(layer).__name__)
            count = self._name_counts.get(base, 0)
            name = base if count == 0 else f"{base}_{count}"
            while name in self._layer_names:
                count += 1
                name = f"{base}_{count}"
            self._name_counts[base] = count + 1
            layer.name = name
        if layer.name in self._layer_names:
            raise ValueError(f"Layer names must be unique in a model; {layer.name!r} is already used.")

    def _build_layer(self, layer: Layer, index: int) -> None:
        """Build `layer` as the model's layer number `index` (its input: the output of the one before)."""
        shape = self.layers[index - 1].built_output_shape() if index else self.sample_shape
        if shape is None:
            raise ValueError("The model's input shape is unknown: start with Input(shape=...) or pass input_dim.")
        try:
            layer.build(shape, self._rng, self.dtype)
        except ValueError as error:
            raise ValueError(f"Layer {index} ({layer.name}): {error}") from None

    def build(self, input_shape=None) -> None:
        """Build every layer for inputs of `input_shape` (per sample, or Keras' ``(None, ...)``)."""
        if input_shape is not None:
            shape = _sample_shape(input_shape, "input_shape")
            if self.sample_shape is not None and shape != self.sample_shape:
                raise ValueError(f"This model takes inputs of per-sample shape {self.sample_shape}; got {shape}.")
            self.sample_shape = shape
        if self.sample_shape is None:
            raise ValueError("The model's input shape is unknown: start with Input(shape=...), pass input_dim, "
                             "or call fit/predict with data.")
        for index, layer in enumerate(self.layers):
            if not layer.built:
                self._build_layer(layer, index)
        self._invalidate()

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def input_shape(self) -> tuple | None:
        """Keras' ``(None, *per-sample shape)``, or None while unknown."""
        return None if self.sample_shape is None else (None, *self.sample_shape)

    @property
    def output_shape(self) -> tuple:
        """Keras' ``(None, *per-sample output shape)``."""
        self._require_built()
        return (None, *self.layers[-1].steps()[-1].built_output_shape())

    def _require_built(self, x=None) -> None:
        if not self.layers:
            raise ValueError("The model has no layers: add some with add() or add_layer().")
        if not self.built:
            self.build(None if x is None or self.sample_shape is not None else np.shape(x)[1:])

    def _invalidate(self) -> None:
        """Forget the engine, which is derived from the layer list and the compile settings."""
        self._engine = None

    @property
    def engine(self) -> Engine:
        """The training engine of the built model: flat params and grads, optimizer slots, the
        passes and the training step. Made when first needed; a new one (with a fresh optimizer
        state) after layers are added or the model is compiled again."""
        if self._engine is None:
            self._require_built()
            self._engine = self._new_engine()
        return self._engine

    def _rebuild_engine(self) -> None:
        """Forget the engine and, once the layers are built, make the new one at once (building the
        optimizer's slots now, as Keras builds the optimizer at compile)."""
        self._engine = self._new_engine() if self.built else None

    def _new_engine(self) -> Engine:
        return Engine(self.layers, self.dtype, self.loss, self.optimizer, self.compiled_metrics,
                      self.compiled_weighted_metrics)

    # -- layers ------------------------------------------------------------------------------
    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer named `name`, or at position `index` (as Keras: give exactly one)."""
        if (name is None) == (index is None):
            raise ValueError(f"Give exactly one of name or index; got name={name!r}, index={index!r}.")
        if index is not None:
            if not is_int(index) or not -len(self.layers) <= index < len(self.layers):
                raise ValueError(f"Layer index {index!r} is out of range for a model with {len(self.layers)} "
                                 f"layers.")
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        names = ", ".join(str(layer.name) for layer in self.layers)
        raise ValueError(f"No layer named {name!r}. The layers are: {names}.")

    def pop(self) -> Layer:
        """Remove and return the last layer (its weights go with it)."""
        if not self.layers:
            raise ValueError("There is no layer to pop: the model is empty.")
        layer = self.layers.pop()
        self._layer_names.discard(str(layer.name))
        self._invalidate()
        return layer

    @property
    def trainable(self) -> bool:
        """False when every layer is frozen; setting it freezes or unfreezes every layer."""
        return any(layer.trainable for layer in self.layers) if self.layers else True

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.layers:
            layer.trainable = bool(value)

    # -- weights and config ------------------------------------------------------------------
    @property
    def weights(self) -> list[Variable]:
        """Every layer's weights, in layer order (`get_weights` gives copies of their values)."""
        return [variable for layer in self.layers for variable in layer.weights]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [variable for layer in self.layers for variable in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return [variable for layer in self.layers for variable in layer.non_trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        """Copies of every layer's arrays in order: Dense ``[kernel, bias]``, BatchNorm
        ``[gamma, beta, moving_mean, moving_var]``."""
        self._require_built()
        return [array for layer in self.layers for array in layer.get_weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set every array from a list shaped like `get_weights()`; checks all before changing any."""
        self._require_built()
        weights = list(weights)
        sizes = [len(layer.weight_names()) for layer in self.layers]
        if len(weights) != sum(sizes):
            raise ValueError(f"set_weights expects {sum(sizes)} arrays (as get_weights returns); "
                             f"got {len(weights)}.")
        bounds = np.cumsum([0, *sizes])
        per_layer = [weights[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
        for layer, arrays in zip(self.layers, per_layer):
            layer.check_weights(arrays)
        for layer, arrays in zip(self.layers, per_layer):
            layer.set_weights(arrays)

    def count_params(self) -> int:
        """Number of scalars in every layer's weights (trainable or not), as Keras."""
        self._require_built()
        return sum(layer.count_params() for layer in self.layers)

    def get_config(self) -> dict:
        """The architecture as JSON-able data (no weights)."""
        return {"name": self.name, "input_shape": None if self.sample_shape is None else list(self.sample_shape),
                "dtype": self.dtype.name, "seed": self.seed,
                "layers": [serialize(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config) -> Model:
        """A new model with the architecture of `config` (fresh weights drawn with its seed)."""
        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(f"A model config must be a dict with a 'layers' list; got {config!r}.")
        input_shape = config.get("input_shape")
        return cls(input_dim=None if input_shape is None else tuple(input_shape),
                   layers=[layer_registry.from_config(item) for item in config["layers"]],
                   seed=config.get("seed"), dtype=config.get("dtype", "float32"), name=config.get("name"))

    def to_json(self, **kwargs) -> str:
        """The architecture as a JSON string (``models.model_from_json`` rebuilds it); `kwargs` go to `json.dumps`."""
        return json.dumps({"class_name": "Sequential", "config": self.get_config(),
                           "minikeras_version": __version__}, **kwargs)

    def save(self, path) -> None:
        """Write the whole model to an HDF5 file, atomically (see `minikeras.saving`); a path ending in
        ``.keras`` gets Keras 3's format instead (architecture and weights, for `keras.saving.load_model`)."""
        self._require_built()
        saving.save(self, path)

    def export(self, filepath, format: str = "onnx", verbose=None, input_signature=None, **kwargs) -> None:
        """Keras 3's ``export``: with ``format="onnx"`` (the only one here) write the inference graph as
        an ONNX model (opset 17; input ``"input"`` of shape ``(batch, *sample shape)``, output
        ``"output"``), atomically; needs ``pip install "minikeras[onnx]"``."""
        if format != "onnx":
            raise ValueError(f"minikeras exports to format='onnx' only (Keras' default is a TensorFlow SavedModel); "
                             f"got format={format!r}.")
        if input_signature is not None or kwargs:
            raise ValueError(f"ONNX export takes the model's own input shape; got input_signature={input_signature!r} "
                             f"and {sorted(kwargs)}.")
        self._require_built()
        saving.export_onnx(self.engine, self.sample_shape, filepath)
        if verbose:
            print(f"Saved the ONNX model to {filepath}.")

    def save_weights(self, path) -> None:
        """Write the weights only to an HDF5 file, atomically."""
        saving.save_weights(self, path)

    def load_weights(self, path) -> None:
        """Set the weights from a file; nothing changes unless every array fits."""
        saving.load_weights(self, path)

    def summary(self, print_fn=None) -> None:
        """Print a table of layers, output shapes and parameter counts."""
        print_summary(self, print_fn)

    def check_gradients(self, x, y, epsilon: float = 1e-6, max_entries: int | None = None,
                        sample_weight=None) -> dict[str, float]:
        """``{"layer/param": max relative error}`` of analytic vs centered-difference gradients.

        See `minikeras.gradcheck.check_gradients`.
        """
        return gradcheck.check_gradients(self, x, y, epsilon=epsilon, max_entries=max_entries,
                                         sample_weight=sample_weight)

    def __repr__(self) -> str:
        layers = ", ".join(repr(layer) for layer in self.layers)
        return f"Sequential(name={self.name!r}, input_shape={self.input_shape}, layers=[{layers}])"


Sequential = Model
