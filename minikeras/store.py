"""Flat storage: many variables' values kept end to end in one array.

The training engine keeps every trainable weight's value, and its gradient, in one flat array
(`ParameterStore`), and an element-wise optimizer keeps each of its slots the same way, so that
one update is a few numpy calls over the whole model instead of a few per weight (what small
layers and batches pay most for). Each `Variable` keeps working as before: its value becomes a
view into the flat array. Only the engine and the optimizers' base class use this module.
"""
from __future__ import annotations

import numpy as np

from .variables import Variable


def views(flat: np.ndarray, shapes: list[tuple[int, ...]]) -> list[np.ndarray]:
    """Views of consecutive pieces of `flat`, one per shape."""
    bounds = np.cumsum([0, *(int(np.prod(shape)) for shape in shapes)])
    return [flat[start:stop].reshape(shape) for start, stop, shape in zip(bounds[:-1], bounds[1:], shapes)]


def pack(variables: list[Variable], dtype) -> np.ndarray:
    """One flat array holding the values of `variables`, each of which now keeps its value in it."""
    flat = np.empty(sum(variable.size for variable in variables), dtype=dtype)
    for variable, view in zip(variables, views(flat, [variable.shape for variable in variables])):
        variable._rebind(view)
    return flat


class ParameterStore:
    """The trainable weights of built layers as two flat arrays, `values` and `grads`.

    Each weight's value is a view into `values`; each layer's ``grads[name]`` is a view into
    `grads`, where its `backward` writes. A layer that assigns a new gradient array instead has it
    copied in by `collect_gradients`.
    """

    def __init__(self, layers, dtype):
        entries = [(layer, key, variable) for layer in layers for key, variable in layer.trainable_weight_entries()]
        self.variables: list[Variable] = [variable for _, _, variable in entries]
        self.values = pack(self.variables, dtype)
        self.value_views = [variable.value for variable in self.variables]
        self.grads = np.zeros_like(self.values)
        self.grad_views = views(self.grads, [variable.shape for variable in self.variables])
        self._gradient_entries = [(layer, key) for layer, key, _ in entries]
        self.names = [f"{layer.name}/{key}" for layer, key, _ in entries]  # unique: a layer's keys are
        for (layer, name), view in zip(self._gradient_entries, self.grad_views):
            layer.grads[name] = view

    def claim(self) -> None:
        """Point the variables (and their layers' gradients) back here if another store took them
        (a layer shared by two models), keeping their current values."""
        for variable, view in zip(self.variables, self.value_views):
            if variable.value is not view:
                np.copyto(view, variable.value)
                variable._rebind(view)
        for (layer, name), view in zip(self._gradient_entries, self.grad_views):
            layer.grads[name] = view

    def collect_gradients(self) -> None:
        """Copy into `grads` the gradients layers assigned as new arrays (and point them back)."""
        for (layer, name), view in zip(self._gradient_entries, self.grad_views):
            written = layer.grads.get(name)
            if written is not view:
                if np.shape(written) != view.shape:
                    raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) grads[{name!r}] must have its "
                                     f"weight's shape {view.shape}; got {type(written).__name__} of shape "
                                     f"{np.shape(written)}.")
                np.copyto(view, written)
                layer.grads[name] = view
