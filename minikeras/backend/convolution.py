r"""Sliding windows over channels-last images: what convolution and pooling layers compute on.

A 2-D input ``(N, H, W, C)`` is padded (`pad_amounts`, Keras' ``"valid"`` and ``"same"``), then
`windows` views it as ``(N, Ho, Wo, kh, kw, C)`` with stride tricks: no copy. A convolution is
then one matrix product over the windows flattened to rows (im2col):
$y = \mathrm{cols}(x)\, K$ with `cols` ``(N Ho Wo, kh kw C)`` and $K$ ``(kh kw C, F)`` (`convolve`,
slice by slice of the batch so that each copy is still in the cache when the product reads it). Its input
gradient adds each window's gradient back where the window was read (`add_windows`): one
vectorized addition per kernel offset $(i, j)$, ``kh * kw`` of them, never a loop over pixels.
A 1-D input ``(N, L, C)`` is the 2-D case with ``H = 1``.
"""
from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

PADDINGS = ("valid", "same")


def pair(value, what: str, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints (each >= `minimum`) as a pair; ValueError otherwise."""
    values = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    try:
        values = tuple(values)
    except TypeError:
        values = ()
    if len(values) != 2 or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= minimum
                                   for v in values):
        raise ValueError(f"{what} must be an int or a pair of ints >= {minimum}; got {value!r}.")
    return int(values[0]), int(values[1])


def pad_amounts(size: int, kernel: int, stride: int, dilation: int, padding: str) -> tuple[int, int]:
    """``(before, after)`` padding of one axis: none for ``"valid"``; for ``"same"`` what makes
    ``ceil(size / stride)`` outputs, the odd one after (as Keras and TensorFlow)."""
    if padding == "valid":
        return 0, 0
    span = (kernel - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + span - size, 0)
    return total // 2, total - total // 2


def geometry(sizes: tuple[int, int], window: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
             padding: str) -> tuple[tuple[tuple[int, int], tuple[int, int]], tuple[int, int]]:
    """``(pads, (Ho, Wo))`` of a window sliding over images of `sizes` ``(H, W)``: each axis's
    ``(before, after)`` padding (`pad_amounts`; ``"causal"``, for sequences as images of height 1:
    all the width's before, so that no output sees a later step) and the window's positions
    (below 1 when it does not fit)."""
    if padding == "causal":
        rows, columns = (0, 0), ((window[1] - 1) * dilation[1], 0)
    else:
        rows, columns = (pad_amounts(*axis, padding) for axis in zip(sizes, window, strides, dilation))
    height, width = ((size + sum(pad) - (k - 1) * d - 1) // s + 1
                     for size, pad, k, s, d in zip(sizes, (rows, columns), window, strides, dilation))
    return (rows, columns), (height, width)


def padded(x: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]], value: float = 0.0) -> np.ndarray:
    """`x` ``(N, H, W, C)`` with `pads` rows and columns added around (the array itself if none)."""
    if not any(pads[0]) and not any(pads[1]):
        return x
    return np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=value)


def windows(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
            out_hw: tuple[int, int]) -> np.ndarray:
    """The read-only view ``(N, Ho, Wo, kh, kw, C)`` of padded `x` ``(N, H, W, C)``: window
    ``(p, q)`` starts at row ``p * sh``, column ``q * sw``, and reads every ``dilation``-th pixel."""
    n, _, _, channels = x.shape
    sn, sh, sw, sc = x.strides
    return as_strided(x, (n, *out_hw, *kernel, channels),
                      (sn, sh * strides[0], sw * strides[1], sh * dilation[0], sw * dilation[1], sc), writeable=False)


def offsets(out_hw: tuple[int, int], window: tuple[int, int], strides: tuple[int, int],
            dilation: tuple[int, int] = (1, 1)):
    """``(k, (i, j), (rows, columns))`` for each offset ``(i, j)`` of a window, `k` its flat index:
    the slices of the padded input that offset reads across all windows (an ``(N, Ho, Wo, C)``
    strided view each)."""
    for i in range(window[0]):
        rows = slice(i * dilation[0], i * dilation[0] + (out_hw[0] - 1) * strides[0] + 1, strides[0])
        for j in range(window[1]):
            columns = slice(j * dilation[1], j * dilation[1] + (out_hw[1] - 1) * strides[1] + 1, strides[1])
            yield i * window[1] + j, (i, j), (rows, columns)


def add_windows(grad: np.ndarray, grad_windows: np.ndarray, strides: tuple[int, int],
                dilation: tuple[int, int]) -> None:
    """Add every window's gradient ``(N, Ho, Wo, kh, kw, C)`` into `grad` (the padded input's,
    ``(N, H, W, C)``) where the window was read: one strided slice per kernel offset."""
    _, out_h, out_w, kernel_h, kernel_w, _ = grad_windows.shape
    for _, (i, j), (rows, columns) in offsets((out_h, out_w), (kernel_h, kernel_w), strides, dilation):
        grad[:, rows, columns, :] += grad_windows[:, :, :, i, j, :]


def cropped(grad: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """`grad` of the padded input, without the padding (the gradient of the input itself)."""
    (top, bottom), (left, right) = pads
    return grad[:, top:grad.shape[1] - bottom, left:grad.shape[2] - right, :]


IM2COL_BYTES = 4 * 2**20  # im2col per slice of the batch: stays in the cache (2 to 8 MB measured alike)
KEPT_BYTES = 32 * 2**20  # a batch's im2col kept from forward for backward up to this size, else made again


def _group_slices(channels: int, filters: int, groups: int) -> list[tuple[slice, slice]]:
    """``(input channels, filters)`` slices of each group of a grouped convolution."""
    c, f = channels // groups, filters // groups
    return [(slice(g * c, (g + 1) * c), slice(g * f, (g + 1) * f)) for g in range(groups)]


def _sample_bytes(source: np.ndarray, kernel: np.ndarray, out_hw: tuple[int, int]) -> int:
    """Bytes of one sample's im2col for one group."""
    return out_hw[0] * out_hw[1] * int(np.prod(kernel.shape[:-1])) * source.itemsize


def _batch_slices(source: np.ndarray, kernel: np.ndarray, out_hw: tuple[int, int]) -> list[slice]:
    """Slices of the batch whose im2col takes at most `IM2COL_BYTES` (one sample at least)."""
    step = max(1, IM2COL_BYTES // _sample_bytes(source, kernel, out_hw))
    return [slice(start, min(start + step, source.shape[0])) for start in range(0, source.shape[0], step)]


def _columns(source: np.ndarray, kernel_hw: tuple[int, int], strides: tuple[int, int], dilation: tuple[int, int],
             out_hw: tuple[int, int], channels: slice) -> np.ndarray:
    """im2col of padded `source` (one group's `channels`): ``(N Ho Wo, kh kw C / groups)``, a copy."""
    view = windows(source, kernel_hw, strides, dilation, out_hw)[..., channels]
    return view.reshape(-1, int(np.prod(view.shape[3:])))


def convolve(source: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], dilation: tuple[int, int],
             out: np.ndarray, keep: bool = False) -> list[np.ndarray] | None:
    """The convolution `out` ``(N, Ho, Wo, F)`` of padded `source` ``(N, H, W, C)`` by `kernel`
    ``(kh, kw, C / groups, F)``: per slice of the batch and per group, im2col then one matrix
    product. Returns the columns for `convolve_grads` if `keep` and they take at most
    `KEPT_BYTES` (else None: the backward pass makes them again)."""
    groups = source.shape[-1] // kernel.shape[-2]
    filters, out_hw = kernel.shape[-1], out.shape[1:3]
    total = source.shape[0] * groups * _sample_bytes(source, kernel, out_hw)
    kept: list[np.ndarray] | None = [] if keep and total <= KEPT_BYTES else None
    for part in _batch_slices(source, kernel, out_hw):
        y = out[part].reshape(-1, filters)
        for channels, group in _group_slices(source.shape[-1], filters, groups):
            cols = _columns(source[part], kernel.shape[:2], strides, dilation, out_hw, channels)
            group_kernel = kernel[..., group].reshape(cols.shape[1], -1)
            if kept is not None:
                kept.append(cols)
            if groups == 1:
                np.matmul(cols, group_kernel, out=y)
            else:
                y[:, group] = cols @ group_kernel
    return kept


def convolve_grads(source: np.ndarray, kernel: np.ndarray, grad: np.ndarray, strides: tuple[int, int],
                   dilation: tuple[int, int], kernel_grad: np.ndarray, with_input: bool,
                   kept: list[np.ndarray] | None = None) -> np.ndarray | None:
    """The gradients of `convolve` from the output's `grad` ``(N, Ho, Wo, F)``, per slice of the
    batch: the kernel's into `kernel_grad` (``cols^T g``, summed over slices), and the padded
    input's (``g K^T``, each window's gradient added back where it was read) if `with_input`."""
    groups = source.shape[-1] // kernel.shape[-2]
    filters, out_hw = kernel.shape[-1], grad.shape[1:3]
    grad_source = np.zeros(source.shape, dtype=grad.dtype) if with_input else None
    kept_columns = iter(kept or ())
    kernel_grad[...] = 0
    for part in _batch_slices(source, kernel, out_hw):
        g = grad[part].reshape(-1, filters)
        for channels, group in _group_slices(source.shape[-1], filters, groups):
            cols = next(kept_columns) if kept else _columns(source[part], kernel.shape[:2], strides, dilation, out_hw,
                                                            channels)
            group_kernel = kernel[..., group].reshape(cols.shape[1], -1)
            kernel_grad[..., group] += (cols.T @ g[:, group]).reshape(*kernel.shape[:-1], -1)
            if grad_source is not None:
                target = grad_source[part][..., channels]
                add_windows(target, (g[:, group] @ group_kernel.T).reshape(-1, *out_hw, *kernel.shape[:2],
                                                                           target.shape[-1]), strides, dilation)
    return grad_source


def depthwise(source: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], dilation: tuple[int, int],
              out: np.ndarray) -> np.ndarray:
    """The depthwise convolution `out` ``(N, Ho, Wo, C, M)`` of padded `source` ``(N, H, W, C)``
    by `kernel` ``(kh, kw, C, M)``: each channel convolved with its own `M` filters,
    ``out[..., c, m] = sum_ij x_ij[..., c] K[i, j, c, m]``, one product per kernel offset."""
    product = np.empty_like(out)
    for k, (i, j), (rows, columns) in offsets(out.shape[1:3], kernel.shape[:2], strides, dilation):
        part = source[:, rows, columns, :, None]
        if k == 0:
            np.multiply(part, kernel[i, j], out=out)
        else:
            out += np.multiply(part, kernel[i, j], out=product)
    return out


def depthwise_grads(source: np.ndarray, kernel: np.ndarray, grad: np.ndarray, strides: tuple[int, int],
                    dilation: tuple[int, int], kernel_grad: np.ndarray, with_input: bool) -> np.ndarray | None:
    """The gradients of `depthwise` from the output's `grad` ``(N, Ho, Wo, C, M)``: the kernel's
    into `kernel_grad` (``sum x_ij[..., c] g[..., c, m]`` over samples and positions), and the
    padded input's (``sum_m g[..., c, m] K[i, j, c, m]`` added where offset ``(i, j)`` read), if
    `with_input`."""
    grad_source = np.zeros(source.shape, dtype=grad.dtype) if with_input else None
    for _, (i, j), (rows, columns) in offsets(grad.shape[1:3], kernel.shape[:2], strides, dilation):
        kernel_grad[i, j] = np.einsum("nhwc,nhwcm->cm", source[:, rows, columns, :], grad)
        if grad_source is not None:
            grad_source[:, rows, columns, :] += np.einsum("nhwcm,cm->nhwc", grad, kernel[i, j])
    return grad_source
