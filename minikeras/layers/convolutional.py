r"""Convolutions over channels-last inputs: `Conv2D` (images ``(N, H, W, C)``) and `Conv1D`
(sequences ``(N, L, C)``, computed as images of height 1).

Forward, with the padded input's windows flattened to rows (`backend.convolution`, im2col):
$\mathrm{cols}$ ``(N Ho Wo, kh kw C)``, $K$ the kernel ``(kh, kw, C, F)`` as ``(kh kw C, F)``:
$y = \mathrm{cols}\, K + b$, one matrix product (one per group with ``groups > 1``: each group of
``C / groups`` input channels makes ``F / groups`` filters), computed slice by slice of the batch
so that each im2col copy is still in the cache when the product reads it.

Backward, with $g$ ``(N Ho Wo, F)`` the output gradient: $\partial L/\partial K =
\mathrm{cols}^\top g$, $\partial L/\partial b = \sum g$, and the windows' gradient
$g K^\top$ added back where each window was read, then the padding cropped.
"""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..backend import column_sums
from ..backend.convolution import PADDINGS, convolve, convolve_grads, cropped, padded
from ..checks import check_int
from ..registry import serialize, serialize_optional
from . import keras_objects
from .activation_step import ActivationStep
from .base import Layer, registry
from .windowed import Windowed


class SlidingKernel(Windowed, ActivationStep, Layer):
    """What every convolution shares: a kernel of `kernel_size` sliding with `strides`, reading
    every `dilation_rate`-th pixel of the input padded as `padding` says, then an optional bias and
    the activation step. Subclasses give the kernel, the output channels and the products."""

    rank = 2
    causal_allowed = False  # Keras pads causally in Conv1D only

    def __init__(self, kernel_size, strides=1, padding: str = "valid", data_format=None, dilation_rate=1,
                 activation=None, use_bias: bool = True, bias_initializer="zeros", bias_regularizer=None,
                 name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        kind = type(self).__name__
        self.kernel_size = self.spatial(kernel_size, "kernel_size")
        self.strides = self.spatial(strides, "strides")
        self.dilation_rate = self.spatial(dilation_rate, "dilation_rate")
        paddings = PADDINGS + ("causal",) if self.rank == 1 and self.causal_allowed else PADDINGS
        if padding not in paddings:
            raise ValueError(f"{kind} padding must be one of {paddings}; got {padding!r}.")
        self.check_data_format(data_format)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{kind}: strides > 1 is not supported with dilation_rate > 1 (as in Keras); got "
                             f"strides={self.strides}, dilation_rate={self.dilation_rate}.")
        self.padding = padding
        self.init_activation(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)

    def output_channels(self, channels: int) -> int:
        """The output's channels for inputs of `channels` (ValueError if they do not fit)."""
        raise NotImplementedError

    def _geometry(self, input_shape):
        """``(pads, output (Ho, Wo))`` for per-sample `input_shape`."""
        return self.geometry(input_shape, self.kernel_size, self.strides, self.dilation_rate)

    def output_shape(self, input_shape):
        channels = self.output_channels(self.image_shape(input_shape)[2])
        _, (out_h, out_w) = self._geometry(input_shape)
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{type(self).__name__}: a kernel of {self.kernel_size} (dilation {self.dilation_rate}) "
                             f"does not fit in inputs of per-sample shape {tuple(input_shape)} with padding "
                             f"{self.padding!r}.")
        return (out_w, channels) if self.rank == 1 else (out_h, out_w, channels)

    def build_bias(self, size: int, rng, dtype) -> None:
        """The bias (if `use_bias`), then the activation: call last in `build`."""
        self.bias = self.add_weight((size,), self.bias_initializer, regularizer=self.bias_regularizer,
                                    name="bias") if self.use_bias else None
        self.build_activation(self.output_shape(self.input_shape), rng, dtype)

    def padded_input(self, x):
        """`x` as images ``(N, H, W, C)``, padded; remembers the geometry for `input_grad`."""
        pads, self._out_hw = self._geometry(x.shape[1:])
        source = padded(x.reshape(x.shape[0], *self.image_shape(x.shape[1:])), pads)
        self._source_shape, self._pads = source.shape, pads
        return source

    def kernel_hw(self, kernel: np.ndarray) -> np.ndarray:
        """A kernel ``(*kernel_size, C, F)`` (or its gradient) in the 2-D geometry ``(kh, kw, C, F)`` (a view)."""
        return kernel.reshape(*self.hw(self.kernel_size), *kernel.shape[-2:])

    def input_grad(self, grad_source):
        """The input's gradient from the padded input's."""
        return cropped(grad_source, self._pads).reshape(-1, *self.input_shape)

    def window_config(self) -> dict:
        """The config entries every convolution has."""
        return {"kernel_size": self.kernel_size, "strides": self.strides, "padding": self.padding,
                "dilation_rate": self.dilation_rate, "activation": self.activation_config(),
                "use_bias": self.use_bias, "bias_initializer": serialize(self.bias_initializer),
                "bias_regularizer": serialize_optional(self.bias_regularizer)}

    def keras_window_config(self) -> dict:
        """The Keras config entries every convolution has."""
        return {"kernel_size": list(self.kernel_size), "strides": list(self.strides), "padding": self.padding,
                "data_format": "channels_last", "dilation_rate": list(self.dilation_rate),
                "activation": self.keras_activation() or "linear", "use_bias": self.use_bias,
                "bias_initializer": keras_objects.initializer(self.bias_initializer),
                "bias_regularizer": keras_objects.regularizer(self.bias_regularizer), "activity_regularizer": None,
                "bias_constraint": None}

    def onnx_attributes(self) -> dict:
        return {"kernel_shape": list(self.hw(self.kernel_size)), "strides": list(self.hw(self.strides)),
                "dilations": list(self.hw(self.dilation_rate))}


class Convolution(SlidingKernel):
    """What `Conv1D` and `Conv2D` share; `rank` is the number of spatial axes (1 or 2)."""

    causal_allowed = True

    keras_arguments = ("filters", "kernel_size", "strides", "padding", "dilation_rate", "groups", "activation",
                       "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer")

    def __init__(self, filters: int, kernel_size, strides=1, padding: str = "valid", data_format=None,
                 dilation_rate=1, groups: int = 1, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", kernel_regularizer=None,
                 bias_regularizer=None, name: str | None = None, **kwargs):
        super().__init__(kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias,
                         bias_initializer, bias_regularizer, name, **kwargs)
        kind = type(self).__name__
        self.filters = check_int(f"{kind} filters", filters, 1)
        self.groups = check_int(f"{kind} groups", groups, 1)
        if self.filters % self.groups:
            raise ValueError(f"{kind} filters ({self.filters}) must be a multiple of groups ({self.groups}).")
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def output_channels(self, channels):
        if channels % self.groups:
            raise ValueError(f"{type(self).__name__}: the input's {channels} channels must be a multiple of groups "
                             f"({self.groups}).")
        return self.filters

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        channels = self.input_shape[-1]
        shape = (*self.kernel_size, channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      name="kernel")
        self.build_bias(self.filters, rng, dtype)

    def forward(self, x, training=False):
        """The convolution and bias only (`backend.convolution.convolve`); the activation is the next step."""
        self._source = self.padded_input(x)
        y = self._buffer("y", (x.shape[0], *self._out_hw, self.filters))
        self._kept = convolve(self._source, self.kernel_hw(self.kernel.value), self.hw(self.strides),
                              self.hw(self.dilation_rate), y, keep=training)
        if self.bias is not None:
            y += self.bias.value
        return y.reshape(x.shape[0], *self.output_shape(x.shape[1:]))

    def backward(self, grad_out):
        if self.bias is not None:
            column_sums(grad_out.reshape(-1, self.filters), self.grads["bias"])
        grad = grad_out.reshape(grad_out.shape[0], *self._out_hw, self.filters)
        grad_source = convolve_grads(self._source, self.kernel_hw(self.kernel.value), grad, self.hw(self.strides),
                                     self.hw(self.dilation_rate), self.kernel_hw(self.grads["kernel"]),
                                     self.needs_input_grad, self._kept)
        return None if grad_source is None else self.input_grad(grad_source)

    def get_config(self):
        return {"filters": self.filters, "groups": self.groups, **self.window_config(),
                "kernel_initializer": serialize(self.kernel_initializer),
                "kernel_regularizer": serialize_optional(self.kernel_regularizer), **super().get_config()}

    def keras_layers(self, name=None):
        config = {"filters": self.filters, "groups": self.groups, **self.keras_window_config(),
                  "kernel_initializer": keras_objects.initializer(self.kernel_initializer),
                  "kernel_regularizer": keras_objects.regularizer(self.kernel_regularizer), "kernel_constraint": None}
        return self.with_keras_activation([(type(self).__name__, name or self.name, config, self.get_weights())])

    def to_onnx(self, g, x):
        pads, _ = self._geometry(self.input_shape)
        inputs = [g.constant(self.kernel_hw(self.kernel.value).transpose(3, 2, 0, 1))]
        if self.bias is not None:
            inputs.append(g.constant(self.bias.value))
        return self.channels_first_onnx(g, x, "Conv", pads, inputs, group=self.groups, **self.onnx_attributes())


@registry.register()
class Conv2D(Convolution):
    r"""2-D convolution over images ``(N, H, W, C)`` (Keras 3's signature and defaults): `filters`
    kernels of `kernel_size` ``(kh, kw)`` slide with `strides`, read every `dilation_rate`-th
    pixel, over the input padded as `padding` says (``"valid"``: none; ``"same"``: enough for
    ``ceil(H / stride)`` outputs). Kernel ``(kh, kw, C / groups, filters)``, bias ``(filters,)``,
    output ``(N, Ho, Wo, filters)``; see the module for the math.

    Examples
    --------
    >>> Conv2D(32, kernel_size=(3, 3), activation="relu").output_shape((28, 28, 1))
    (26, 26, 32)
    """

    keras_class = "Conv2D"
    rank = 2


@registry.register()
class Conv1D(Convolution):
    r"""1-D convolution over sequences ``(N, L, C)`` (Keras 3's signature and defaults;
    ``padding="causal"`` pads the start only). Kernel ``(k, C / groups, filters)``, output
    ``(N, Lo, filters)``.

    Examples
    --------
    >>> Conv1D(8, 3, padding="same").output_shape((20, 4))
    (20, 8)
    """

    keras_class = "Conv1D"
    rank = 1
