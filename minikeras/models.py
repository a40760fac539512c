"""Keras' ``keras.models`` namespace: the model classes and opening a saved model."""
from __future__ import annotations

from .model import Model, Sequential
from .saving import hdf5

__all__ = ["Model", "Sequential", "load_model"]


def load_model(path) -> Model:
    """The model saved in `path` by ``model.save``: architecture, weights, compile settings,
    optimizer state and training position, so that it predicts identically and `fit` continues
    exactly where it stopped. A damaged or foreign file raises `minikeras.ModelFileError`."""
    return hdf5.load_model(path, Model)
