"""Keras' ``keras.models`` namespace: the model classes and opening a saved model."""
from __future__ import annotations

import json
from typing import Any

from . import registry, saving
from .functional import Functional
from .model import Model
from .sequential import Sequential

__all__ = ["Model", "Sequential", "Functional", "load_model", "model_from_json"]

_CLASSES: dict[str, Any] = {"Sequential": Sequential, "Functional": Functional, "Model": Functional}


def model_from_json(json_string: str, custom_objects=None) -> Model:
    """The architecture saved by ``model.to_json()`` (fresh weights). Classes are looked up in the
    registries only: custom ones registered with ``keras.saving.register_keras_serializable()``
    or given as `custom_objects` (``{"MyLayer": MyLayer}``)."""
    with registry.custom_object_scope(custom_objects):
        return _model_from_json(json_string)


def _model_from_json(json_string: str) -> Model:
    try:
        data = json.loads(json_string)
    except (TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"model_from_json expects the JSON text of model.to_json(); it is not valid JSON ({error}).") \
            from None
    if not isinstance(data, dict) or data.get("class_name") not in _CLASSES:
        raise ValueError(f"model_from_json expects a model's JSON ({{'class_name': 'Sequential' or 'Functional', "
                         f"'config': ...}}); got {str(data)[:80]!r}.")
    return _CLASSES[data["class_name"]].from_config(data.get("config"))


def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True) -> Model:  # noqa: A002
    """The model saved in `filepath` by ``model.save``: architecture, weights, compile settings,
    optimizer state and training position, so that it predicts identically and `fit` continues
    exactly where it stopped. A damaged or foreign file raises `minikeras.ModelFileError`.

    A file naming a custom class (a layer, loss, metric or subclassed model) loads it only when it
    is registered (``keras.saving.register_keras_serializable()``) or given in `custom_objects`
    (``{"MyLayer": MyLayer}``); nothing a file names is ever imported or run. `safe_mode` is
    always on (Keras' default); ``compile=False`` reads the architecture and weights only.

    A Keras 3 ``.keras`` file or a legacy Keras ``.h5`` file (recognized by their content) of a
    Sequential or functional model of the layers Keras and minikeras share loads with its
    weights (`saving.load_keras`, `saving.load_legacy_keras`)."""
    return saving.load_model(filepath, custom_objects, compile, safe_mode)
