r"""Convolution and pooling ops (Keras' ``keras.ops.conv``, ``depthwise_conv``,
``separable_conv``, ``max_pool``, ``average_pool``) on channels-last inputs: sequences
``(N, L, C)`` (computed as images of height 1) and images ``(N, H, W, C)``. They run the
numerics of the convolution and pooling layers (`backend.convolution`: im2col matrix products,
depthwise products per kernel offset; `backend.pooling`) and record their VJPs: with $G$ the
output's gradient, $\bar{K} = \mathrm{cols}^\top G$ and $\bar{x}$ the windows' gradients
$G K^\top$ added back where they were read; a max pool's gradient goes to each window's first
maximum, an average pool's is spread over the window's pixels (see "Convolutions" in the
documentation).
"""
from __future__ import annotations

import numpy as np

from ..backend.convolution import (
    PADDINGS,
    convolve,
    convolve_grads,
    cropped,
    depthwise,
    depthwise_grads,
    geometry,
    padded,
    pair,
)
from ..backend.pooling import add_parts, max_pool_part_grads, parts, window_counts
from ..backend.pooling import max_pool as _max_pool
from .dispatch import floating, record, tracked, value

__all__ = ["conv", "depthwise_conv", "separable_conv", "max_pool", "average_pool"]


def _images(v: np.ndarray, data_format, op: str) -> np.ndarray:
    """Inputs as images ``(N, H, W, C)`` (a view; sequences get height 1)."""
    if data_format not in (None, "channels_last"):
        raise ValueError(f"ops.{op} computes on channels-last inputs (data_format='channels_last'); got "
                         f"data_format={data_format!r}.")
    if v.ndim not in (3, 4):
        raise ValueError(f"ops.{op} takes inputs (N, length, channels) or (N, height, width, channels); got shape "
                         f"{v.shape}.")
    return v[:, None] if v.ndim == 3 else v


def _in_2d(value_, rank: int, what: str) -> tuple[int, int]:
    """An int or one int per spatial axis, in the 2-D geometry."""
    if rank == 1:
        single = value_[0] if isinstance(value_, (tuple, list)) and len(value_) == 1 else value_
        return 1, pair(single, what)[1]
    return pair(value_, what)


class _Geometry:
    """What a convolution op reads: the padded images, strides, dilations and output size."""

    def __init__(self, op: str, v: np.ndarray, kernel_hw: tuple[int, int], strides, padding, data_format,
                 dilation_rate, fill: float = 0.0):
        self.images = _images(v, data_format, op)
        rank = v.ndim - 2
        self.strides = _in_2d(strides, rank, f"ops.{op} strides")
        self.dilation = _in_2d(dilation_rate, rank, f"ops.{op} dilation_rate")
        if padding not in PADDINGS:
            raise ValueError(f"ops.{op} padding must be one of {PADDINGS}; got {padding!r}.")
        self.pads, self.out_hw = geometry(self.images.shape[1:3], kernel_hw, self.strides, self.dilation, padding)
        if min(self.out_hw) < 1:
            raise ValueError(f"ops.{op}: a kernel of {kernel_hw[2 - rank:]} does not fit in inputs of shape {v.shape} "
                             f"with padding {padding!r}.")
        self.kernel_hw = kernel_hw
        self.source = padded(self.images, self.pads, fill)
        self.input_shape = v.shape

    def output(self, out: np.ndarray) -> np.ndarray:
        """The output in the inputs' rank."""
        return out[:, 0] if len(self.input_shape) == 3 else out

    def input_grad(self, grad_source: np.ndarray) -> np.ndarray:
        return cropped(grad_source, self.pads).reshape(self.input_shape)


def _shared(both):
    """Two VJPs computed together: `both(g)` runs once per cotangent, each VJP takes its part."""
    last: dict = {}

    def part(index: int):
        def vjp(g):
            if last.get("g") is not g:
                last["g"], last["grads"] = g, both(g)
            return last["grads"][index]
        return vjp

    return part(0), part(1)


def _kernel_vjps(gradients, geometry: _Geometry, kernel_2d: np.ndarray, kernel_shape: tuple[int, ...],
                 out_shape: tuple[int, ...]):
    """The VJPs of the inputs and the kernel of a convolution whose backward is `gradients`
    (`convolve_grads` or `depthwise_grads`), computed together once per cotangent."""
    def both(g):
        kernel_grad = np.empty_like(kernel_2d)
        grad_source = gradients(geometry.source, kernel_2d, np.asarray(g).reshape(out_shape), geometry.strides,
                                geometry.dilation, kernel_grad, True)
        return geometry.input_grad(grad_source), kernel_grad.reshape(kernel_shape)

    return _shared(both)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras' ``ops.conv``: `inputs` ``(N, [H,] W, C)`` by `kernel` ``([kh,] kw, C / groups, F)``
    (grouped when the kernel has fewer input channels), `padding` ``"valid"`` or ``"same"``."""
    x, k = tracked(inputs), tracked(kernel)
    v, kv = floating(value(x)), floating(value(k))
    if kv.ndim != v.ndim:
        raise ValueError(f"ops.conv: a kernel for inputs of shape {v.shape} has {v.ndim} axes; got shape "
                         f"{kv.shape}.")
    kernel_2d = kv if v.ndim == 4 else kv[None]
    if v.shape[-1] % kernel_2d.shape[-2] or kernel_2d.shape[-1] % (v.shape[-1] // kernel_2d.shape[-2]):
        raise ValueError(f"ops.conv: the inputs' {v.shape[-1]} channels must be a multiple of the kernel's "
                         f"{kernel_2d.shape[-2]}, and its filters ({kernel_2d.shape[-1]}) of their ratio.")
    geometry = _Geometry("conv", v, kernel_2d.shape[:2], strides, padding, data_format, dilation_rate)
    out = np.empty((v.shape[0], *geometry.out_hw, kv.shape[-1]), dtype=np.result_type(v, kv))
    convolve(geometry.source, kernel_2d, geometry.strides, geometry.dilation, out)
    return record(geometry.output(out), (x, k), _kernel_vjps(convolve_grads, geometry, kernel_2d, kv.shape, out.shape))


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """Keras' ``ops.depthwise_conv``: each channel of `inputs` ``(N, [H,] W, C)`` convolved with
    its own filters, `kernel` ``([kh,] kw, C, M)``; output channel ``c M + m``."""
    x, k = tracked(inputs), tracked(kernel)
    v, kv = floating(value(x)), floating(value(k))
    if kv.ndim != v.ndim or kv.shape[-2] != v.shape[-1]:
        raise ValueError(f"ops.depthwise_conv: a kernel for inputs of shape {v.shape} is (kernel size..., "
                         f"{v.shape[-1]}, multiplier); got shape {kv.shape}.")
    kernel_2d = kv if v.ndim == 4 else kv[None]
    geometry = _Geometry("depthwise_conv", v, kernel_2d.shape[:2], strides, padding, data_format, dilation_rate)
    out = np.empty((v.shape[0], *geometry.out_hw, *kv.shape[-2:]), dtype=np.result_type(v, kv))
    depthwise(geometry.source, kernel_2d, geometry.strides, geometry.dilation, out)
    return record(geometry.output(out.reshape(*out.shape[:3], -1)), (x, k),
                  _kernel_vjps(depthwise_grads, geometry, kernel_2d, kv.shape, out.shape))


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    """Keras' ``ops.separable_conv``: `depthwise_conv`, then `conv` by the 1x1 `pointwise_kernel`
    ``([1,] 1, C M, F)``."""
    return conv(depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate),
                pointwise_kernel, 1, "valid", data_format)


def _pool_geometry(op: str, v: np.ndarray, pool_size, strides, padding, data_format, fill: float) -> _Geometry:
    rank = 1 if v.ndim == 3 else 2
    pool = _in_2d(pool_size, rank, f"ops.{op} pool_size")
    return _Geometry(op, v, pool, pool_size if strides is None else strides, padding, data_format, 1, fill)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Keras' ``ops.max_pool``: the largest value of each `pool_size` window of `inputs`
    ``(N, [H,] W, C)``, sliding by `strides` (`pool_size` by default)."""
    x = tracked(inputs)
    v = floating(value(x))
    geometry = _pool_geometry("max_pool", v, pool_size, strides, padding, data_format, -np.inf)
    views = parts(geometry.source, geometry.kernel_hw, geometry.strides, geometry.out_hw)
    largest = _max_pool(views)

    def vjp(g):
        part_grads = max_pool_part_grads(views, largest, np.asarray(g).reshape(largest.shape))
        return geometry.input_grad(add_parts(part_grads, geometry.source.shape, geometry.kernel_hw, geometry.strides,
                                             geometry.out_hw, largest.dtype))

    return record(geometry.output(largest), (x,), (vjp,))


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    """Keras' ``ops.average_pool``: the mean of each `pool_size` window of `inputs`
    ``(N, [H,] W, C)`` — with ``"same"`` padding, of the pixels inside the input (as Keras'
    TensorFlow and JAX backends)."""
    x = tracked(inputs)
    v = floating(value(x))
    geometry = _pool_geometry("average_pool", v, pool_size, strides, padding, data_format, 0.0)
    ones = padded(np.ones((1, *geometry.images.shape[1:3], 1), dtype=v.dtype), geometry.pads)
    window = (geometry.kernel_hw, geometry.strides, geometry.out_hw)
    counts = window_counts(parts(ones, *window))
    mean = np.sum(parts(geometry.source, *window), axis=0) / counts

    def vjp(g):
        share = np.asarray(g).reshape(mean.shape) / counts
        return geometry.input_grad(add_parts((share for _ in range(int(np.prod(geometry.kernel_hw)))),
                                             geometry.source.shape, *window, mean.dtype))

    return record(geometry.output(mean), (x,), (vjp,))
