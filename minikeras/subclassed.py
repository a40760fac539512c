"""Subclassed models: ``class MyModel(keras.Model)`` with layers as attributes and a ``call``.

Such a model is Python code, not a graph. Its engine runs one step, `ModelCall`: the model's
``call`` differentiated on the tape like a layer written with ``call``
(`minikeras.layers.calls`): its weights are those of the layers (and variables) held in the
model's attributes, in the order they were set, and the losses its call and its layers add
(``add_loss``) join the training loss. It is built as Keras builds it: by calling it once, on the
first data (``fit``, ``predict``, ``model(x)``) or on zeros of ``build(input_shape)``, which
builds its layers with the model's generator.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .checks import snake_case
from .layers import calls
from .layers.base import Layer


class ModelCall(Layer):
    """The ``call`` of a subclassed `model` as the one step of its engine's program."""

    def __init__(self, model):
        # Named by the model's class, not the model's name: a fresh instance reads its weight files.
        super().__init__(name=snake_case(type(model).__name__))
        self._model = model  # the model's attributes are its sublayers, not this step's

    def call(self, inputs, training=None):
        return self._model.run_own_call(inputs, training)

    def weight_entries(self) -> list[tuple[str, Any]]:
        return calls.with_sublayer_entries(self._model, [])

    def trainable_weight_entries(self) -> list[tuple[str, Any]]:
        if not self._model.trainable:
            return []
        return [(key, variable) for key, variable in self.weight_entries() if variable.trainable]

    def losses_added(self) -> list:
        return self._model.losses_added()

    def tracked_layers(self) -> list:
        return model_layers(self._model)


def model_layers(model) -> list:
    """Keras' ``model.layers`` of a subclassed model: the layers held in its attributes."""
    return [item for _, item in calls.sublayers(model)]


def per_sample_shape(input_shape) -> tuple[int, ...] | list[tuple[int, ...]]:
    """Keras' ``build(input_shape)`` shape without its batch axis: ``(None, 784) -> (784,)``; a
    shape without None is taken as per-sample already (minikeras' own callers)."""
    if isinstance(input_shape, list):
        return [per_sample_shape(shape) for shape in input_shape]  # type: ignore[misc]
    shape = tuple(input_shape)
    return tuple(int(d) for d in (shape[1:] if shape and shape[0] is None else shape))


def shape_of_batch(x) -> tuple[int, ...] | list[tuple[int, ...]]:
    """The per-sample shape of a batch `x` (a list of them for a list of inputs)."""
    if isinstance(x, (list, tuple)):
        return [tuple(np.shape(calls.value_of(item)))[1:] for item in x]
    return tuple(np.shape(calls.value_of(x)))[1:]


def keras_shape(shape):
    """Keras' ``(None, ...)`` of a per-sample shape (a list of them for several inputs)."""
    return [keras_shape(one) for one in shape] if isinstance(shape, list) else [None, *shape]


def file_input_shape(build_config) -> tuple[int, ...] | list[tuple[int, ...]]:
    """The per-sample input shape of a file's ``build_config``; ValueError unless positive sizes."""
    shape: Any = build_config.get("input_shape") if isinstance(build_config, dict) else None
    several = isinstance(shape, list) and bool(shape) and isinstance(shape[0], list)
    shapes: list[Any] = shape if several else [shape]
    for one in shapes:
        if not isinstance(one, list) or not one or one[0] is not None or \
                not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d < 2**31 for d in one[1:]):
            raise ValueError(f"build_config input_shape must be [null, size, ...] with positive sizes; got {shape!r}.")
    per_sample = [tuple(one[1:]) for one in shapes]
    return per_sample if several else per_sample[0]
