r"""Pooling over channels-last inputs: `MaxPooling2D`, `AveragePooling2D` (images ``(N, H, W, C)``),
their 1-D forms (sequences ``(N, L, C)``, as images of height 1), and the global poolings.

Windows of `pool_size` slide with `strides` (``pool_size`` by default) over the input padded as
`padding` says (`backend.convolution`). Max pooling keeps each window's largest value; its
backward sends each output's gradient to the position that value came from (the first, on a
tie). Average pooling takes the mean of each window — of its pixels inside the input only, with
``"same"`` padding, as Keras does — and its backward spreads each output's gradient evenly over
those pixels. Both backward passes add each offset's gradient back where that offset read.
"""
from __future__ import annotations

import numpy as np

from ..backend.convolution import PADDINGS, cropped, padded
from ..backend.pooling import add_parts, max_pool, max_pool_part_grads, parts, window_counts
from .base import Layer, registry
from .windowed import Windowed


class Pooling(Windowed, Layer):
    """What the max and average poolings share; `rank` is the number of spatial axes (1 or 2)."""

    rank = 2
    keras_arguments = ("pool_size", "strides", "padding")

    def __init__(self, pool_size=2, strides=None, padding: str = "valid", data_format=None, name: str | None = None,
                 **kwargs):
        super().__init__(name, **kwargs)
        kind = type(self).__name__
        self.pool_size = self.spatial(pool_size, "pool_size")
        self.strides = self.pool_size if strides is None else self.spatial(strides, "strides")
        if padding not in PADDINGS:
            raise ValueError(f"{kind} padding must be one of {PADDINGS}; got {padding!r}.")
        self.check_data_format(data_format)
        self.padding = padding

    def _geometry(self, input_shape):
        """``(pads, output (Ho, Wo))`` for per-sample `input_shape`."""
        return self.geometry(input_shape, self.pool_size, self.strides)

    def output_shape(self, input_shape):
        channels = self.image_shape(input_shape)[-1]
        _, (out_h, out_w) = self._geometry(input_shape)
        if out_h < 1 or out_w < 1:
            raise ValueError(f"{type(self).__name__}: a pool of {self.pool_size} does not fit in inputs of per-sample "
                             f"shape {tuple(input_shape)} with padding {self.padding!r}.")
        return (out_w, channels) if self.rank == 1 else (out_h, out_w, channels)

    def _parts(self, x, fill: float) -> list[np.ndarray]:
        """The ``(N, Ho, Wo, C)`` strided view of the input (padded with `fill`) that each offset of
        the pool reads in every window (`backend.pooling.parts`)."""
        pads, self._out_hw = self._geometry(x.shape[1:])
        source = padded(x.reshape(x.shape[0], *self.image_shape(x.shape[1:])), pads, fill)
        self._source_shape, self._pads = source.shape, pads
        return parts(source, self.hw(self.pool_size), self.hw(self.strides), self._out_hw)

    def _input_grad(self, part_grads):
        """The input gradient from each part's gradient (overlapping windows add up)."""
        grad = add_parts(part_grads, self._source_shape, self.hw(self.pool_size), self.hw(self.strides),
                         self._out_hw, self.dtype)
        return cropped(grad, self._pads).reshape(-1, *self.input_shape)

    def get_config(self):
        return {"pool_size": self.pool_size, "strides": self.strides, "padding": self.padding, **super().get_config()}

    def keras_layers(self, name=None):
        config = {"pool_size": list(self.pool_size), "strides": list(self.strides), "padding": self.padding,
                  "data_format": "channels_last"}
        return [(type(self).__name__, str(name or self.name), config, [])]

    def to_onnx(self, g, x):
        pads, _ = self._geometry(self.input_shape)
        return self.channels_first_onnx(g, x, self.onnx_op, pads, kernel_shape=list(self.hw(self.pool_size)),
                                        strides=list(self.hw(self.strides)))


class MaxPooling(Pooling):
    onnx_op = "MaxPool"

    def forward(self, x, training=False):
        self._parts_of_x = self._parts(x, -np.inf)  # strided views of x (or of its padded copy)
        self._largest = max_pool(self._parts_of_x)
        return self._largest.reshape(x.shape[0], *self.output_shape(x.shape[1:]))

    def backward(self, grad_out):
        """Each output's gradient to the first position of its window holding the maximum."""
        grad = grad_out.reshape(self._largest.shape)
        return self._input_grad(max_pool_part_grads(self._parts_of_x, self._largest, grad))


class AveragePooling(Pooling):
    onnx_op = "AveragePool"

    def __init__(self, pool_size, strides=None, padding: str = "valid", data_format=None, name: str | None = None,
                 **kwargs):  # (Keras gives average pooling no default pool_size)
        super().__init__(pool_size, strides, padding, data_format, name, **kwargs)

    def forward(self, x, training=False):
        self._count = window_counts(self._parts(np.ones((1, *x.shape[1:-1], 1), dtype=self.dtype), 0.0))
        return (sum(self._parts(x, 0.0)) / self._count).reshape(x.shape[0], *self.output_shape(x.shape[1:]))

    def backward(self, grad_out):
        share = grad_out.reshape(-1, *self._out_hw, grad_out.shape[-1]) / self._count
        return self._input_grad(share for _ in range(int(np.prod(self.pool_size))))


@registry.register()
class MaxPooling2D(MaxPooling):
    """The largest value of each `pool_size` window of ``(N, H, W, C)`` images (Keras 3's signature
    and defaults: windows of 2 x 2, strides = pool_size, no padding).

    Examples
    --------
    >>> MaxPooling2D(pool_size=(2, 2)).output_shape((26, 26, 32))
    (13, 13, 32)
    """

    keras_class = "MaxPooling2D"


@registry.register()
class AveragePooling2D(AveragePooling):
    """The mean of each `pool_size` window of ``(N, H, W, C)`` images (with ``"same"`` padding, the
    mean of the pixels inside the image)."""

    keras_class = "AveragePooling2D"


@registry.register()
class MaxPooling1D(MaxPooling):
    """The largest value of each `pool_size` window of ``(N, L, C)`` sequences."""

    keras_class = "MaxPooling1D"
    rank = 1


@registry.register()
class AveragePooling1D(AveragePooling):
    """The mean of each `pool_size` window of ``(N, L, C)`` sequences."""

    keras_class = "AveragePooling1D"
    rank = 1


class GlobalPooling(Windowed, Layer):
    """One value per channel over every spatial position: ``(N, ..., C) -> (N, C)`` (``(N, 1, ..., C)``
    with `keepdims`)."""

    rank = 2
    keras_arguments = ("keepdims",)

    def __init__(self, data_format=None, keepdims: bool = False, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.check_data_format(data_format)
        self.keepdims = bool(keepdims)

    def output_shape(self, input_shape):
        if len(input_shape) != self.rank + 1:
            raise ValueError(f"{type(self).__name__} takes inputs of per-sample shape with {self.rank} spatial axes "
                             f"and channels last; got {tuple(input_shape)}.")
        return (*(1,) * self.rank, input_shape[-1]) if self.keepdims else (input_shape[-1],)

    def _spatial(self, x):
        """`x` as ``(N, positions, C)``."""
        return x.reshape(x.shape[0], -1, x.shape[-1])

    def _shaped(self, out):
        return out.reshape(out.shape[0], *self.output_shape(self.input_shape))

    def get_config(self):
        return {"keepdims": self.keepdims, **super().get_config()}

    def keras_layers(self, name=None):
        return [(type(self).__name__, str(name or self.name), {"data_format": "channels_last",
                                                                "keepdims": self.keepdims}, [])]

    def to_onnx(self, g, x):
        return g.op(self.onnx_op, x, axes=list(range(1, self.rank + 1)), keepdims=int(self.keepdims))


class GlobalAveragePooling(GlobalPooling):
    onnx_op = "ReduceMean"

    def forward(self, x, training=False):
        return self._shaped(self._spatial(x).mean(axis=1))

    def backward(self, grad_out):
        positions = int(np.prod(self.input_shape[:-1]))
        share = grad_out.reshape(grad_out.shape[0], 1, -1) / positions
        return np.broadcast_to(share, (grad_out.shape[0], positions, share.shape[-1])).reshape(
            grad_out.shape[0], *self.input_shape)


class GlobalMaxPooling(GlobalPooling):
    onnx_op = "ReduceMax"

    def forward(self, x, training=False):
        values = self._spatial(x)
        self._argmax = values.argmax(axis=1)[:, None, :]
        return self._shaped(np.take_along_axis(values, self._argmax, axis=1))

    def backward(self, grad_out):
        n = grad_out.shape[0]
        grad = np.zeros((n, int(np.prod(self.input_shape[:-1])), self.input_shape[-1]), dtype=self.dtype)
        np.put_along_axis(grad, self._argmax, grad_out.reshape(n, 1, -1), axis=1)
        return grad.reshape(n, *self.input_shape)


@registry.register()
class GlobalAveragePooling2D(GlobalAveragePooling):
    """The mean of each channel over the image: ``(N, H, W, C) -> (N, C)``."""

    keras_class = "GlobalAveragePooling2D"


@registry.register()
class GlobalMaxPooling2D(GlobalMaxPooling):
    """The largest value of each channel over the image: ``(N, H, W, C) -> (N, C)``."""

    keras_class = "GlobalMaxPooling2D"


@registry.register()
class GlobalAveragePooling1D(GlobalAveragePooling):
    """The mean of each channel over the sequence: ``(N, L, C) -> (N, C)``."""

    keras_class = "GlobalAveragePooling1D"
    rank = 1


@registry.register()
class GlobalMaxPooling1D(GlobalMaxPooling):
    """The largest value of each channel over the sequence: ``(N, L, C) -> (N, C)``."""

    keras_class = "GlobalMaxPooling1D"
    rank = 1
