"""Layers: each with ``build``, ``forward(x, training)``, ``backward(grad_out)``, ``params``, ``grads``."""
from .activations import (ELU, SELU, Activation, ActivationLayer, Exponential, HardSigmoid, HardSwish, LeakyReLU,
                          Linear, Mish, ReLU, ReLU6, ScaledTanh, Sigmoid, Softmax, Softplus, Softsign, Swish, Tanh)
from .base import Layer, register_layer, registry
from .batchnorm import BatchNorm, BatchNormalization
from .dense import Dense
from .dropout import Dropout
from .input import Input, InputLayer
from .reshape import Flatten, Reshape

__all__ = ["Layer", "Dense", "BatchNorm", "BatchNormalization", "Dropout", "Flatten", "Reshape", "Input",
           "InputLayer", "Activation", "ActivationLayer", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "ScaledTanh",
           "Softmax", "Linear", "register_layer", "registry"]
