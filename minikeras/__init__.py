"""minikeras: a small, fast, Keras-style neural-network framework on numpy.

>>> import minikeras as mk
>>> model = mk.Model(input_dim=2, seed=0)
>>> model.add_layer(16, "relu")
>>> model.add_layer(3, "softmax")
>>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""
from . import (callbacks, initializers, layers, losses, metrics, optimizers, regularizers,
               schedules)
from .layers import register_layer
from .model import Model, Sequential
from .saving import ModelFileError, load_model
from .seeding import set_seed

__version__ = "0.1.0"

__all__ = ["Model", "Sequential", "set_seed", "load_model", "ModelFileError", "register_layer", "layers", "initializers",
           "optimizers", "schedules", "callbacks", "regularizers", "losses", "metrics", "__version__"]
