"""The Layer base class and the layer registry.

Lifecycle (as in Keras): hyper-parameters in ``__init__``; ``build(input_shape, rng, dtype)``
declares the weights once the per-sample input shape is known; ``forward(x, training)``
computes the output and caches what ``backward`` needs; ``backward(grad_out)`` fills
``self.grads`` (a key per trainable weight) and returns the gradient with respect to the
input. ``backward`` never changes a weight: the optimizer owns updates. A weight's penalty is
declared with it (``add_weight(regularizer=...)``) and computed by the training engine.

Weights are `Variable`s declared in ``build`` with `add_weight` (Keras' call); a layer reads
them as ``self.kernel.value`` (or ``self.params["kernel"]``) and writes their gradients into
``self.grads["kernel"]``, in place (``np.matmul(x.T, g, out=self.grads["kernel"])``) or by
assigning a new array, which the training engine then copies where it keeps gradients.

Arrays returned by ``forward`` and ``backward`` are per-layer buffers reused by the next
call of the same batch size: copy them if you keep them.
"""
from __future__ import annotations

import contextlib
import contextvars
import inspect
import math
from typing import Any

import numpy as np

from .. import initializers
from ..checks import check_name, shown
from ..config import floatx
from ..graph import call_symbolically, is_symbolic
from ..registry import Registry, describe
from ..variables import Variable

# While a model is built from a file: the bytes of weights its layers may still declare.
_LOADING: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("loading", default=None)


@contextlib.contextmanager
def building_from_file(byte_budget: int):
    """Inside, `Layer.add_weight` makes zeros instead of running initializers (the file sets the
    values), and refuses, before allocating it, a weight that would take the layers past
    `byte_budget` bytes: what the file can hold. So a small file declaring huge layers costs
    neither memory nor an initializer's time."""
    token = _LOADING.set([byte_budget])
    try:
        yield
    finally:
        _LOADING.reset(token)


def _first_value(initializer, rng: np.random.Generator | None) -> Any:
    """What a new weight starts from: the array given, else a draw of the initializer (from `rng`,
    or a fresh generator for a layer built outside a model)."""
    if isinstance(initializer, (np.ndarray, list, tuple, int, float)):
        return initializer
    chosen = initializers.get("glorot_uniform" if initializer is None else initializer)
    return lambda shape, dtype: chosen.draw(shape, rng if rng is not None else np.random.default_rng(), dtype)


def _per_sample(shape: Any, several: bool) -> Any:
    """A per-sample shape as a tuple of ints, or (`several`: a merge layer's) a list of them."""
    if several:
        return [tuple(int(d) for d in one) for one in shape]
    return tuple(int(d) for d in shape)


class ReadOnlyArrays(dict):
    """`Layer.params` / `Layer.state`: the layer's current arrays by name, to read. Weights are
    declared with `Layer.add_weight` and changed through their `Variable` (``assign``)."""

    def __init__(self, layer: Layer, kind: str, arrays):
        super().__init__(arrays)
        self._where = f"layer {layer.name!r} ({type(layer).__name__}) {kind}"

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"{self._where} is read-only: declare weights with self.add_weight(...) in build() and "
                        f"change their values with variable.assign(...).")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse


class Layer:
    """Base class of every layer.

    Attributes
    ----------
    weights, trainable_weights, non_trainable_weights : list of Variable
        Keras' lists: every weight (trainable first), those the optimizer updates, and the rest
        (BatchNorm's moving statistics, and every weight of a frozen layer).
    params, state : ReadOnlyArrays
        The current arrays of the weights declared trainable, and of the others, by name.
    grads : dict[str, ndarray]
        Gradients of the loss with respect to the weights declared trainable, filled by `backward`.
    needs_input_grad : bool
        Set to False by the training engine for the first trained layer, whose input gradient nobody uses.
    trainable : bool
        False freezes the layer (as Keras' ``layer.trainable = False``): the optimizer leaves its
        weights alone and they count as non-trainable; a frozen BatchNorm also runs in inference mode.

    Parameters
    ----------
    name : str, optional
        Unique within a model; given as ``dense``, ``dense_1``, ... when omitted.
    trainable : bool
    input_shape, input_dim : optional
        Keras' way to give the model's per-sample input shape with its first layer
        (``Dense(64, input_shape=(784,))`` or ``input_dim=784``).
    """

    def __init__(self, name: str | None = None, trainable: bool = True, input_shape=None, input_dim=None):
        if input_shape is not None and input_dim is not None:
            raise ValueError(f"Give input_shape or input_dim, not both; got {input_shape!r} and {input_dim!r}.")
        self.name = name
        if not isinstance(trainable, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False; got {shown(trainable)}.")
        self._trainable = bool(trainable)
        self.declared_input_shape = input_shape if input_dim is None else (input_dim,)
        # Keras' two lists, by name: the weights declared trainable and the others.
        self._trainable_variables: dict[str, Variable] = {}
        self._non_trainable_variables: dict[str, Variable] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.input_shape: Any = None  # per-sample shape (a list of them for a merge layer) once built
        self.dtype = np.dtype(floatx())
        self.needs_input_grad = True
        self.built = False
        self._rng: np.random.Generator | None = None
        self._buffers: dict[str, np.ndarray] = {}
        self.inbound_nodes: list = []  # its calls on symbolic tensors (minikeras.graph.Node)

    @property
    def name(self) -> str | None:
        """Unique within a model; None until the model names it (``dense``, ``dense_1``, ...)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = None if value is None else check_name(value, "A layer")

    # -- lifecycle -------------------------------------------------------------------------
    def build(self, input_shape: Any, rng: np.random.Generator, dtype=None) -> None:
        """Create the weights (`add_weight`) for per-sample inputs of `input_shape`; initializers
        draw from `rng`."""
        self.input_shape = _per_sample(input_shape, self.merges)
        self.output_shape(self.input_shape)  # validates the shape
        self.dtype = np.dtype(dtype or floatx())
        self._rng = rng
        self.built = True

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable: bool = True, autocast: bool = True,
                   regularizer=None, constraint=None, aggregation: str = "none", overwrite_with_gradient: bool = False,
                   name: str | None = None) -> Variable:
        """Keras' ``add_weight``: a new `Variable` of `shape` (``()`` when None) drawn by `initializer`
        (a name, an `Initializer` or an array; ``"glorot_uniform"`` by default), in the layer's
        dtype. `regularizer` adds its penalty to the loss. Call it in `build`; the name (unique in
        the layer) keys ``self.grads``. `autocast` and `aggregation` change nothing here (one
        device, one dtype per model); `constraint` and `overwrite_with_gradient` are not supported."""
        from .. import regularizers
        if constraint is not None or overwrite_with_gradient:
            raise ValueError(f"add_weight: constraint and overwrite_with_gradient are not supported; got "
                             f"constraint={constraint!r}, overwrite_with_gradient={overwrite_with_gradient!r}.")
        name = self._weight_name(name)
        shape = () if shape is None else tuple(int(d) for d in shape)
        dtype = np.dtype(dtype or self.dtype)
        loading = _LOADING.get()
        if loading is not None:  # the file sets the value: zeros, not in memory until written
            self._spend(loading, name, shape, dtype)
        first = np.zeros if loading is not None else _first_value(initializer, self._rng)
        variable = Variable(first, shape=shape, dtype=dtype,
                            trainable=trainable and self._trainable, name=name,
                            regularizer=regularizers.get(regularizer), owner=self)
        if trainable:
            self._trainable_variables[name] = variable
            self.grads[name] = np.zeros_like(variable.value)
        else:
            self._non_trainable_variables[name] = variable
        return variable

    def _spend(self, budget: list[int], name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        """Take this weight's bytes from the loading file's `budget`; ValueError past it."""
        budget[0] -= math.prod(shape) * dtype.itemsize
        if budget[0] < 0:
            raise ValueError(f"its architecture declares more bytes of weights than the file can hold: the weight "
                             f"{self.name}/{name} of shape {shape} goes past them")

    def _weight_name(self, name: str | None) -> str:
        if name is None:
            taken = len(self._trainable_variables) + len(self._non_trainable_variables)
            name = f"variable_{taken}" if taken else "variable"
        check_name(name, "A weight")
        if name in self._trainable_variables or name in self._non_trainable_variables:
            raise ValueError(f"Layer {self.name!r} already has a weight named {name!r}.")
        return name

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape (identity by default)."""
        return tuple(input_shape)

    def built_output_shape(self) -> tuple[int, ...]:
        """The per-sample output shape of the built layer."""
        if self.input_shape is None:
            raise ValueError(f"Layer {self.name!r} is not built yet: its input shape is unknown.")
        return self.output_shape(self.input_shape)

    @property
    def input(self):
        """Keras' ``layer.input``: the symbolic tensor (a list for a merge layer) its first call read."""
        node = self._first_call()
        return node.output if not node.inputs else node.inputs if node.merged else node.inputs[0]

    @property
    def output(self):
        """Keras' ``layer.output``: the symbolic tensor its first call made."""
        return self._first_call().output

    def _first_call(self):
        if not self.inbound_nodes:
            raise AttributeError(f"Layer {self.name!r} has not been called on symbolic tensors (keras.Input and "
                                 f"what layers return), so it has no input or output tensor yet.")
        return self.inbound_nodes[0]

    def built_input_shape(self):
        """The per-sample input shape the layer was built for (a list of them for a merge layer)."""
        if self.input_shape is None:
            raise ValueError(f"Layer {self.name!r} is not built yet: its input shape is unknown.")
        return self.input_shape

    def call_output_shape(self, input_shape) -> tuple[int, ...]:
        """The per-sample shape after every step (a Dense with ``activation=`` is two) for inputs of
        `input_shape`; ValueError when the layer cannot take them."""
        shape = self.output_shape(input_shape)
        for step in self.steps()[1:]:
            shape = step.output_shape(shape)
        return tuple(shape)

    def emit(self, program, inputs: tuple[int, ...], merged: bool = False) -> int:
        """Append the operations of this layer's steps to `program` (`minikeras.graph.Program`),
        reading the tensors `inputs`; returns the output tensor's id."""
        return program.add_layer(self, inputs, merged)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def regularizers(self) -> dict:
        """``{weight name: Regularizer}`` of the trainable weights whose penalty the loss includes."""
        return {name: variable.regularizer for name, variable in self._trainable_variables.items()
                if variable.regularizer is not None}

    def steps(self) -> list[Layer]:
        """The layers the engine runs for this one, in order: itself, or (`Dense` with an
        ``activation``) itself then its activation layer."""
        return [self]

    def __call__(self, x, training: bool = False):
        """Keras' ``layer(x)``: the output of every step for a batch `x` (a copy); an unbuilt layer
        is built for ``x.shape[1:]`` (float32 unless `x` is float64) with a fresh generator. On
        symbolic tensors (``keras.Input``), records the call in the graph of a functional model
        and returns the symbolic output."""
        if is_symbolic(x):
            return call_symbolically(self, x)
        batches = [np.asarray(item) for item in x] if self.merges else [np.asarray(x)]
        if not self.built:
            shapes: Any = [batch.shape[1:] for batch in batches]
            dtype = np.float64 if any(batch.dtype == np.float64 for batch in batches) else np.float32
            self.build(shapes if self.merges else shapes[0], np.random.default_rng(), dtype)
        batches = [np.asarray(batch, dtype=self.dtype) for batch in batches]
        x = batches if self.merges else batches[0]
        for step in self.steps():
            x = step.forward(x, training)
        return x.copy()

    # -- weights and config ----------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for variable in self._trainable_variables.values():
            variable.trainable = self._trainable

    @property
    def weights(self) -> list[Variable]:
        """Every weight: those declared trainable, then the others (Keras' order)."""
        return [*self._trainable_variables.values(), *self._non_trainable_variables.values()]

    @property
    def trainable_weights(self) -> list[Variable]:
        return list(self._trainable_variables.values()) if self._trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        frozen = [] if self._trainable else list(self._trainable_variables.values())
        return [*frozen, *self._non_trainable_variables.values()]

    @property
    def params(self) -> ReadOnlyArrays:
        """The arrays of the weights declared trainable, by name."""
        return ReadOnlyArrays(self, "params", {n: v.value for n, v in self._trainable_variables.items()})

    @property
    def state(self) -> ReadOnlyArrays:
        """The arrays of the weights declared non-trainable (BatchNorm's moving statistics), by name."""
        return ReadOnlyArrays(self, "state", {n: v.value for n, v in self._non_trainable_variables.items()})

    def weight_names(self) -> list[str]:
        """Names of the arrays `get_weights` returns, in order."""
        return [variable.name for variable in self.weights]

    def get_weights(self) -> list[np.ndarray]:
        return [variable.numpy() for variable in self.weights]

    def check_weights(self, arrays: list[np.ndarray]) -> None:
        """Raise ValueError unless `arrays` match `weights` in number and shapes."""
        weights = self.weights
        if len(arrays) != len(weights):
            raise ValueError(f"Layer {self.name!r} expects {len(weights)} weight arrays "
                             f"({', '.join(self.weight_names())}); got {len(arrays)}.")
        for variable, array in zip(weights, arrays):
            if np.shape(array) != variable.shape:
                raise ValueError(f"Layer {self.name!r} weight {variable.name!r} has shape {variable.shape}; "
                                 f"got an array of shape {np.shape(array)}.")

    def set_weights(self, arrays: list[np.ndarray]) -> None:
        """Assign `arrays` to the layer's weights (checked first: all or nothing)."""
        self.check_weights(arrays)
        for variable, array in zip(self.weights, arrays):
            variable.assign(array)

    def count_params(self) -> int:
        """Number of scalars in `weights` (Keras: trainable and not)."""
        return sum(variable.size for variable in self.weights)

    def get_config(self) -> dict:
        """Constructor arguments as JSON-able data."""
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        """``Dense(units=10, activation='relu')``: the required arguments and those that differ from
        their defaults."""
        config = self.get_config()
        parameters = inspect.signature(type(self).__init__).parameters.values()
        required = {p.name: config[p.name] for p in parameters if p.default is p.empty and p.name in config}
        try:
            defaults = type(self)(**required).get_config()
        except (TypeError, ValueError):
            defaults = {}
        shown = {key: value for key, value in config.items()
                 if key != "name" and (key in required or key not in defaults or defaults[key] != value)}
        return describe({"class_name": type(self).__name__, "config": shown})

    merges = False
    """True for a layer called on a list of tensors (`minikeras.layers.merging`): `forward` takes
    the list of batches and `backward` returns the list of their gradients."""

    def takes_several_inputs(self) -> bool:
        return self.merges

    # -- what the layer is in Keras files and in ONNX ------------------------------------------
    keras_class: str | None = None
    """The Keras layer class this layer is written as and read from (None: Keras has none)."""
    keras_arguments: tuple[str, ...] = ()
    """The Keras config keys its constructor takes when read from a Keras file."""

    def keras_layers(self, name: str | None = None) -> list[tuple[str, str, dict, list[np.ndarray]]]:
        """``(Keras class, layer name, Keras config, weights)`` of each Keras layer that computes this
        one (named `name`, by default the layer's own). By default one `keras_class` layer whose
        config is `get_config` without the name and trainable flag."""
        if self.keras_class is None:
            raise ValueError(f"Cannot write layer {self.name!r} ({type(self).__name__}) to a Keras file: Keras has "
                             f"no layer for it.")
        config = {key: value for key, value in self.get_config().items() if key not in ("name", "trainable")}
        return [(self.keras_class, str(name or self.name), config, self.get_weights())]

    def keras_variable_names(self) -> list[str]:
        """Keras' names of the arrays `get_weights` returns (legacy Keras files find them by name)."""
        return self.weight_names()

    def to_onnx(self, graph, x: str) -> str:
        """Append the ONNX nodes of the inference forward pass to `graph` (``graph.op``,
        ``graph.constant``), reading the tensor named `x`; returns the output's name."""
        raise ValueError(f"Cannot export layer {self.name!r} ({type(self).__name__}) to ONNX: no converter for it.")

    # -- helpers for subclasses ------------------------------------------------------------
    def _buffer(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reusable array of `shape` in the layer dtype (reallocated when the shape changes)."""
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[key] = np.empty(shape, dtype=self.dtype)
        return buffer


registry = Registry("layer", Layer, required=("forward", "backward"))


def register_layer(cls: type) -> type:
    """Class decorator for user layers: makes them usable in configs and model files.

    ```python
    @register_layer
    class Scale(Layer):
        def build(self, input_shape, rng, dtype=None):
            super().build(input_shape, rng, dtype)
            self.scale = self.add_weight(shape=input_shape, initializer="ones", name="scale")

        def forward(self, x, training=False):
            self._x = x
            return x * self.scale.value

        def backward(self, grad_out):
            self.grads["scale"] = (grad_out * self._x).sum(axis=0)
            return grad_out * self.scale.value
    ```
    """
    registry.add(cls)
    return cls
