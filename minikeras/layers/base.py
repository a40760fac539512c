"""The Layer base class and the layer registry.

Lifecycle (as in Keras): hyper-parameters in ``__init__``; ``build(input_shape, rng, dtype)``
creates the parameters once the per-sample input shape is known; ``forward(x, training)``
computes the output and caches what ``backward`` needs; ``backward(grad_out)`` fills
``self.grads`` (same keys as ``self.params``) and returns the gradient with respect to the
input. ``backward`` never changes a parameter: the optimizer owns updates. Weight penalties are
declared by `regularizers()` and computed by the training engine, not by the layer.

Once a model is compiled, ``params[name]`` and ``grads[name]`` are views into the engine's flat
arrays (`ParamArrays`). Assigning a new array to one of them copies it into the view, so a
layer written as ``self.grads["w"] = x.T @ g`` trains as well as one that writes in place
(``np.matmul(x.T, g, out=self.grads["w"])``, which saves the copy); an array of another shape,
a new key or a removed key is a ValueError naming the layer and the array.

Arrays returned by ``forward`` and ``backward`` are per-layer buffers reused by the next
call of the same batch size: copy them if you keep them.
"""
from __future__ import annotations

import inspect

import numpy as np

from ..registry import Registry, describe


class ParamArrays(dict):
    """A layer's `params` or `grads`: a dict that, once bound to the engine's flat arrays,
    keeps every entry a view into them (see the module docstring)."""

    def __init__(self, layer: "Layer", kind: str, arrays=()):
        super().__init__(arrays)
        self._layer = layer
        self._kind = kind
        self.bound = False

    def bind(self, views: dict[str, np.ndarray]) -> None:
        """Make each entry the engine's view of the same name (shapes already match)."""
        for name, view in views.items():
            dict.__setitem__(self, name, view)
        self.bound = True

    def _where(self, name) -> str:
        return f"layer {self._layer.name!r} ({type(self._layer).__name__}) {self._kind}[{name!r}]"

    def __setitem__(self, name, array):
        if not self.bound:
            return dict.__setitem__(self, name, array)
        if name not in self:
            raise ValueError(f"Cannot add {self._where(name)} after the model is compiled: create every "
                             f"parameter in build().")
        target = dict.__getitem__(self, name)
        if np.shape(array) != target.shape:
            raise ValueError(f"{self._where(name)} must keep its shape {target.shape}; got an array of shape "
                             f"{np.shape(array)}.")
        if array is not target:
            np.copyto(target, array)

    def replace_all(self, arrays: dict) -> None:
        """``layer.params = {...}``: a fresh dict before binding; after, the same keys, copied in."""
        if self.bound and set(arrays) != set(self):
            raise ValueError(f"Layer {self._layer.name!r} {self._kind} must keep the keys {sorted(self)} after "
                             f"the model is compiled; got {sorted(arrays)}.")
        if not self.bound:
            dict.clear(self)
        self.update(arrays)

    def update(self, arrays=(), **more):
        for name, array in {**dict(arrays), **more}.items():
            self[name] = array

    def setdefault(self, name, default=None):
        if name not in self:
            self[name] = default
        return self[name]

    def _refuse_removal(self, name="") -> None:
        if self.bound:
            raise ValueError(f"Cannot remove {self._where(name)} after the model is compiled.")

    def __delitem__(self, name):
        self._refuse_removal(name)
        dict.__delitem__(self, name)

    def pop(self, name, *default):
        self._refuse_removal(name)
        return dict.pop(self, name, *default)

    def popitem(self):
        self._refuse_removal()
        return dict.popitem(self)

    def clear(self):
        self._refuse_removal()
        dict.clear(self)


class ParamArraysAttribute:
    """`Layer.params` / `Layer.grads`: assigning a dict goes through `ParamArrays.replace_all`
    (so ``layer.grads = {...}`` after compile is copied in, not lost). It defines no ``__get__``,
    so reading the attribute is a plain instance-dict lookup: layers read it on every batch."""

    def __set_name__(self, owner, name):
        self.name = name

    def __set__(self, layer, arrays):
        current = layer.__dict__.get(self.name)
        if current is None:
            layer.__dict__[self.name] = ParamArrays(layer, self.name, arrays)
        else:
            current.replace_all(arrays)


class Layer:
    """Base class of every layer.

    Attributes
    ----------
    params : ParamArrays (a dict of ndarray)
        Trainable arrays, updated by the optimizer.
    grads : ParamArrays (a dict of ndarray)
        Gradients of the loss with respect to `params`, filled by `backward`.
    state : dict[str, ndarray]
        Non-trainable arrays saved with the weights (e.g. BatchNorm moving statistics).
    needs_input_grad : bool
        Set to False by the training engine for the first trained layer, whose input gradient nobody uses.
    trainable : bool
        False freezes the layer (as Keras' ``layer.trainable = False``): the optimizer leaves its
        params alone and they count as non-trainable; a frozen BatchNorm also runs in inference mode.

    Parameters
    ----------
    name : str, optional
        Unique within a model; given as ``dense``, ``dense_1``, ... when omitted.
    trainable : bool
    input_shape, input_dim : optional
        Keras' way to give the model's per-sample input shape with its first layer
        (``Dense(64, input_shape=(784,))`` or ``input_dim=784``).
    """

    params = ParamArraysAttribute()
    grads = ParamArraysAttribute()

    def __init__(self, name: str | None = None, trainable: bool = True, input_shape=None, input_dim=None):
        if input_shape is not None and input_dim is not None:
            raise ValueError(f"Give input_shape or input_dim, not both; got {input_shape!r} and {input_dim!r}.")
        self.name = name
        self.trainable = bool(trainable)
        self.declared_input_shape = input_shape if input_dim is None else (input_dim,)
        self.params = {}
        self.grads = {}
        self.state: dict[str, np.ndarray] = {}
        self.input_shape: tuple[int, ...] | None = None
        self.dtype = np.dtype("float32")
        self.needs_input_grad = True
        self.built = False
        self._buffers: dict[str, np.ndarray] = {}

    # -- lifecycle -------------------------------------------------------------------------
    def build(self, input_shape: tuple[int, ...], rng: np.random.Generator, dtype="float32") -> None:
        """Create parameters for per-sample inputs of `input_shape`, drawing from `rng`."""
        self.input_shape = tuple(int(d) for d in input_shape)
        self.output_shape(self.input_shape)  # validates the shape
        self.dtype = np.dtype(dtype)
        self.built = True

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Per-sample output shape for a per-sample input shape (identity by default)."""
        return tuple(input_shape)

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray | None:
        raise NotImplementedError

    def regularizers(self) -> dict:
        """``{param name: Regularizer}`` of the params whose penalty the loss includes (none by default)."""
        return {}

    def steps(self) -> list["Layer"]:
        """The layers the engine runs for this one, in order: itself, or (`Dense` with an
        ``activation``) itself then its activation layer."""
        return [self]

    def __call__(self, x, training: bool = False) -> np.ndarray:
        """Keras' ``layer(x)``: the output of every step for a batch `x` (a copy); an unbuilt layer
        is built for ``x.shape[1:]`` (float32 unless `x` is float64) with a fresh generator."""
        x = np.asarray(x)
        if not self.built:
            self.build(x.shape[1:], np.random.default_rng(), x.dtype if x.dtype == np.float64 else np.float32)
        x = np.asarray(x, dtype=self.dtype)
        for step in self.steps():
            x = step.forward(x, training)
        return x.copy()
    # -- weights and config ----------------------------------------------------------------
    def weight_names(self) -> list[str]:
        """Names of the arrays `get_weights` returns, in order: params, then state."""
        return [*self.params, *self.state]

    def get_weights(self) -> list[np.ndarray]:
        return [array.copy() for array in (*self.params.values(), *self.state.values())]

    def check_weights(self, arrays: list[np.ndarray]) -> None:
        """Raise ValueError unless `arrays` match `weight_names()` in number and shapes."""
        names = self.weight_names()
        if len(arrays) != len(names):
            raise ValueError(f"Layer {self.name!r} expects {len(names)} weight arrays "
                             f"({', '.join(names)}); got {len(arrays)}.")
        targets = (*self.params.values(), *self.state.values())
        for name, target, array in zip(names, targets, arrays):
            if np.shape(array) != target.shape:
                raise ValueError(f"Layer {self.name!r} weight {name!r} has shape {target.shape}; "
                                 f"got an array of shape {np.shape(array)}.")

    def set_weights(self, arrays: list[np.ndarray]) -> None:
        """Copy `arrays` into the layer's params and state (checked first: all or nothing)."""
        self.check_weights(arrays)
        for target, array in zip((*self.params.values(), *self.state.values()), arrays):
            target[...] = array

    @property
    def weights(self) -> list[np.ndarray]:
        """The layer's arrays, trainable first (params, then state): the arrays themselves, not copies."""
        return [*self.params.values(), *self.state.values()]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return list(self.params.values()) if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[np.ndarray]:
        return [*([] if self.trainable else self.params.values()), *self.state.values()]

    def count_params(self) -> int:
        """Number of scalars in `weights` (Keras: trainable and not)."""
        return sum(a.size for a in self.weights)

    def get_config(self) -> dict:
        """Constructor arguments as JSON-able data."""
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
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

    # -- helpers for subclasses ------------------------------------------------------------
    def _buffer(self, key: str, shape: tuple[int, ...]) -> np.ndarray:
        """A reusable array of `shape` in the layer dtype (reallocated when the shape changes)."""
        buffer = self._buffers.get(key)
        if buffer is None or buffer.shape != shape:
            buffer = self._buffers[key] = np.empty(shape, dtype=self.dtype)
        return buffer

    def _add_param(self, name: str, value: np.ndarray) -> None:
        self.params[name] = value
        self.grads[name] = np.zeros_like(value)


registry = Registry("layer", Layer, required=("forward", "backward"))


def register_layer(cls: type) -> type:
    """Class decorator for user layers: makes them usable in configs and model files.

    ```python
    @register_layer
    class Double(Layer):
        def forward(self, x, training=False):
            return 2 * x

        def backward(self, grad_out):
            return 2 * grad_out
    ```
    """
    registry.add(cls)
    return cls
