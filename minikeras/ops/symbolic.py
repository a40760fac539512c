"""Ops on symbolic tensors: ``ops.expand_dims(keras.Input((28, 28)), -1)`` while building a
functional model, as Keras allows.

An op given a `KerasTensor` (directly, or in a list) records the call of an `OpLayer` in the
graph and returns its symbolic output: a layer written with ``call`` that runs the op, by name,
on the tensors it receives, with the op's other arguments kept in its config. In the model it
trains and differentiates like any layer written with ops. The ops an `OpLayer` may name are
those of `minikeras.ops` (`OPERATIONS`), so a file can name nothing else.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..graph import KerasTensor, SymbolicInput
from ..layers.base import Layer, registry

OPERATIONS: dict[str, Callable] = {}
"""The ops an `OpLayer` runs, by name (filled by `minikeras.ops`)."""

# What an op returns for a symbolic tensor without adding a layer: what the tensor already knows.
_STATIC: dict[str, Callable[[KerasTensor], Any]] = {"shape": lambda t: t.shape, "ndim": lambda t: len(t.shape),
                                                    "dtype": lambda t: t.dtype}
_INPUT = "keras_tensor"  # the key marking an input's place among an op's arguments


def make_aware(group) -> None:
    """Make every op of the module `group` (its ``__all__``) `symbolic_aware`, in its own namespace
    (so the op namespaces built from the groups get them), and list it in `OPERATIONS`."""
    for name in group.__all__:
        op = getattr(group, name)
        OPERATIONS[name] = op
        setattr(group, name, symbolic_aware(name, op))


def symbolic_aware(name: str, op: Callable) -> Callable:
    """`op`, which on symbolic tensors records an `OpLayer` call instead of computing."""

    @functools.wraps(op)
    def run(*args, **kwargs):
        try:
            return op(*args, **kwargs)
        except SymbolicInput:
            return _symbolic_call(name, args, kwargs)

    return run


def _symbolic_call(name: str, args: tuple, kwargs: dict):
    tensors: list[KerasTensor] = []
    arguments, keywords = _template(list(args), tensors), _template(dict(kwargs), tensors)
    if name in _STATIC and len(tensors) == 1 and isinstance(args[0], KerasTensor):
        return _STATIC[name](args[0])
    layer = OpLayer(name, arguments, keywords)
    return layer(tensors if len(tensors) > 1 else tensors[0])


def _template(value, tensors: list):
    """`value` with each KerasTensor replaced by ``{"keras_tensor": its index in tensors}``."""
    if isinstance(value, KerasTensor):
        tensors.append(value)
        return {_INPUT: len(tensors) - 1}
    if isinstance(value, (list, tuple)):
        return type(value)(_template(item, tensors) for item in value)
    if isinstance(value, dict):
        return {key: _template(item, tensors) for key, item in value.items()}
    return value


def _filled(value, inputs: list):
    if isinstance(value, dict) and set(value) == {_INPUT}:
        return inputs[value[_INPUT]]
    if isinstance(value, (list, tuple)):
        return type(value)(_filled(item, inputs) for item in value)
    if isinstance(value, dict):
        return {key: _filled(item, inputs) for key, item in value.items()}
    return value


@registry.register()
class OpLayer(Layer):
    """One op of `minikeras.ops` called on a functional model's symbolic tensors: ``call`` runs
    ``ops.<op>(*arguments, **keywords)`` with the layer's inputs in their places."""

    def __init__(self, op: str, arguments=(), keywords=None, **kwargs):
        if op not in OPERATIONS:
            raise ValueError(f"Unknown op {op!r}: an OpLayer runs one of minikeras.ops' ops.")
        super().__init__(**kwargs)
        self.op, self.arguments, self.keywords = op, _restored(list(arguments)), _restored(dict(keywords or {}))

    def name_stem(self) -> str:
        return self.op  # Keras names such a layer after its op: "expand_dims", "relu", ...

    def call(self, inputs):
        given = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        return OPERATIONS[self.op](*_filled(self.arguments, given), **_filled(self.keywords, given))

    def keras_layers(self, name=None):
        raise ValueError(f"Cannot write layer {self.name!r} to a Keras file: it is ops.{self.op} called on symbolic "
                         f"tensors, which Keras writes as its own operation classes; save with minikeras' format.")

    def get_config(self) -> dict:
        return {"op": self.op, "arguments": _plain(self.arguments), "keywords": _plain(self.keywords),
                "name": self.name, "trainable": self.trainable}


def _plain(value):
    """Arguments as JSON-able data: arrays as nested lists, tuples (an index) and slices marked."""
    if isinstance(value, np.ndarray | np.generic):
        return value.tolist()
    if isinstance(value, slice):
        return {"slice": [value.start, value.stop, value.step]}
    if value is Ellipsis:
        return {"ellipsis": True}
    if isinstance(value, tuple):
        return {"tuple": [_plain(item) for item in value]}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


def _restored(value):
    """`_plain`'s data as arguments again."""
    if isinstance(value, dict) and set(value) == {"slice"} and isinstance(value["slice"], list):
        return slice(*value["slice"])
    if isinstance(value, dict) and set(value) == {"ellipsis"}:
        return Ellipsis
    if isinstance(value, dict) and set(value) == {"tuple"} and isinstance(value["tuple"], list):
        return tuple(_restored(item) for item in value["tuple"])
    if isinstance(value, list):
        return [_restored(item) for item in value]
    if isinstance(value, dict):
        return {key: _restored(item) for key, item in value.items()}
    return value
