"""minikeras: a small, fast, Keras-style neural-network framework on numpy.

Examples
--------
>>> import minikeras as mk
>>> model = mk.Model(input_dim=2, seed=0)
>>> model.add_layer(16, "relu")
>>> model.add_layer(3, "softmax")
>>> model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
"""
import importlib

from . import (
    activations,
    callbacks,
    config,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    ops,
    optimizers,
    preprocessing,
    random,
    regularizers,
    saving,
    schedules,
    search,
    utils,
)
from .graph import KerasTensor
from .layers import Input, register_layer
from .lr_range import lr_range_test
from .models import Model, Sequential, load_model
from .saving import ModelFileError
from .seeding import set_seed
from .system_info import show_config
from .variables import Variable
from .version import __version__

__all__ = ["Model", "Sequential", "KerasTensor", "Variable", "config", "set_seed", "load_model", "ModelFileError",
           "lr_range_test", "register_layer", "show_config", "Input", "activations", "layers", "models", "utils",
           "initializers", "ops", "optimizers", "schedules", "callbacks", "regularizers", "losses", "metrics",
           "datasets", "preprocessing", "random", "saving", "plot", "search", "__version__"]


def __getattr__(name):
    # matplotlib is imported only when plots are asked for (`mk.plot`), not by `import minikeras`.
    if name == "plot":
        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'minikeras' has no attribute {name!r}")
