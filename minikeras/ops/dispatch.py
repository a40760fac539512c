"""What every op does with its arguments: reading tensors, variables and arrays, and recording
its result with its VJPs (`minikeras.tape.result`)."""
from __future__ import annotations

import numpy as np

from .. import tape
from ..config import floatx
from ..tape import Tensor
from ..variables import Variable


def tracked(x):
    """`x` as an op reads it: a tracked `Tensor` as it is; a trainable `Variable` as its leaf on
    the tape recording now (its value otherwise); anything else as a numpy array (Python
    numbers keep their weak type: ``x * 2.0`` stays float32)."""
    if type(x) is Tensor:
        return x
    if isinstance(x, Variable):
        recording = tape.current()
        return recording.leaf(x) if recording is not None and x.trainable else x.value
    if isinstance(x, (float, int, bool, np.ndarray, np.generic)):
        return x
    return np.asarray(x, dtype=floatx()) if _is_float_data(x) else np.asarray(x)


def _is_float_data(x) -> bool:
    """A nested list or tuple holding floats (Keras makes float32 tensors of them)."""
    try:
        return np.asarray(x).dtype == np.float64
    except (TypeError, ValueError):
        return False


def value(x):
    """The array behind `x` (a tensor's or variable's value)."""
    if type(x) is Tensor:
        return x.value
    if isinstance(x, Variable):
        return x.value
    return x if isinstance(x, (np.ndarray, float, int, bool, np.generic)) else np.asarray(tracked(x))


def values(*xs):
    return tuple(value(x) for x in xs)


def floating(v):
    """Ints, bools and Python numbers as floatx arrays, as Keras' float ops compute them."""
    if isinstance(v, (bool, int, float)):
        return np.asarray(v, dtype=floatx())
    v = np.asarray(v)
    return v.astype(floatx()) if v.dtype.kind in "biu" else v


def is_tracked(x) -> bool:
    return type(x) is Tensor


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes broadcasting added or stretched, back to `shape`."""
    grad = np.asarray(grad)
    if grad.shape == tuple(shape):
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(axis for axis, size in enumerate(shape) if size == 1 and grad.shape[axis] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def shape_of(x) -> tuple[int, ...]:
    return np.shape(value(x))


def axes_of(axis, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a sequence) as a tuple of non-negative axes of an `ndim`-d array."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % max(ndim, 1) for a in axes)


def restore_reduced(grad, shape: tuple[int, ...], axis, keepdims: bool):
    """The gradient of a reduction over `axis` (kept or dropped) broadcast back to the input shape."""
    grad = np.asarray(grad)
    if not keepdims:
        grad = np.expand_dims(grad, axes_of(axis, len(shape))) if len(shape) else grad
    return np.broadcast_to(grad, shape)


record = tape.result
