"""The Layer base class and the layer registry.

Lifecycle (as in Keras): hyper-parameters in ``__init__``; ``build(input_shape, rng, dtype)``
creates the parameters once the per-sample input shape is known; ``forward(x, training)``
computes the output and caches what ``backward`` needs; ``backward(grad_out)`` fills
``self.grads`` (same keys as ``self.params``) and returns the gradient with respect to the
input. ``backward`` never changes a parameter: the optimizer owns updates.

Arrays returned by ``forward`` and ``backward`` are per-layer buffers reused by the next
call of the same batch size: copy them if you keep them.
"""
from __future__ import annotations

import numpy as np

from ..registry import Registry, describe


class Layer:
    """Base class of every layer.

    Attributes
    ----------
    params : dict[str, ndarray]
        Trainable arrays, updated by the optimizer.
    grads : dict[str, ndarray]
        Gradients of the loss with respect to `params`, filled by `backward`.
    state : dict[str, ndarray]
        Non-trainable arrays saved with the weights (e.g. BatchNorm moving statistics).
    needs_input_grad : bool
        Set to False by the model for the first layer, whose input gradient nobody uses.
    """

    def __init__(self, name: str | None = None):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
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

    def penalty(self) -> float:
        """Regularization added to the loss (0 for layers without regularizers)."""
        return 0.0

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

    def count_params(self) -> tuple[int, int]:
        """(trainable, non_trainable) number of scalars."""
        return (sum(a.size for a in self.params.values()), sum(a.size for a in self.state.values()))

    def get_config(self) -> dict:
        """Constructor arguments as JSON-able data."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        config = {key: value for key, value in self.get_config().items() if key != "name"}
        return describe({"class_name": type(self).__name__, "config": config})

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


registry = Registry("layer", Layer)


def register_layer(cls: type) -> type:
    """Class decorator for user layers: makes them usable in configs and model files::

        @register_layer
        class Double(Layer):
            def forward(self, x, training=False):
                return 2 * x

            def backward(self, grad_out):
                return 2 * grad_out
    """
    registry.add(cls)
    return cls
