"""Keras' core ops on numpy: conversions, shapes and dtypes, `stop_gradient` and
`custom_gradient`, scatter and slice updates, segment reductions, and control flow.

Control flow runs as Python: `cond` and `switch` call one branch, the loops (`fori_loop`,
`while_loop`, `scan`, `map`, `vectorized_map`, `associative_scan`) iterate, and the tape records
whatever ops the chosen code runs, so gradients flow through them without special rules.
"""
from __future__ import annotations

import builtins

import numpy as np

from .. import tape
from ..config import floatx
from .dispatch import is_tracked, record, tracked, value
from .shapes import get_item, moveaxis, stack

__all__ = ["convert_to_tensor", "convert_to_numpy", "is_tensor", "cast", "saturate_cast", "shape", "dtype", "ndim",
           "size", "stop_gradient", "custom_gradient", "scatter", "scatter_update", "slice", "slice_update",
           "segment_sum", "segment_max", "segment_min", "segment_prod", "cond", "switch", "fori_loop",
           "while_loop", "scan", "map", "vectorized_map", "associative_scan", "vectorize"]


def convert_to_tensor(x, dtype=None, sparse=None, ragged=None):
    """`x` as an array (a tracked tensor stays one): Python floats become float32, as in Keras."""
    if sparse or ragged:
        raise ValueError("minikeras has no sparse or ragged tensors; give dense arrays.")
    x = tracked(x)
    if isinstance(x, (float, int, bool)):
        x = np.asarray(x, dtype=floatx() if isinstance(x, float) else None)
    return x if dtype is None else cast(x, dtype)


def convert_to_numpy(x):
    """A numpy copy of the value of `x` (a tensor, a variable or an array)."""
    return np.array(value(tracked(x)))


def is_tensor(x) -> bool:
    """Whether `x` is one of minikeras' tensors: a numpy array or a tracked `Tensor`."""
    return isinstance(x, np.ndarray) or is_tracked(x)


def cast(x, dtype):
    """`x` in `dtype`; the gradient passes between float dtypes (none to an integer dtype)."""
    x = tracked(x)
    v = np.asarray(value(x))
    dtype = np.dtype(dtype)
    y = v.astype(dtype)
    if dtype.kind != "f":
        return y
    return record(y, (x,), (lambda g: np.asarray(g).astype(v.dtype),))


def saturate_cast(x, dtype):
    """`cast` after clipping `x` to the range of `dtype`."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return cast(np.clip(value(tracked(x)), info.min, info.max), dtype)
    return cast(x, dtype)


def shape(x) -> tuple[int, ...]:
    return tuple(np.shape(value(tracked(x))))


def dtype(x) -> str:
    return np.asarray(value(tracked(x))).dtype.name


def ndim(x) -> int:
    return int(np.ndim(value(tracked(x))))


def size(x) -> int:
    return int(np.size(value(tracked(x))))


def stop_gradient(variable):
    """The value of `variable`, which no gradient flows back through."""
    return np.asarray(value(tracked(variable)))


def custom_gradient(f):
    """Decorator: `f(*args)` returns ``(output, grad_fn)`` and ``grad_fn(*args, upstream=g)`` (or
    ``grad_fn(g)``) gives the gradients of the inputs, replacing the automatic ones."""

    def wrapped(*args):
        inputs = [tracked(a) for a in args]
        with tape.paused():
            output, grad_fn = f(*(value(a) for a in inputs))
        cache: dict[str, tuple] = {}

        def input_grads(g):
            if "grads" not in cache:
                try:
                    grads = grad_fn(upstream=g)
                except TypeError:
                    grads = grad_fn(g)
                cache["grads"] = tuple(grads) if isinstance(grads, (list, tuple)) else (grads,)
            return cache["grads"]

        vjps = tuple((lambda g, k=k: value(tracked(input_grads(g)[k]))) for k in range(len(inputs)))
        return record(value(tracked(output)), tuple(inputs), vjps)

    wrapped.__name__ = getattr(f, "__name__", "custom_gradient")
    wrapped.__doc__ = f.__doc__
    return wrapped


# -- updates ---------------------------------------------------------------------------------------
def _index_rows(indices):
    indices = np.asarray(value(tracked(indices))).astype(np.intp)
    return tuple(np.moveaxis(indices, -1, 0))


def scatter(indices, values, shape):
    """Zeros of `shape` with `values` added at `indices` (``(N, k)``: the first k axes)."""
    values = tracked(values)
    where = _index_rows(indices)
    v = np.asarray(value(values))
    out = np.zeros(tuple(shape), dtype=v.dtype if v.dtype.kind == "f" else np.dtype(floatx()))
    np.add.at(out, where, v)
    return record(out, (values,), (lambda g: np.asarray(g)[where],))


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with the entries at `indices` replaced by `updates` (or combined: `reduction`
    ``"add"``, ``"max"``, ``"min"``, ``"mul"``)."""
    inputs, updates = tracked(inputs), tracked(updates)
    where = _index_rows(indices)
    out = np.array(value(inputs))
    combine = {None: None, "add": np.add, "max": np.maximum, "min": np.minimum, "mul": np.multiply}
    if reduction not in combine:
        raise ValueError(f"scatter_update: reduction must be None, 'add', 'max', 'min' or 'mul'; got {reduction!r}.")
    if reduction is None:
        out[where] = value(updates)
        kept = np.ones(out.shape, dtype=bool)
        kept[where] = False
        return record(out, (inputs, updates), (lambda g: g * kept, lambda g: np.asarray(g)[where]))
    if reduction != "add" and (is_tracked(inputs) or is_tracked(updates)):
        raise ValueError(f"scatter_update(reduction={reduction!r}) has no gradient here.")
    combine[reduction].at(out, where, value(updates))
    return record(out, (inputs, updates), (lambda g: g, lambda g: np.asarray(g)[where]))


def _block(start_indices, sizes):
    return tuple(builtins.slice(int(s), int(s) + int(n)) for s, n in zip(start_indices, sizes))


def slice(inputs, start_indices, shape):  # noqa: A001 - Keras' name
    """The block of `shape` starting at `start_indices`."""
    return get_item(inputs, _block(value(tracked(start_indices)), shape))


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    inputs, updates = tracked(inputs), tracked(updates)
    block = _block(value(tracked(start_indices)), np.shape(value(updates)))
    out = np.array(value(inputs))
    out[block] = value(updates)
    kept = np.ones(out.shape, dtype=bool)
    kept[block] = False
    return record(out, (inputs, updates), (lambda g: g * kept, lambda g: np.asarray(g)[block]))


# -- segment reductions (keras.ops.math) -----------------------------------------------------------
def _segments(data, segment_ids, num_segments):
    data = tracked(data)
    ids = np.asarray(value(tracked(segment_ids))).astype(np.intp)
    count = int(ids.max()) + 1 if num_segments is None else int(num_segments)
    return data, np.asarray(value(data)), ids, count


def segment_sum(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras' name
    """Sums of the rows of `data` sharing a segment id."""
    data, v, ids, count = _segments(data, segment_ids, num_segments)
    out = np.zeros((count, *v.shape[1:]), dtype=v.dtype)
    valid = (ids >= 0) & (ids < count)
    np.add.at(out, ids[valid], v[valid])
    return record(out, (data,), (lambda g: np.where(_rows(valid, v), np.asarray(g)[np.clip(ids, 0, count - 1)], 0),))


def _rows(mask, v):
    return mask.reshape(mask.shape + (1,) * (v.ndim - mask.ndim))


def _segment_extreme(data, segment_ids, num_segments, pick, empty):
    data, v, ids, count = _segments(data, segment_ids, num_segments)
    out = np.full((count, *v.shape[1:]), empty, dtype=v.dtype)
    valid = (ids >= 0) & (ids < count)
    pick.at(out, ids[valid], v[valid])
    picked = out[np.clip(ids, 0, count - 1)]
    hits = (v == picked) & _rows(valid, v)
    ties = np.zeros(out.shape)
    np.add.at(ties, ids[valid], hits[valid])

    def vjp(g):
        shares = np.asarray(g) / np.maximum(ties, 1)
        return np.where(hits, shares[np.clip(ids, 0, count - 1)], 0)

    return record(out, (data,), (vjp,))


def segment_max(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras' name
    return _segment_extreme(data, segment_ids, num_segments, np.maximum, -np.inf)


def segment_min(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras' name
    return _segment_extreme(data, segment_ids, num_segments, np.minimum, np.inf)


def segment_prod(data, segment_ids, num_segments=None, sorted=False):  # noqa: A002 - Keras' name
    data, v, ids, count = _segments(data, segment_ids, num_segments)
    if is_tracked(data):
        raise ValueError("segment_prod has no gradient here.")
    out = np.ones((count, *v.shape[1:]), dtype=v.dtype)
    np.multiply.at(out, ids, v)
    return out


# -- control flow ----------------------------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    """``true_fn()`` if `pred` holds, else ``false_fn()``."""
    return true_fn() if bool(np.asarray(value(tracked(pred)))) else false_fn()


def switch(index, branches, *operands):
    """``branches[index](*operands)`` (`index` clipped to the branches)."""
    chosen = int(np.clip(np.asarray(value(tracked(index))), 0, len(branches) - 1))
    return branches[chosen](*operands)


def fori_loop(lower, upper, body_fun, init_val):
    """``val = body_fun(i, val)`` for i in ``range(lower, upper)``."""
    val = init_val
    for i in range(int(lower), int(upper)):
        val = body_fun(i, val)
    return val


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """``loop_vars = body(*loop_vars)`` while ``cond(*loop_vars)`` (at most `maximum_iterations`)."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while bool(np.asarray(value(tracked(cond(*state))))) and (maximum_iterations is None or steps < maximum_iterations):
        out = body(*state)
        state = (out,) if single else tuple(out)
        steps += 1
    return state[0] if single else type(loop_vars)(state)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """``carry, y = f(carry, x)`` over the rows of `xs`: ``(final carry, stacked ys)``."""
    count = length if xs is None else len(value(tracked(xs)))
    order = range(count - 1, -1, -1) if reverse else range(count)
    carry, ys = init, []
    for i in order:
        carry, y = f(carry, None if xs is None else tracked(xs)[i])
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, (stack(ys) if ys and ys[0] is not None else None)


def map(f, xs):  # noqa: A001 - Keras' name
    """``f(x)`` for each row of `xs`, stacked."""
    return stack([f(row) for row in _rows_of(xs)])


def vectorized_map(function, elements):
    """`map` (the rows are computed one after another)."""
    return map(function, elements)


def _rows_of(xs):
    xs = tracked(xs)
    return [xs[i] for i in range(len(value(xs)))]


def associative_scan(f, elems, reverse=False, axis=0):
    """Running ``f(previous, current)`` along `axis` (sequentially)."""
    moved = moveaxis(elems, axis, 0)
    rows = _rows_of(moved)
    if reverse:
        rows.reverse()
    out = [rows[0]]
    for row in rows[1:]:
        out.append(f(out[-1], row))
    if reverse:
        out.reverse()
    return moveaxis(stack(out), 0, axis)



def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` mapped over the leading axis of its first argument (`map`); numpy's `excluded`
    and `signature` are not supported."""
    if excluded or signature:
        raise ValueError("vectorize: excluded and signature are not supported; map over the first axis.")

    def vectorized(x, *rest):
        return map(lambda row: pyfunc(row, *rest), x)

    return vectorized
