"""Activation layers: thin wrappers around the kernels in `minikeras.backend`, and Keras' `Activation`.

One module per family; this package re-exports them all, and `registry` finds them by name.
"""
from .base import (
                   FUNCTION_DEFAULTS,
                   KERAS_FUNCTIONS,
                   Activation,
                   ActivationLayer,
                   InputActivation,
                   Linear,
                   get,
                   name_of,
                   register_activation,
                   registry,
                   stable_sigmoid,
)
from .rectifiers import CELU, ELU, SELU, SELU_ALPHA, SELU_SCALE, HardTanh, LeakyReLU, PReLU, ReLU, ReLU6
from .shrinkage import HardShrink, SoftShrink, Threshold, ThresholdedActivation
from .smooth import (
                   GELU,
                   GELU_TANH_COEFFICIENT,
                   Exponential,
                   HardSigmoid,
                   HardSwish,
                   LogSigmoid,
                   Mish,
                   ScaledTanh,
                   Sigmoid,
                   Softplus,
                   Softsign,
                   SparsePlus,
                   SparseSigmoid,
                   Squareplus,
                   Swish,
                   Tanh,
                   TanhShrink,
)
from .softmax import GLU, AxisActivation, LogSoftmax, Softmax, Sparsemax

__all__ = ["FUNCTION_DEFAULTS", "KERAS_FUNCTIONS", "Activation", "ActivationLayer", "InputActivation", "Linear", "get",
           "name_of",
           "register_activation", "registry", "stable_sigmoid", "CELU", "ELU", "SELU", "SELU_ALPHA", "SELU_SCALE",
           "HardTanh", "LeakyReLU", "PReLU", "ReLU", "ReLU6", "HardShrink", "SoftShrink", "Threshold",
           "ThresholdedActivation", "GELU", "GELU_TANH_COEFFICIENT", "Exponential", "HardSigmoid", "HardSwish",
           "LogSigmoid", "Mish", "ScaledTanh", "Sigmoid", "Softplus", "Softsign", "SparsePlus", "SparseSigmoid",
           "Squareplus", "Swish", "Tanh", "TanhShrink", "GLU", "AxisActivation", "LogSoftmax", "Softmax", "Sparsemax"]
