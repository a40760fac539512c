"""Ops that move, select or create entries without arithmetic (Keras' numpy group): reshaping,
transposing, joining, splitting, indexing, padding, tiling, and the array constructors.

Their VJPs route the gradient back to where each entry came from: the inverse reshape or
transpose, a slice of the joined gradient, a scatter-add (``np.add.at``) for indexing, where an
entry read twice gets both gradients.
"""
from __future__ import annotations

import numpy as np

from ..config import floatx
from .dispatch import record, tracked, unbroadcast, value

__all__ = ["reshape", "ravel", "expand_dims", "squeeze", "transpose", "moveaxis", "swapaxes", "broadcast_to",
           "concatenate", "append", "stack", "hstack", "vstack", "dstack", "split", "array_split", "hsplit",
           "vsplit", "dsplit", "unstack", "get_item", "take", "take_along_axis", "tile", "repeat", "pad",
           "flip", "fliplr", "flipud", "roll", "rot90", "diagonal", "trace", "diag", "diagflat", "tril",
           "triu", "copy", "zeros", "ones", "empty", "full", "zeros_like", "ones_like", "empty_like",
           "full_like", "eye", "identity", "tri", "arange", "linspace", "logspace", "geomspace", "meshgrid",
           "array", "vander"]


def _same_shape(v):
    shape = np.shape(v)
    return lambda g: np.reshape(g, shape)


def reshape(x, newshape):
    """`x` with shape `newshape` (one -1 allowed)."""
    x = tracked(x)
    v = value(x)
    return record(np.reshape(v, newshape), (x,), (_same_shape(v),))


def ravel(x):
    return reshape(x, (-1,))


def expand_dims(x, axis):
    """A new axis of size 1 at `axis` (an int or a tuple)."""
    x = tracked(x)
    v = value(x)
    return record(np.expand_dims(v, tuple(axis) if isinstance(axis, list) else axis), (x,), (_same_shape(v),))


def squeeze(x, axis=None):
    """`x` without its axes of size 1 (or only `axis`)."""
    x = tracked(x)
    v = value(x)
    return record(np.squeeze(v, axis=tuple(axis) if isinstance(axis, list) else axis), (x,), (_same_shape(v),))


def transpose(x, axes=None):
    """Axes permuted by `axes` (reversed by default)."""
    x = tracked(x)
    v = value(x)
    order = tuple(range(np.ndim(v)))[::-1] if axes is None else tuple(int(a) % np.ndim(v) for a in axes)
    inverse = tuple(np.argsort(order))
    return record(np.transpose(v, order), (x,), (lambda g: np.transpose(g, inverse),))


def moveaxis(x, source, destination):
    x = tracked(x)
    return record(np.moveaxis(value(x), source, destination), (x,),
                  (lambda g: np.moveaxis(g, destination, source),))


def swapaxes(x, axis1, axis2):
    x = tracked(x)
    return record(np.swapaxes(value(x), axis1, axis2), (x,), (lambda g: np.swapaxes(g, axis1, axis2),))


def broadcast_to(x, shape):
    x = tracked(x)
    v = value(x)
    return record(np.broadcast_to(v, tuple(shape)), (x,), (lambda g: unbroadcast(g, np.shape(v)),))


def concatenate(xs, axis=0):
    """The arrays of `xs` joined along `axis` (None: flattened first)."""
    items = [tracked(item) for item in xs]
    arrays = [np.asarray(value(item)) for item in items]
    if axis is None:
        arrays, axis = [a.reshape(-1) for a in arrays], 0
    y = np.concatenate(arrays, axis=axis)
    bounds = np.cumsum([0, *(a.shape[axis] for a in arrays)])
    shapes = [np.shape(value(item)) for item in items]

    def piece(k):
        index = [slice(None)] * y.ndim
        index[axis] = slice(int(bounds[k]), int(bounds[k + 1]))
        return lambda g: np.reshape(np.asarray(g)[tuple(index)], shapes[k])

    return record(y, tuple(items), tuple(piece(k) for k in range(len(items))))


def append(x1, x2, axis=None):
    return concatenate([x1, x2], axis=axis)


def stack(x, axis=0):
    """The arrays of `x` stacked along a new `axis`."""
    return concatenate([expand_dims(item, axis) for item in x], axis=axis)


def hstack(xs):
    return concatenate(xs, axis=0 if np.ndim(value(tracked(xs[0]))) == 1 else 1)


def vstack(xs):
    return concatenate([reshape(x, (1, -1)) if np.ndim(value(tracked(x))) == 1 else x for x in xs], axis=0)


def dstack(xs):
    def three(x):
        shape = np.shape(value(tracked(x)))
        return reshape(x, (1, *shape, 1)[:3] if len(shape) == 1 else (*shape, 1)) if len(shape) < 3 else x
    return concatenate([three(x) for x in xs], axis=2)


def split(x, indices_or_sections, axis=0):
    """`x` cut along `axis` into equal sections or at the given indices: a list."""
    x = tracked(x)
    v = value(x)
    pieces = np.split(v, indices_or_sections, axis=axis)
    return _slices_of(x, v, pieces, axis)


def array_split(x, indices_or_sections, axis=0):
    x = tracked(x)
    v = value(x)
    return _slices_of(x, v, np.array_split(v, indices_or_sections, axis=axis), axis)


def _slices_of(x, v, pieces, axis):
    starts = np.cumsum([0, *(p.shape[axis] for p in pieces)])
    outputs = []
    for start, stop in zip(starts[:-1], starts[1:]):
        index = [slice(None)] * np.ndim(v)
        index[axis] = slice(int(start), int(stop))
        outputs.append(get_item(x, tuple(index)))
    return outputs


def hsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0 if np.ndim(value(tracked(x))) == 1 else 1)


def vsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return split(x, indices_or_sections, axis=2)


def unstack(x, num=None, axis=0):
    """The slices of `x` along `axis`, as a list."""
    count = np.shape(value(tracked(x)))[axis]
    if num is not None and num != count:
        raise ValueError(f"unstack: num={num} but axis {axis} has {count} entries.")
    return [squeeze(piece, axis) for piece in split(x, count, axis=axis)]


def _plain_key(key):
    """An index with its tensors replaced by their values."""
    if isinstance(key, tuple):
        return tuple(_plain_key(k) for k in key)
    return key if isinstance(key, (slice, int, type(None), type(Ellipsis))) else value(tracked(key))


def get_item(x, key):
    """``x[key]``: integers, slices, ``None``, ``...``, boolean masks and integer arrays."""
    x = tracked(x)
    v = value(x)
    key = _plain_key(key)

    def vjp(g):
        grad = np.zeros(np.shape(v), dtype=np.result_type(g, v))
        np.add.at(grad, key, g)
        return grad

    return record(np.asarray(v)[key], (x,), (vjp,))


def take(x, indices, axis=None):
    """Entries of `x` at `indices` along `axis` (of the flattened array when None)."""
    x = tracked(x)
    v = value(x)
    indices = np.asarray(value(tracked(indices))).astype(np.intp)
    if axis is None:
        return take(reshape(x, (-1,)), indices, axis=0)
    axis = int(axis) % np.ndim(v)

    def vjp(g):
        grad = np.zeros(np.shape(v), dtype=np.result_type(g, v))
        moved = np.moveaxis(grad, axis, 0)
        np.add.at(moved, indices, np.moveaxis(np.asarray(g), tuple(range(axis, axis + indices.ndim)),
                                              tuple(range(indices.ndim))))
        return grad

    return record(np.take(v, indices, axis=axis), (x,), (vjp,))


def take_along_axis(x, indices, axis=None):
    x = tracked(x)
    v = value(x)
    indices = np.asarray(value(tracked(indices))).astype(np.intp)
    if axis is None:
        return take_along_axis(reshape(x, (-1,)), indices.reshape(-1), axis=0)
    y = np.take_along_axis(v, indices, axis=axis)

    def vjp(g):
        grad = np.zeros(np.shape(v), dtype=np.result_type(g, v))
        full = np.broadcast_to(indices, np.shape(g))
        grids = list(np.indices(np.shape(g), sparse=True))
        grids[axis] = full
        np.add.at(grad, tuple(grids), g)
        return grad

    return record(y, (x,), (vjp,))


def tile(x, repeats):
    x = tracked(x)
    v = value(x)
    y = np.tile(v, repeats)
    reps = (1,) * (y.ndim - len(np.atleast_1d(repeats))) + tuple(np.atleast_1d(repeats))
    shape = (1,) * (y.ndim - np.ndim(v)) + np.shape(v)

    def vjp(g):
        split_shape = [d for pair in zip(reps, shape) for d in pair]
        return np.asarray(g).reshape(split_shape).sum(axis=tuple(range(0, 2 * y.ndim, 2))).reshape(np.shape(v))

    return record(y, (x,), (vjp,))


def repeat(x, repeats, axis=None):
    """Each entry repeated `repeats` times along `axis` (of the flattened array when None)."""
    x = tracked(x)
    if axis is None:
        return repeat(reshape(x, (-1,)), repeats, axis=0)
    v = value(x)
    index = np.repeat(np.arange(np.shape(v)[axis]), repeats)
    return take(x, index, axis=axis)


def pad(x, pad_width, mode="constant", constant_values=None):
    """`x` padded by `pad_width` ``((before, after), ...)``; the gradient is the inner slice."""
    x = tracked(x)
    v = value(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (np.ndim(v), 2))
    extra = {} if mode != "constant" else {"constant_values": 0 if constant_values is None else constant_values}
    if mode not in ("constant", "reflect", "symmetric", "edge"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'symmetric' or 'edge'; got {mode!r}.")
    y = np.pad(v, widths, mode=mode, **extra)
    inner = tuple(slice(int(b), int(b) + n) for (b, _), n in zip(widths, np.shape(v)))
    if mode != "constant":
        position = np.pad(np.arange(np.size(v)).reshape(np.shape(v)), widths, mode=mode)

        def vjp(g):
            return np.bincount(position.reshape(-1), np.asarray(g).reshape(-1), np.size(v)).reshape(np.shape(v))
        return record(y, (x,), (vjp,))
    return record(y, (x,), (lambda g: np.asarray(g)[inner],))


def flip(x, axis=None):
    x = tracked(x)
    return record(np.flip(value(x), axis=axis), (x,), (lambda g: np.flip(g, axis=axis),))


def fliplr(x):
    return flip(x, 1)


def flipud(x):
    return flip(x, 0)


def roll(x, shift, axis=None):
    x = tracked(x)
    return record(np.roll(value(x), shift, axis=axis), (x,),
                  (lambda g: np.roll(g, np.negative(shift), axis=axis),))


def rot90(array, k=1, axes=(0, 1)):
    x = tracked(array)
    return record(np.rot90(value(x), k, axes), (x,), (lambda g: np.rot90(g, -k, axes),))


def diagonal(x, offset=0, axis1=0, axis2=1):
    x = tracked(x)
    v = value(x)

    def vjp(g):
        grad = np.zeros(np.shape(v), dtype=np.result_type(g, v))
        view = np.diagonal(grad, offset, axis1, axis2)
        view.setflags(write=True)
        view[...] = g
        return grad

    return record(np.diagonal(v, offset, axis1, axis2).copy(), (x,), (vjp,))


def trace(x, offset=0, axis1=0, axis2=1):
    """Sum of the `offset` diagonal over `axis1`, `axis2`."""
    d = diagonal(x, offset, axis1, axis2)
    dv = value(d)
    return record(np.sum(dv, axis=-1), (d,), (lambda g: np.broadcast_to(np.expand_dims(g, -1), np.shape(dv)),))


def diag(x, k=0):
    """The `k`-th diagonal of a matrix, or a matrix with a vector on it."""
    x = tracked(x)
    v = value(x)
    if np.ndim(v) == 2:
        return diagonal(x, k)
    rows, cols = (np.arange(len(v)), np.arange(len(v)) + k) if k >= 0 else (np.arange(len(v)) - k, np.arange(len(v)))
    return record(np.diag(v, k), (x,), (lambda g: np.asarray(g)[rows, cols],))


def diagflat(x, k=0):
    return diag(ravel(x), k)


def tril(x, k=0):
    x = tracked(x)
    v = value(x)
    return record(np.tril(v, k), (x,), (lambda g: np.tril(g, k),))


def triu(x, k=0):
    x = tracked(x)
    v = value(x)
    return record(np.triu(v, k), (x,), (lambda g: np.triu(g, k),))


def copy(x):
    x = tracked(x)
    return record(np.array(value(x)), (x,), (lambda g: g,))


# -- constructors --------------------------------------------------------------------------------
def _dtype(dtype):
    return np.dtype(floatx() if dtype is None else dtype)


def zeros(shape, dtype=None):
    return np.zeros(shape, dtype=_dtype(dtype))


def ones(shape, dtype=None):
    return np.ones(shape, dtype=_dtype(dtype))


def empty(shape, dtype=None):
    return np.zeros(shape, dtype=_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return np.full(shape, value(tracked(fill_value)), dtype=_dtype(dtype))


def _like_dtype(x, dtype):
    return np.dtype(dtype) if dtype is not None else np.asarray(value(tracked(x))).dtype


def zeros_like(x, dtype=None):
    return np.zeros(np.shape(value(tracked(x))), dtype=_like_dtype(x, dtype))


def ones_like(x, dtype=None):
    return np.ones(np.shape(value(tracked(x))), dtype=_like_dtype(x, dtype))


def empty_like(x, dtype=None):
    return zeros_like(x, dtype)


def full_like(x, fill_value, dtype=None):
    return np.full(np.shape(value(tracked(x))), value(tracked(fill_value)), dtype=_like_dtype(x, dtype))


def eye(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras' names
    return np.eye(N, M, k, dtype=_dtype(dtype))


def identity(n, dtype=None):
    return np.eye(n, dtype=_dtype(dtype))


def tri(N, M=None, k=0, dtype=None):  # noqa: N803 - Keras' names
    return np.tri(N, M, k, dtype=_dtype(dtype))


def arange(start, stop=None, step=None, dtype=None):
    """Evenly spaced values; int32 for integer arguments, float32 otherwise (Keras' dtypes)."""
    step = 1 if step is None else step
    args = (start, stop, step) if stop is not None else (0, start, step)
    if dtype is None:
        dtype = "int32" if all(isinstance(a, (int, np.integer)) for a in args) else floatx()
    return np.arange(*args, dtype=np.dtype(dtype))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return np.linspace(start, stop, num, endpoint, retstep, dtype=_dtype(dtype), axis=axis)


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return np.logspace(start, stop, num, endpoint, base, dtype=_dtype(dtype), axis=axis)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return np.geomspace(start, stop, num, endpoint, dtype=_dtype(dtype), axis=axis)


def meshgrid(*x, indexing="xy"):
    return [np.asarray(grid) for grid in np.meshgrid(*(value(tracked(item)) for item in x), indexing=indexing)]


def array(x, dtype=None):
    x = tracked(x)
    return np.array(value(x), dtype=None if dtype is None else np.dtype(dtype))


def vander(x, N=None, increasing=False):  # noqa: N803 - Keras' name
    """Powers of `x` as columns, in the dtype of `x`."""
    v = np.asarray(value(tracked(x)))
    return np.vander(v, N, increasing).astype(v.dtype)

