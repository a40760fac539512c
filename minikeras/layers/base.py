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

import inspect
from typing import Any

import numpy as np

from ..checks import check_name, shown, snake_case
from ..config import floatx
from ..graph import call_symbolically, is_symbolic
from ..registry import Registry, describe
from ..variables import Variable
from . import calls
from .interop import Interop
from .weights import ReadOnlyArrays, first_value, loading_budget, per_sample, spend


class Layer(Interop):
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

    def __init__(self, name: str | None = None, trainable: bool = True, input_shape=None, input_dim=None,
                 dtype=None, autocast: bool = True, activity_regularizer=None, **kwargs):
        if input_shape is not None and input_dim is not None:
            raise ValueError(f"Give input_shape or input_dim, not both; got {input_shape!r} and {input_dim!r}.")
        if "batch_input_shape" in kwargs:  # Keras 2's way, still accepted by Keras 3
            input_shape = tuple(kwargs.pop("batch_input_shape"))[1:]
        kwargs.pop("batch_size", None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}.")
        if activity_regularizer is not None:
            raise ValueError(f"{type(self).__name__}: activity_regularizer is not supported; add the penalty in call "
                             f"with self.add_loss(...). Got {activity_regularizer!r}.")
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
        self.dtype = np.dtype(dtype or floatx())
        self.needs_input_grad = True
        self.built = False
        self._rng: np.random.Generator | None = None
        self._buffers: dict[str, np.ndarray] = {}
        self.inbound_nodes: list = []  # its calls on symbolic tensors (minikeras.graph.Node)
        self._losses: list = []  # what the last call added with add_loss
        self.step_losses: list = []  # what its last forward as a model's step added, sublayers' included
        self._taped = None  # the tape of the last training forward of a layer written with call

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        layer.init_arguments = (args, kwargs)  # Keras' automatic config of a layer written with call
        return layer

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.written_with_call = cls.call is not Layer.call and cls.forward is Layer.forward
        if "build" in cls.__dict__ and calls.takes_shape_only(cls.__dict__["build"]):
            cls.build = calls.keras_build(cls.__dict__["build"])

    @property
    def generator(self) -> np.random.Generator | None:
        """The generator its weights (and its sublayers') were drawn from: its model's."""
        return self._rng

    written_with_call = False
    """True for a layer written Keras' way: a ``call`` of ops (`minikeras.layers.calls`), no
    ``forward``/``backward``."""

    @property
    def name(self) -> str | None:
        """Unique within a model; None until the model names it (``dense``, ``dense_1``, ...)."""
        return self._name

    @name.setter
    def name(self, value: str | None) -> None:
        self._name = None if value is None else check_name(value, "A layer")

    def name_stem(self) -> str:
        """What a model names the layer after (``dense``, ``dense_1``, ...): its class in snake case."""
        return snake_case(type(self).__name__)

    # -- lifecycle -------------------------------------------------------------------------
    def build(self, input_shape: Any, rng: np.random.Generator | None = None, dtype=None) -> None:
        """Create the weights (`add_weight`) for per-sample inputs of `input_shape`; initializers
        draw from `rng`. (A layer written Keras' way overrides ``build(self, input_shape)``,
        which gets Keras' shape ``(None, ...)``.)"""
        if getattr(self, "_keras_building", False):  # super().build(shape) inside a Keras-style build
            return
        self.prepare_build(input_shape, rng, dtype)
        if not self.written_with_call:
            self.output_shape(self.input_shape)  # validates the shape
        self.built = True
        if self.written_with_call:
            calls.run_on_zeros(self, self.input_shape)  # builds the sublayers its call uses

    def prepare_build(self, input_shape: Any, rng: np.random.Generator | None, dtype) -> None:
        """Record the per-sample input shape, the dtype and the generator the weights draw from."""
        if self.written_with_call:
            self.merges = isinstance(input_shape, list)
        self.input_shape = per_sample(input_shape, self.merges)
        self.dtype = np.dtype(dtype or floatx())
        self._rng = rng if rng is not None else calls.build_generator()

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
        loading = loading_budget()
        if loading is not None:  # the file sets the value: zeros, not in memory until written
            spend(loading, str(self.name), name, shape, dtype)
        first = np.zeros if loading is not None else first_value(initializer, self._rng)
        variable = Variable(first, shape=shape, dtype=dtype,
                            trainable=trainable and self._trainable, name=name,
                            regularizer=regularizers.get(regularizer), owner=self)
        if trainable:
            self._trainable_variables[name] = variable
            self.grads[name] = np.zeros_like(variable.value)
        else:
            self._non_trainable_variables[name] = variable
        return variable

    def _weight_name(self, name: str | None) -> str:
        if name is None:
            taken = len(self._trainable_variables) + len(self._non_trainable_variables)
            name = f"variable_{taken}" if taken else "variable"
        check_name(name, "A weight")
        if name in self._trainable_variables or name in self._non_trainable_variables:
            raise ValueError(f"Layer {self.name!r} already has a weight named {name!r}.")
        return name

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape: identity by default; for a layer
        written with ``call``, its ``compute_output_shape`` or what the call gives on zeros."""
        if self.written_with_call:
            declared = type(self).compute_output_shape is not Layer.compute_output_shape
            return calls.output_shape_of(self, input_shape, declared)
        return tuple(input_shape)

    def compute_output_shape(self, input_shape):
        """Keras' form of `output_shape`: shapes with the batch axis, ``(None, ...)``."""
        several = isinstance(input_shape, list)
        per_sample = [tuple(s)[1:] for s in input_shape] if several else tuple(input_shape)[1:]
        return (None, *self.call_output_shape(per_sample))

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
        """The output for the batch `x`; by default ``call`` run on the tape (`minikeras.layers.calls`)."""
        if not self.written_with_call:
            raise NotImplementedError(f"{type(self).__name__} defines neither call (Keras' way) nor forward and "
                                      f"backward.")
        return calls.taped_forward(self, x, training)

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        """The input's gradient (and ``self.grads``) from the output's; by default through the tape."""
        if not self.written_with_call:
            raise NotImplementedError(f"{type(self).__name__} defines forward without backward.")
        return calls.taped_backward(self, grad_out)

    def call(self, inputs, training=None):
        """Keras' way to write a layer: the output computed with `minikeras.ops` (and operators) on
        `inputs` and the weights; minikeras differentiates it (`minikeras.layers.calls`)."""
        raise NotImplementedError(f"{type(self).__name__} does not define call.")

    def add_loss(self, loss) -> None:
        """Keras' ``add_loss``: a scalar (written with ops, in ``call``) that the training loss
        includes; cleared at the start of each call."""
        self._losses.append(loss)
        calls.note_added_loss(loss)

    def losses_added(self) -> list:
        """What the last call added with `add_loss`, sublayers' included."""
        added = list(self._losses)
        for sublayer in self.tracked_layers():
            added.extend(sublayer.losses_added() if hasattr(sublayer, "losses_added") else ())
        return added

    @property
    def losses(self) -> list:
        """Keras' ``layer.losses``: the losses the last call added, then the penalties of the
        regularized trainable weights."""
        penalties = [variable.regularizer.penalty(variable.value) for variable in self.trainable_weights
                     if variable.regularizer is not None]
        return [*self.losses_added(), *penalties]

    def call_copy(self) -> Layer:
        """A copy sharing the weights, with its own forward cache, buffers and gradients (a second
        call of the layer in one pass)."""
        return calls.shallow_call_copy(self)

    def regularizers(self) -> dict:
        """``{weight name: Regularizer}`` of the trainable weights whose penalty the loss includes."""
        return {name: variable.regularizer for name, variable in self._trainable_variables.items()
                if variable.regularizer is not None}

    def steps(self) -> list[Layer]:
        """The layers the engine runs for this one, in order: itself, or (`Dense` with an
        ``activation``) itself then its activation layer."""
        return [self]

    def __call__(self, x, *args, training=None, **kwargs):
        """Keras' ``layer(x)``: the output of every step for a batch `x` (a copy); an unbuilt layer
        is built for ``x.shape[1:]`` (float32 unless `x` is float64). On symbolic tensors
        (``keras.Input``), records the call in the graph of a functional model and returns the
        symbolic output. Inside another layer's ``call`` in training, the call is recorded on its
        tape. Extra arguments go to a ``call`` that takes them."""
        if is_symbolic(x):
            if args or kwargs:
                raise TypeError(f"Layer {self.name or type(self).__name__!r}: a call on symbolic tensors takes the "
                                f"inputs only; got extra arguments {args!r} {sorted(kwargs)}.")
            return call_symbolically(self, x)
        return calls.call_layer(self, x, training, args, kwargs)

    def tracked_layers(self) -> list:
        """The layers (and models) a layer written with ``call`` holds in its attributes."""
        return [item for _, item in calls.sublayers(self)] if self.written_with_call else []

    def clear_losses(self) -> None:
        """Forget what the last call added with `add_loss` (each call starts afresh)."""
        self._losses = []

    # -- weights and config ----------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        for variable in self._trainable_variables.values():
            variable.trainable = self._trainable
        for sublayer in self.tracked_layers():
            sublayer.trainable = self._trainable

    def weight_entries(self) -> list[tuple[str, Variable]]:
        """``(key, variable)`` of every weight in Keras' order: those declared trainable, then the
        others; then (a layer written with ``call``) its sublayers', keyed ``"<attribute>/<key>"``.
        The keys are unique in the layer: they key ``grads`` and the layer's group in files."""
        entries = [*self._trainable_variables.items(), *self._non_trainable_variables.items()]
        return calls.with_sublayer_entries(self, entries) if self.written_with_call else entries

    def own_weights(self) -> list[Variable]:
        """The weights the layer holds itself (declared with `add_weight`, or set as attributes),
        not its sublayers'."""
        own = [*self._trainable_variables.values(), *self._non_trainable_variables.values()]
        if self.written_with_call:
            own += [variable for _, variable in calls.attribute_variables(self) if variable not in own]
        return own

    def trainable_weight_entries(self) -> list[tuple[str, Variable]]:
        """The `weight_entries` the optimizer updates (none for a frozen layer)."""
        if not self._trainable:
            return []
        if not self.written_with_call:
            return list(self._trainable_variables.items())
        return [(key, variable) for key, variable in self.weight_entries() if variable.trainable]

    @property
    def weights(self) -> list[Variable]:
        """Every weight: those declared trainable, then the others (Keras' order), then sublayers'."""
        if self.written_with_call:
            return [variable for _, variable in self.weight_entries()]
        return [*self._trainable_variables.values(), *self._non_trainable_variables.values()]

    @property
    def trainable_weights(self) -> list[Variable]:
        return [variable for _, variable in self.trainable_weight_entries()]

    @property
    def non_trainable_weights(self) -> list[Variable]:
        trainable = {id(variable) for variable in self.trainable_weights}
        return [variable for variable in self.weights if id(variable) not in trainable]

    @property
    def params(self) -> ReadOnlyArrays:
        """The arrays of the weights declared trainable, by name."""
        return ReadOnlyArrays(self, "params", {n: v.value for n, v in self._trainable_variables.items()})

    @property
    def state(self) -> ReadOnlyArrays:
        """The arrays of the weights declared non-trainable (BatchNorm's moving statistics), by name."""
        return ReadOnlyArrays(self, "state", {n: v.value for n, v in self._non_trainable_variables.items()})

    def weight_names(self) -> list[str]:
        """Names of the arrays `get_weights` returns, in order (unique in the layer)."""
        return [key for key, _ in self.weight_entries()]

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
        """Constructor arguments as JSON-able data (for a layer written with ``call`` that does not
        override this, the arguments its ``__init__`` was given, as Keras does)."""
        config = {"name": self.name, "trainable": self.trainable}
        return {**calls.auto_config(self), **config} if self.written_with_call else config

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

    def takes_several_inputs(self) -> bool | None:
        """Whether the layer is called on a list of tensors (None: a layer written with ``call``
        not called yet takes what it is given)."""
        if self.written_with_call and not self.built:
            return self.inbound_nodes[0].merged if self.inbound_nodes else None
        return self.merges

    # -- helpers for subclasses ------------------------------------------------------------
    def _buffer(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reusable array of `shape` in the layer dtype (reallocated when the shape changes)."""
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[key] = np.empty(shape, dtype=self.dtype)
        return buffer


def _check_layer_class(cls: Any) -> None:
    """A layer class implements ``call`` (Keras' way) or both ``forward`` and ``backward``."""
    missing = [method for method in ("forward", "backward") if getattr(cls, method) is getattr(Layer, method)]
    if missing and not cls.written_with_call:
        raise TypeError(f"{cls.__name__} cannot be registered as a layer: it does not implement {', '.join(missing)} "
                        f"(or call, Keras' way).")


registry = Registry("layer", Layer, check=_check_layer_class)


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
