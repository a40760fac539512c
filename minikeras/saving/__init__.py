"""Model files: HDF5 and Keras 3's ``.keras``, no pickle, classes looked up in minikeras' registries
only; and ONNX export.

`minikeras.load_model` (also `minikeras.models.load_model`) opens a whole model.
"""
import os

from .hdf5 import FORMAT_VERSION, ModelFileError, file_kind, load_weights, save_model, save_weights, weight_shapes
from .keras_format import is_keras_file, load_keras, save_keras
from .keras_legacy import is_legacy_keras_h5, load_legacy_keras
from .onnx_export import export as export_onnx


def save(model, path, follow_links: bool = True) -> None:
    """`model.save`: Keras 3's zip for a path ending in ``.keras``, else minikeras' HDF5 (see
    `atomic_path` for `follow_links`)."""
    if os.fspath(path).endswith(".keras"):
        save_keras(model, path, follow_links)
    else:
        save_model(model, path, follow_links=follow_links)

__all__ = ["save", "FORMAT_VERSION", "ModelFileError", "file_kind", "load_weights", "save_model", "save_weights",
           "weight_shapes", "export_onnx", "is_keras_file", "load_keras", "save_keras", "is_legacy_keras_h5",
           "load_legacy_keras"]
