"""Model files: HDF5 and Keras 3's ``.keras``, no pickle, classes looked up in minikeras' registries
only; and ONNX export. Also Keras' ``keras.saving`` namespace: `load_model`, `save_model` and
registering custom classes and functions (`register_keras_serializable`, `custom_object_scope`).

`minikeras.load_model` (also `minikeras.models.load_model`) opens a whole model.
"""
import os
from typing import Any

from ..registry import (
    CUSTOM_OBJECTS,
    REGISTRIES,
    custom_object,
    custom_object_scope,
    family,
    register_keras_serializable,
    registered_name,
    serialize,
)
from .hdf5 import FORMAT_VERSION, ModelFileError, file_kind, load_weights, save_weights, weight_shapes
from .hdf5 import load_model as hdf5_load_model
from .hdf5 import save_model as hdf5_save_model
from .keras_format import is_keras_file, load_keras, save_keras
from .keras_legacy import is_legacy_keras_h5, load_legacy_keras
from .onnx_export import export as export_onnx


def save(model, path, follow_links: bool = True) -> None:
    """`model.save`: Keras 3's zip for a path ending in ``.keras``, else minikeras' HDF5 (see
    `atomic_path` for `follow_links`)."""
    if os.fspath(path).endswith(".keras"):
        save_keras(model, path, follow_links)
    else:
        hdf5_save_model(model, path, follow_links=follow_links)

def load_model(filepath, custom_objects=None, compile: bool = True, safe_mode: bool = True):  # noqa: A002
    """Keras' ``keras.saving.load_model``: the model saved in `filepath` (minikeras' HDF5, Keras'
    ``.keras`` or legacy ``.h5``). A custom class a file names loads only when registered
    (`register_keras_serializable`) or given in `custom_objects`; nothing a file names is run."""
    if not safe_mode:
        raise ValueError("safe_mode=False would allow running code a file names; minikeras never does that.")
    model_class = family("model").base
    with custom_object_scope(custom_objects):
        if is_keras_file(filepath):
            return load_keras(filepath, model_class, compile)
        if is_legacy_keras_h5(filepath):
            return load_legacy_keras(filepath, model_class)
        return hdf5_load_model(filepath, model_class, compile)


def save_model(model, filepath, overwrite: bool = True, zipped=None, **kwargs) -> None:
    """Keras' ``keras.saving.save_model``: `model.save(filepath)`."""
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"{os.fspath(filepath)!r} exists and overwrite=False.")
    if kwargs or zipped is False:
        raise ValueError(f"save_model takes the model, the path and overwrite; got zipped={zipped!r} {sorted(kwargs)}.")
    model.save(filepath)


def get_registered_name(obj) -> str:
    """Keras' name of `obj` in files: ``"package>name"`` once registered, else its own name."""
    return registered_name(obj)


def get_registered_object(name: str, custom_objects=None, module_objects=None) -> Any:
    """The class or function registered (or given in `custom_objects`) under `name`, or None."""
    with custom_object_scope({**(module_objects or {}), **(custom_objects or {})}):
        return custom_object(name)


def get_custom_objects() -> dict[str, Any]:
    """Keras' global dict of registered custom objects (by registered name)."""
    return CUSTOM_OBJECTS


class CustomObjectScope:
    """Keras' ``CustomObjectScope``: ``with CustomObjectScope({"MyLayer": MyLayer}): ...``."""

    def __init__(self, custom_objects: dict[str, Any] | None = None):
        self._scope = custom_object_scope(custom_objects)

    def __enter__(self):
        self._scope.__enter__()
        return self

    def __exit__(self, *exc):
        return self._scope.__exit__(*exc)


def serialize_keras_object(obj) -> Any:
    """Keras' ``serialize_keras_object``: ``{"class_name", "config"}`` of an object with
    `get_config`, the registered name of a function, or plain data as it is."""
    if obj is None or isinstance(obj, (bool, int, float, str, list, dict)):
        return obj
    return serialize(obj) if hasattr(obj, "get_config") else registered_name(obj)


def deserialize_keras_object(config, custom_objects=None, safe_mode: bool = True, **kwargs) -> Any:
    """The object `serialize_keras_object` described: a class of a registry (custom ones when
    registered or given), a registered function, or plain data."""
    with custom_object_scope(custom_objects):
        if isinstance(config, str):
            found = custom_object(config)
            if found is None:
                raise ValueError(f"Unknown object {config!r}: register it with register_keras_serializable() or "
                                 f"give it in custom_objects.")
            return found
        if not (isinstance(config, dict) and "class_name" in config):
            return config
        for registry in REGISTRIES:
            try:
                registry.lookup(config["class_name"])
            except ValueError:
                continue
            return registry.from_config(config)
        raise ValueError(f"Unknown class {config['class_name']!r}: register it with register_keras_serializable() or "
                         f"give it in custom_objects.")


__all__ = ["save", "load_model", "save_model", "register_keras_serializable", "get_registered_name",
           "get_registered_object", "get_custom_objects", "custom_object_scope", "CustomObjectScope",
           "serialize_keras_object", "deserialize_keras_object", "FORMAT_VERSION", "ModelFileError", "file_kind",
           "load_weights", "save_weights", "weight_shapes", "hdf5_load_model", "hdf5_save_model", "export_onnx",
           "is_keras_file", "load_keras", "save_keras", "is_legacy_keras_h5", "load_legacy_keras"]
