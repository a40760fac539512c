"""The rest of Keras' numpy group on numpy: differences and integrals, distances, searching and
counting, bit operations, window functions, and the complex-number names on real arrays.

Differentiable ones are written with the other ops (their gradient is the chain rule); the
searching and counting ones return integers (no gradient); a few compute values only and refuse
a tracked input (`_values_only`).
"""
from __future__ import annotations

import numpy as np

from ..config import floatx
from . import math_ops as m
from . import reductions as r
from . import shapes as s
from .dispatch import is_tracked, tracked, value
from .linalg_ops import _values_only

__all__ = ["diff", "trapezoid", "cdist", "corrcoef", "correlate", "select", "searchsorted", "digitize", "bincount",
           "histogram", "unique", "isin", "nonzero", "argpartition", "unravel_index", "in_top_k",
           "extract_sequences", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_invert",
           "bitwise_left_shift", "left_shift", "bitwise_right_shift", "right_shift", "real", "imag", "conj",
           "conjugate", "angle", "i0", "bartlett", "blackman", "hamming", "hanning", "kaiser"]


def diff(a, n=1, axis=-1):
    """The `n`-th discrete difference along `axis`."""
    for _ in range(n):
        length = np.shape(value(tracked(a)))[axis]
        a = m.subtract(_part(a, axis, 1, length), _part(a, axis, 0, length - 1))
    return a


def _part(x, axis, start, stop):
    index = [slice(None)] * np.ndim(value(tracked(x)))
    index[axis] = slice(start, stop)
    return s.get_item(x, tuple(index))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal-rule integral of `y` along `axis` (sample points `x`, or spacing `dx`)."""
    length = np.shape(value(tracked(y)))[axis]
    pairs = m.divide(m.add(_part(y, axis, 1, length), _part(y, axis, 0, length - 1)), 2.0)
    widths = dx if x is None else diff(x, axis=axis if np.ndim(value(tracked(x))) > 1 else -1)
    return r.sum(m.multiply(pairs, widths), axis=axis)


def cdist(x, y):
    """Euclidean distances between the rows of `x` ``(..., P, D)`` and of `y` ``(..., R, D)``."""
    gap = m.subtract(s.expand_dims(x, -2), s.expand_dims(y, -3))
    return m.sqrt(r.sum(m.square(gap), axis=-1))


def corrcoef(x):
    """Pearson correlation coefficients of the rows of `x`."""
    centered = m.subtract(x, r.mean(x, axis=-1, keepdims=True))
    covariance = r.mean(m.multiply(s.expand_dims(centered, 1), s.expand_dims(centered, 0)), axis=-1)
    spread = m.sqrt(s.diagonal(covariance))
    return m.divide(covariance, m.multiply(s.expand_dims(spread, 1), s.expand_dims(spread, 0)))


def correlate(x1, x2, mode="valid"):
    """numpy's 1-D cross-correlation (values only)."""
    return _values_only("correlate", lambda a, b: np.correlate(a, b, mode=mode), x1, x2)


def select(condlist, choicelist, default=0):
    """From each position, the entry of the first choice whose condition holds (else `default`)."""
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = m.where(condition, choice, out)
    return out


def _integers(compute, *inputs):
    """An op with an integer (or boolean) result: computed on the values, no gradient."""
    return compute(*(value(tracked(item)) for item in inputs))


def searchsorted(sorted_sequence, values, side="left"):
    return _integers(lambda a, v: np.searchsorted(a, v, side=side).astype(np.int32),
                     sorted_sequence, values)


def digitize(x, bins):
    return _integers(lambda a, b: np.digitize(a, b).astype(np.int32), x, bins)


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("bincount(sparse=True) is not supported: minikeras has no sparse tensors.")
    if weights is not None:
        return _values_only("bincount", lambda a, w: np.bincount(a, w, minlength), x, weights)
    return _integers(lambda a: np.bincount(a, minlength=minlength).astype(np.int32), x)


def histogram(x, bins=10, range=None):  # noqa: A002 - Keras' name
    """``(counts, bin_edges)`` of a 1-D `x`, both in its float dtype (as Keras)."""
    def counted(a):
        counts, edges = np.histogram(a, bins=bins, range=range)
        return counts.astype(a.dtype), edges.astype(a.dtype)
    return _values_only("histogram", counted, x)


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None,  # noqa: A002
           size=None, fill_value=None):
    """numpy's unique (sorted); `size` pads (with `fill_value`) or cuts the result to that length."""
    result = np.unique(value(tracked(x)), return_index=return_index, return_inverse=return_inverse,
                       return_counts=return_counts, axis=axis)
    if size is None:
        return result
    values = result[0] if isinstance(result, tuple) else result
    padded = np.full(size, values[-1] if fill_value is None else fill_value, dtype=values.dtype)
    padded[:min(size, len(values))] = values[:size]
    return (padded, *result[1:]) if isinstance(result, tuple) else padded


def isin(x1, x2, assume_unique=False, invert=False):
    return _integers(lambda a, b: np.isin(a, b, assume_unique=assume_unique, invert=invert), x1, x2)


def nonzero(x):
    return _integers(np.nonzero, x)


def argpartition(x, kth, axis=-1):
    return _integers(lambda a: np.argpartition(a, kth, axis=axis).astype(np.int32), x)


def unravel_index(indices, shape):
    return _integers(lambda a: tuple(np.unravel_index(a, shape)), indices)


def in_top_k(targets, predictions, k):
    """Whether each target's prediction is among the row's `k` largest."""
    labels = np.asarray(value(tracked(targets))).astype(np.intp)
    scores = np.asarray(value(tracked(predictions)))
    own = scores[np.arange(len(labels)), labels]
    return np.sum(scores > own[:, None], axis=-1) < k


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` every `sequence_stride` along the last axis: ``(..., frames, length)``."""
    length = np.shape(value(tracked(x)))[-1]
    starts = np.arange(0, length - sequence_length + 1, sequence_stride)
    index = starts[:, None] + np.arange(sequence_length)[None, :]
    return s.take(x, index, axis=-1 % np.ndim(value(tracked(x))))


# -- bits ------------------------------------------------------------------------------------------
def bitwise_and(x, y):
    return _integers(np.bitwise_and, x, y)


def bitwise_or(x, y):
    return _integers(np.bitwise_or, x, y)


def bitwise_xor(x, y):
    return _integers(np.bitwise_xor, x, y)


def bitwise_not(x):
    return _integers(np.invert, x)


def bitwise_invert(x):
    return bitwise_not(x)


def bitwise_left_shift(x, y):
    return _integers(np.left_shift, x, y)


def left_shift(x, y):
    return bitwise_left_shift(x, y)


def bitwise_right_shift(x, y):
    return _integers(np.right_shift, x, y)


def right_shift(x, y):
    return bitwise_right_shift(x, y)


# -- real arrays under complex names ---------------------------------------------------------------
def real(x):
    return x if is_tracked(tracked(x)) else np.real(value(tracked(x)))


def imag(x):
    return np.zeros_like(value(tracked(x)))


def conj(x):
    return real(x)


def conjugate(x):
    return real(x)


def angle(x):
    """0 for non-negative entries, $\\pi$ for negative ones (real arrays)."""
    return np.where(np.asarray(value(tracked(x))) < 0, np.pi, 0.0).astype(floatx())


def i0(x):
    """The modified Bessel function of the first kind, order 0 (values only)."""
    return _values_only("i0", np.i0, x)


# -- windows ---------------------------------------------------------------------------------------
def bartlett(x):
    return np.bartlett(int(x)).astype(floatx())


def blackman(x):
    return np.blackman(int(x)).astype(floatx())


def hamming(x):
    return np.hamming(int(x)).astype(floatx())


def hanning(x):
    return np.hanning(int(x)).astype(floatx())


def kaiser(x, beta):
    return np.kaiser(int(x), beta).astype(floatx())
