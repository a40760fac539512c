r"""Depthwise and separable convolutions over channels-last inputs (Keras' names and arguments):
`DepthwiseConv2D`, `SeparableConv2D` (images ``(N, H, W, C)``) and their 1-D forms (sequences
``(N, L, C)``, as images of height 1).

A depthwise convolution convolves each input channel with its own `depth_multiplier` ($M$)
filters: kernel $D$ ``(kh, kw, C, M)``, output channel ``c M + m``,
$d_{c m} = \sum_{ij} x_{ij, c} D_{i j c m}$ (one elementwise product per kernel offset,
`backend.convolution.depthwise`). Its backward: $\partial L/\partial D_{ijcm} = \sum x_{ij,c}
g_{cm}$ over samples and positions, and $\sum_m g_{cm} D_{ijcm}$ added back where offset
$(i, j)$ read.

A separable convolution is a depthwise convolution, then a 1x1 convolution mixing the channels:
$y = d\, P + b$ with the pointwise kernel $P$ ``(C M, filters)``, one matrix product, whose
backward is $\partial L/\partial P = d^\top g$, $\partial L/\partial d = g P^\top$. It needs
about ``kh kw`` times fewer multiplications than a full convolution of the same shape.
"""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..backend import column_sums
from ..backend.convolution import depthwise, depthwise_grads
from ..checks import check_int
from ..registry import serialize, serialize_optional
from . import keras_objects
from .base import registry
from .convolutional import SlidingKernel


class Depthwise(SlidingKernel):
    """A sliding kernel whose first product is depthwise: `depthwise_*` arguments and the
    depthwise kernel ``(*kernel_size, C, depth_multiplier)``."""

    depthwise_weight = "kernel"

    def __init__(self, kernel_size, strides=1, padding: str = "valid", depth_multiplier: int = 1, data_format=None,
                 dilation_rate=1, activation=None, use_bias: bool = True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, name: str | None = None,
                 **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, name, **kwargs)
        self.depth_multiplier = check_int(f"{type(self).__name__} depth_multiplier", depth_multiplier, 1)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)

    def build_depthwise(self):
        shape = (*self.kernel_size, self.input_shape[-1], self.depth_multiplier)
        self.depthwise_kernel = self.add_weight(shape, self.depthwise_initializer,
                                                regularizer=self.depthwise_regularizer, name=self.depthwise_weight)

    def depthwise_forward(self, x):
        """The depthwise products ``(N Ho Wo, C M)`` of inputs `x`."""
        self._source = self.padded_input(x)
        channels = self._source.shape[-1]
        out = self._buffer("depthwise", (x.shape[0], *self._out_hw, channels, self.depth_multiplier))
        depthwise(self._source, self.kernel_hw(self.depthwise_kernel.value), self.hw(self.strides),
                  self.hw(self.dilation_rate), out)
        return out.reshape(-1, channels * self.depth_multiplier)

    def depthwise_backward(self, grad):
        """The input's gradient (None if not needed) from the depthwise products' ``(N Ho Wo, C M)``;
        fills the depthwise kernel's."""
        channels = self._source.shape[-1]
        grad = grad.reshape(self._source.shape[0], *self._out_hw, channels, self.depth_multiplier)
        kernel_grad = self.grads[self.depthwise_weight]
        grad_source = depthwise_grads(self._source, self.kernel_hw(self.depthwise_kernel.value), grad,
                                      self.hw(self.strides), self.hw(self.dilation_rate), self.kernel_hw(kernel_grad),
                                      self.needs_input_grad)
        return None if grad_source is None else self.input_grad(grad_source)

    def depthwise_config(self) -> dict:
        return {"depth_multiplier": self.depth_multiplier, **self.window_config(),
                "depthwise_initializer": serialize(self.depthwise_initializer),
                "depthwise_regularizer": serialize_optional(self.depthwise_regularizer)}

    def keras_depthwise_config(self) -> dict:
        return {"depth_multiplier": self.depth_multiplier, **self.keras_window_config(),
                "depthwise_initializer": keras_objects.initializer(self.depthwise_initializer),
                "depthwise_regularizer": keras_objects.regularizer(self.depthwise_regularizer),
                "depthwise_constraint": None}

    def depthwise_onnx(self, g, x, bias=None):
        """ONNX's Conv with one group per input channel (output channel ``c M + m``)."""
        pads, _ = self._geometry(self.input_shape)
        kernel = self.kernel_hw(self.depthwise_kernel.value)
        weights = kernel.transpose(2, 3, 0, 1).reshape(-1, 1, *kernel.shape[:2])
        inputs = [g.constant(weights)] + ([] if bias is None else [g.constant(bias)])
        return self.channels_first_onnx(g, x, "Conv", pads, inputs, group=kernel.shape[2], **self.onnx_attributes())


class DepthwiseConvolution(Depthwise):
    """What `DepthwiseConv1D` and `DepthwiseConv2D` share."""

    keras_arguments = ("kernel_size", "strides", "padding", "depth_multiplier", "dilation_rate", "activation",
                       "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                       "bias_regularizer")

    @property
    def kernel(self):
        """The depthwise kernel (Keras' name for it in this layer)."""
        return self.depthwise_kernel

    def output_channels(self, channels):
        return channels * self.depth_multiplier

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self.build_depthwise()
        self.build_bias(self.input_shape[-1] * self.depth_multiplier, rng, dtype)

    def forward(self, x, training=False):
        """The depthwise convolution and bias; the activation is the next step."""
        y = self.depthwise_forward(x)
        if self.bias is not None:
            y += self.bias.value
        return y.reshape(x.shape[0], *self.output_shape(x.shape[1:]))

    def backward(self, grad_out):
        grad = grad_out.reshape(-1, self.depthwise_kernel.shape[-2] * self.depth_multiplier)
        if self.bias is not None:
            column_sums(grad, self.grads["bias"])
        return self.depthwise_backward(grad)

    def get_config(self):
        return {**self.depthwise_config(), **super().get_config()}

    def keras_layers(self, name=None):
        return self.with_keras_activation([(type(self).__name__, name or self.name, self.keras_depthwise_config(),
                                            self.get_weights())])

    def to_onnx(self, g, x):
        return self.depthwise_onnx(g, x, None if self.bias is None else self.bias.value)


@registry.register()
class DepthwiseConv2D(DepthwiseConvolution):
    """2-D depthwise convolution over images ``(N, H, W, C)`` (Keras 3's signature and
    defaults): each channel convolved with its own `depth_multiplier` filters. Kernel
    ``(kh, kw, C, depth_multiplier)``, bias ``(C depth_multiplier,)``, output
    ``(N, Ho, Wo, C depth_multiplier)``; see the module for the math.

    Examples
    --------
    >>> DepthwiseConv2D(3, depth_multiplier=2, padding="same").output_shape((28, 28, 4))
    (28, 28, 8)
    """

    keras_class = "DepthwiseConv2D"
    rank = 2


@registry.register()
class DepthwiseConv1D(DepthwiseConvolution):
    """1-D depthwise convolution over sequences ``(N, L, C)``. Kernel ``(k, C, depth_multiplier)``.

    Examples
    --------
    >>> DepthwiseConv1D(3).output_shape((10, 4))
    (8, 4)
    """

    keras_class = "DepthwiseConv1D"
    rank = 1


class SeparableConvolution(Depthwise):
    """What `SeparableConv1D` and `SeparableConv2D` share."""

    depthwise_weight = "depthwise_kernel"
    keras_arguments = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "depth_multiplier",
                       "activation", "use_bias", "depthwise_initializer", "pointwise_initializer", "bias_initializer",
                       "depthwise_regularizer", "pointwise_regularizer", "bias_regularizer")

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, depth_multiplier: int = 1, activation=None, use_bias: bool = True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, name: str | None = None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         name, **kwargs)
        self.filters = check_int(f"{type(self).__name__} filters", filters, 1)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)

    def output_channels(self, channels):
        return self.filters

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self.build_depthwise()
        shape = ((1,) * self.rank + (self.input_shape[-1] * self.depth_multiplier, self.filters))
        self.pointwise_kernel = self.add_weight(shape, self.pointwise_initializer,
                                                regularizer=self.pointwise_regularizer, name="pointwise_kernel")
        self.build_bias(self.filters, rng, dtype)

    def forward(self, x, training=False):
        """The depthwise convolution, the pointwise product and the bias; the activation is the next step."""
        self._depthwise = self.depthwise_forward(x)
        pointwise = self.pointwise_kernel.value.reshape(-1, self.filters)
        y = np.matmul(self._depthwise, pointwise, out=self._buffer("y", (self._depthwise.shape[0], self.filters)))
        if self.bias is not None:
            y += self.bias.value
        return y.reshape(x.shape[0], *self.output_shape(x.shape[1:]))

    def backward(self, grad_out):
        grad = grad_out.reshape(-1, self.filters)
        if self.bias is not None:
            column_sums(grad, self.grads["bias"])
        pointwise = self.pointwise_kernel.value.reshape(-1, self.filters)
        np.matmul(self._depthwise.T, grad, out=self.grads["pointwise_kernel"].reshape(pointwise.shape))
        return self.depthwise_backward(grad @ pointwise.T)

    def get_config(self):
        return {"filters": self.filters, **self.depthwise_config(),
                "pointwise_initializer": serialize(self.pointwise_initializer),
                "pointwise_regularizer": serialize_optional(self.pointwise_regularizer), **super().get_config()}

    def keras_layers(self, name=None):
        config = {"filters": self.filters, **self.keras_depthwise_config(),
                  "pointwise_initializer": keras_objects.initializer(self.pointwise_initializer),
                  "pointwise_regularizer": keras_objects.regularizer(self.pointwise_regularizer),
                  "pointwise_constraint": None}
        return self.with_keras_activation([(type(self).__name__, name or self.name, config, self.get_weights())])

    def to_onnx(self, g, x):
        y = g.op("MatMul", self.depthwise_onnx(g, x), g.constant(self.pointwise_kernel.value.reshape(-1, self.filters)))
        return y if self.bias is None else g.op("Add", y, g.constant(self.bias.value))


@registry.register()
class SeparableConv2D(SeparableConvolution):
    """2-D separable convolution over images ``(N, H, W, C)`` (Keras 3's signature and defaults):
    a depthwise convolution, then a 1x1 convolution to `filters` channels. Depthwise kernel
    ``(kh, kw, C, depth_multiplier)``, pointwise kernel ``(1, 1, C depth_multiplier, filters)``,
    bias ``(filters,)``, output ``(N, Ho, Wo, filters)``; see the module for the math.

    Examples
    --------
    >>> SeparableConv2D(16, 3).output_shape((32, 32, 3))
    (30, 30, 16)
    """

    keras_class = "SeparableConv2D"
    rank = 2


@registry.register()
class SeparableConv1D(SeparableConvolution):
    """1-D separable convolution over sequences ``(N, L, C)``. Depthwise kernel
    ``(k, C, depth_multiplier)``, pointwise kernel ``(1, C depth_multiplier, filters)``.

    Examples
    --------
    >>> SeparableConv1D(8, 5, padding="same").output_shape((40, 3))
    (40, 8)
    """

    keras_class = "SeparableConv1D"
    rank = 1
