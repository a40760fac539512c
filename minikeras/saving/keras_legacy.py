"""Keras' legacy HDF5 model files (``model.save("m.h5")`` in Keras: ``model_config`` and
``model_weights``), read as `keras_format` reads ``.keras`` files: the config through minikeras'
registries only, each array found by Keras' variable name, its shape checked before it is read.
"""
from __future__ import annotations

import os

import h5py

from ..layers.base import Layer
from .hdf5 import checked_array, file_error, json_attr, member, warn_if_non_finite
from .heap_check import string_attribute_problem
from .keras_format import model_from_keras_config, regular_file


def is_legacy_keras_h5(path) -> bool:
    """Whether `path` is an HDF5 file as Keras' legacy ``model.save("m.h5")`` writes it (only
    attribute names are looked at: no value is read before `load_legacy_keras` checks the file)."""
    if not regular_file(os.fspath(path)):  # a FIFO would block; minikeras' loader reports it
        return False
    try:
        with h5py.File(os.fspath(path), "r") as f:
            return "format" not in f.attrs and "model_config" in f.attrs and \
                f.get("model_weights", getlink=True) is not None
    except (OSError, RuntimeError, KeyError, ValueError):  # h5py's words for a damaged file: not a Keras one
        return False


def _layer_arrays(group: h5py.Group, layer) -> list:
    """The arrays of `layer` below its group, found by Keras' variable names (``kernel`` or ``kernel:0``,
    at any depth), in Keras' order; shapes checked before reading."""
    names = layer.keras_variable_names()
    found: dict[str, str] = {}

    def collect(path, item):
        stem = path.rsplit("/", 1)[-1].split(":")[0]
        if isinstance(item, h5py.Dataset) and stem in names:
            if stem in found:
                raise ValueError(f"layer {layer.name!r} holds two arrays called {stem!r}")
            found[stem] = path

    group.visititems(collect)
    wanted = names
    missing = [name for name in wanted if name not in found]
    if missing:
        raise ValueError(f"layer {layer.name!r} has no {', '.join(missing)} in model_weights")
    return [checked_array(group, found[name], variable.shape) for name, variable in zip(wanted, layer.weights)]


def _legacy_arrays(weights: h5py.Group, model) -> dict[int, list]:
    """The arrays of each layer holding weights, by id: a top-level layer's in the group of its name,
    a nested model's layers' in the groups of their names below the model's own."""
    found: dict[int, list] = {}
    for layer in model.layers:
        if isinstance(layer, Layer):
            if layer.weights:
                found[id(layer)] = _layer_arrays(member(weights, str(layer.name)), layer)
            continue
        group = member(weights, layer.name)
        for leaf in layer.leaf_layers():
            if leaf.weights:
                found[id(leaf)] = _layer_arrays(_named_group(group, str(leaf.name)), leaf)
    return found


def _named_group(group: h5py.Group, name: str) -> h5py.Group:
    """The first group called `name` below `group` (legacy files nest a model's layers one or two deep)."""
    hit = group.visit(lambda path: path if path.rsplit("/", 1)[-1] == name and
                      isinstance(group.get(path, getlink=True), h5py.HardLink) and
                      isinstance(group[path], h5py.Group) else None)
    if hit is None:
        raise ValueError(f"layer {name!r} has no weights below {group.name!r}")
    return group[hit]


def _legacy_model(path, model_class):
    problem = string_attribute_problem(path)  # before HDF5 reads the config's value
    if problem is not None:
        raise ValueError(problem)
    with h5py.File(os.fspath(path), "r") as f:
        config = json_attr(f, "model_config")
        model = model_from_keras_config(config, model_class, path)
        found = _legacy_arrays(member(f, "model_weights"), model)
    arrays = [array for layer in model.leaf_layers() for array in found.get(id(layer), [])]
    warn_if_non_finite(path, model, arrays)
    model.set_weights(arrays)
    return model


def load_legacy_keras(path, model_class):
    """A `model_class` from a legacy Keras ``.h5`` file (``model_config`` and ``model_weights``) of a
    Sequential model of the layers in `readable_layers`, as `load_keras` reads ``.keras`` files."""
    try:
        return _legacy_model(path, model_class)
    except (KeyError, TypeError, ValueError, OSError, RecursionError, RuntimeError) as error:
        raise file_error(path, error, "a legacy Keras file") from None
