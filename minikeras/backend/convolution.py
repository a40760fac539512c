r"""Sliding windows over channels-last images: what convolution and pooling layers compute on.

A 2-D input ``(N, H, W, C)`` is padded (`pad_amounts`, Keras' ``"valid"`` and ``"same"``), then
`windows` views it as ``(N, Ho, Wo, kh, kw, C)`` with stride tricks: no copy. A convolution is
then one matrix product over the windows flattened to rows (im2col):
$y = \mathrm{cols}(x)\, K$ with `cols` ``(N Ho Wo, kh kw C)`` and $K$ ``(kh kw C, F)``. Its input
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


def output_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Positions of the window along one axis (0 when the kernel does not fit)."""
    before, after = pad_amounts(size, kernel, stride, dilation, padding)
    span = (kernel - 1) * dilation + 1
    return max((size + before + after - span) // stride + 1, 0)


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


def add_windows(grad_windows: np.ndarray, shape: tuple[int, ...], strides: tuple[int, int],
                dilation: tuple[int, int], dtype) -> np.ndarray:
    """The gradient ``(N, H, W, C)`` (padded shape `shape`) of the input of `windows`, from the
    gradient of each window ``(N, Ho, Wo, kh, kw, C)``: every window's values added back where
    they were read, one strided slice per kernel offset."""
    grad = np.zeros(shape, dtype=dtype)
    _, out_h, out_w, kernel_h, kernel_w, _ = grad_windows.shape
    for _, (i, j), (rows, columns) in offsets((out_h, out_w), (kernel_h, kernel_w), strides, dilation):
        grad[:, rows, columns, :] += grad_windows[:, :, :, i, j, :]
    return grad


def cropped(grad: np.ndarray, pads: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """`grad` of the padded input, without the padding (the gradient of the input itself)."""
    (top, bottom), (left, right) = pads
    return grad[:, top:grad.shape[1] - bottom, left:grad.shape[2] - right, :]


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
