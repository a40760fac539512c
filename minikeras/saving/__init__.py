"""Model files: HDF5, no pickle, classes looked up in minikeras' registries only."""
from .hdf5 import FORMAT_VERSION, ModelFileError, load_model, load_weights, save_model, save_weights

__all__ = ["FORMAT_VERSION", "ModelFileError", "load_model", "load_weights", "save_model", "save_weights"]
