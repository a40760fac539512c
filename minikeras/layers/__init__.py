"""Layers: each with ``build``, ``forward(x, training)``, ``backward(grad_out)``, ``params``, ``grads``."""
from .activations import (
                          CELU,
                          ELU,
                          GELU,
                          GLU,
                          SELU,
                          Activation,
                          ActivationLayer,
                          Exponential,
                          HardShrink,
                          HardSigmoid,
                          HardSwish,
                          HardTanh,
                          LeakyReLU,
                          Linear,
                          LogSigmoid,
                          LogSoftmax,
                          Mish,
                          PReLU,
                          ReLU,
                          ReLU6,
                          ScaledTanh,
                          Sigmoid,
                          Softmax,
                          Softplus,
                          SoftShrink,
                          Softsign,
                          Sparsemax,
                          SparsePlus,
                          SparseSigmoid,
                          Squareplus,
                          Swish,
                          Tanh,
                          TanhShrink,
                          Threshold,
)
from .augmentation import RandomContrast, RandomFlip
from .base import Layer, register_layer, registry
from .batchnorm import BatchNorm, BatchNormalization
from .convolutional import Conv1D, Conv2D
from .dense import Dense
from .depthwise import DepthwiseConv1D, DepthwiseConv2D, SeparableConv1D, SeparableConv2D
from .dropout import Dropout, SpatialDropout1D, SpatialDropout2D
from .geometric_augmentation import RandomCrop, RandomRotation, RandomTranslation, RandomZoom
from .image_reshaping import Cropping2D, UpSampling2D, ZeroPadding2D
from .input import Input, InputLayer
from .layer_normalization import LayerNormalization
from .merging import (
                          Add,
                          Average,
                          Concatenate,
                          Dot,
                          Maximum,
                          Minimum,
                          Multiply,
                          Subtract,
                          add,
                          average,
                          concatenate,
                          dot,
                          maximum,
                          minimum,
                          multiply,
                          subtract,
)
from .noise import AlphaDropout, GaussianDropout, GaussianNoise
from .pooling import (
                          AveragePooling1D,
                          AveragePooling2D,
                          GlobalAveragePooling1D,
                          GlobalAveragePooling2D,
                          GlobalMaxPooling1D,
                          GlobalMaxPooling2D,
                          MaxPooling1D,
                          MaxPooling2D,
)
from .preprocessing import Normalization, Rescaling
from .reshape import Flatten, Identity, Reshape

__all__ = ["Layer", "Dense", "Conv1D", "Conv2D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
           "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
           "GlobalMaxPooling2D", "SpatialDropout1D", "SpatialDropout2D", "ZeroPadding2D", "Cropping2D",
           "UpSampling2D", "RandomFlip", "RandomContrast", "RandomTranslation",
           "RandomRotation", "RandomZoom", "RandomCrop",
           "BatchNorm", "BatchNormalization", "LayerNormalization", "Dropout", "GaussianNoise",
           "GaussianDropout", "AlphaDropout", "Rescaling", "Normalization", "Flatten", "Reshape", "Identity", "Input",
           "InputLayer", "Activation", "ActivationLayer", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU",
           "Sigmoid", "Tanh", "ScaledTanh", "Softmax", "LogSoftmax", "Swish", "Softplus", "Softsign", "HardSigmoid",
           "HardSwish",
           "Mish", "ReLU6", "Exponential", "Linear", "CELU", "GLU", "HardShrink", "HardTanh", "LogSigmoid",
           "SoftShrink",
           "Sparsemax", "SparsePlus", "SparseSigmoid", "Squareplus", "TanhShrink", "Threshold", "register_layer",
           "registry", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot", "add",
           "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot"]
