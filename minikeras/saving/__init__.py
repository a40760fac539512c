"""Model files: HDF5, no pickle, classes looked up in minikeras' registries only.

`minikeras.load_model` (also `minikeras.models.load_model`) opens a whole model.
"""
from .hdf5 import FORMAT_VERSION, ModelFileError, file_kind, load_weights, save_model, save_weights, weight_shapes

__all__ = ["FORMAT_VERSION", "ModelFileError", "file_kind", "load_weights", "save_model", "save_weights",
           "weight_shapes"]
