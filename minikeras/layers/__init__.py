"""Layers: each with ``build``, ``forward(x, training)``, ``backward(grad_out)``, ``params``, ``grads``."""
from .activations import (Activation, LeakyReLU, Linear, ReLU, ScaledTanh, Sigmoid,
                          Softmax, Tanh)
from .base import Layer, register_layer, registry
from .batchnorm import BatchNorm
from .dense import Dense
from .dropout import Dropout
from .reshape import Flatten

__all__ = ["Layer", "Dense", "BatchNorm", "Dropout", "Flatten", "Activation", "ReLU", "LeakyReLU",
           "Sigmoid", "Tanh", "ScaledTanh", "Softmax", "Linear", "register_layer",
           "registry"]
