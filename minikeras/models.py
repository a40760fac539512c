"""Keras' ``keras.models`` namespace: the model classes and opening a saved model."""
from __future__ import annotations

import json
from typing import Any

from . import saving
from .functional import Functional
from .model import Model
from .saving import hdf5
from .sequential import Sequential

__all__ = ["Model", "Sequential", "Functional", "load_model", "model_from_json"]

_CLASSES: dict[str, Any] = {"Sequential": Sequential, "Functional": Functional, "Model": Functional}


def model_from_json(json_string: str, custom_objects=None) -> Model:
    """The architecture saved by ``model.to_json()`` (fresh weights). Classes are looked up in the
    layer registry only; `custom_objects` is not needed: register custom layers with
    ``register_layer`` instead."""
    if custom_objects:
        raise ValueError("custom_objects is not used: decorate custom layers with minikeras.register_layer.")
    try:
        data = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json expects the JSON text of model.to_json(); it is not valid JSON ({error}).") \
            from None
    if not isinstance(data, dict) or data.get("class_name") not in _CLASSES:
        raise ValueError(f"model_from_json expects a model's JSON ({{'class_name': 'Sequential' or 'Functional', "
                         f"'config': ...}}); got {str(data)[:80]!r}.")
    return _CLASSES[data["class_name"]].from_config(data.get("config"))


def load_model(path) -> Model:
    """The model saved in `path` by ``model.save``: architecture, weights, compile settings,
    optimizer state and training position, so that it predicts identically and `fit` continues
    exactly where it stopped. A damaged or foreign file raises `minikeras.ModelFileError`.

    A Keras 3 ``.keras`` file or a legacy Keras ``.h5`` file (recognized by their content) of a
    Sequential or functional model of the layers Keras and minikeras share loads with its
    weights (`saving.load_keras`, `saving.load_legacy_keras`)."""
    if saving.is_keras_file(path):
        return saving.load_keras(path, Model)
    if saving.is_legacy_keras_h5(path):
        return saving.load_legacy_keras(path, Model)
    return hdf5.load_model(path, Model)
