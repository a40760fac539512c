r"""Reductions and scans (Keras' ``keras.ops`` numpy and math groups).

VJPs: a sum spreads $\bar{y}$ back over the reduced axes; a mean divides it by their size; a
max or min sends it to the entries equal to the result (shared evenly on ties, as PyTorch's
``amax``); a product to $y / x$; a cumulative sum to the reversed cumulative sum of $\bar{y}$.
"""
from __future__ import annotations

import numpy as np

from . import math_ops
from .comparisons import isnan
from .dispatch import axes_of, record, restore_reduced, tracked, value
from .dispatch import floating as _floating
from .shapes import reshape, stack, take, transpose

__all__ = ["sum", "mean", "max", "min", "amax", "amin", "ptp", "prod", "var", "std", "average", "logsumexp", "cumsum",
           "cumprod", "all", "any", "argmax", "argmin", "argsort", "count_nonzero", "sort", "top_k", "median",
           "quantile", "percentile", "norm", "nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar",
           "nanstd", "nancumsum", "nancumprod", "nanargmax", "nanargmin", "nanmedian", "nanquantile",
           "nanpercentile"]


def sum(x, axis=None, keepdims=False):  # noqa: A001 - Keras' name
    """Sum over `axis` (all by default)."""
    x = tracked(x)
    v = value(x)
    v = v.astype(np.int32) if np.asarray(v).dtype == bool else v
    shape = np.shape(v)
    return record(np.sum(v, axis=_axis(axis), keepdims=keepdims), (x,),
                  (lambda g: restore_reduced(g, shape, axis, keepdims),))


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def mean(x, axis=None, keepdims=False):
    """Mean over `axis` (all by default)."""
    x = tracked(x)
    v = _floating(value(x))
    shape = np.shape(v)
    count = int(np.prod([shape[a] for a in axes_of(axis, len(shape))]))
    return record(np.mean(v, axis=_axis(axis), keepdims=keepdims), (x,),
                  (lambda g: restore_reduced(np.asarray(g) / count, shape, axis, keepdims),))


def _extreme(x, axis, keepdims, pick):
    x = tracked(x)
    v = value(x)
    y = pick(v, axis=_axis(axis), keepdims=True)

    def vjp(g):
        hits = v == y
        return _kept(g, np.shape(v), axis, keepdims) * (hits / np.sum(hits, axis=_axis(axis), keepdims=True))

    return record(_dropped(y, axis, keepdims), (x,), (vjp,))


def _dropped(y, axis, keepdims):
    """A result computed with the reduced axes kept, without them unless `keepdims`."""
    if keepdims:
        return y
    return y.reshape(()) if axis is None else np.squeeze(y, axis=_axis(axis))


def _kept(g, shape, axis, keepdims):
    """`g` with the reduced axes kept (size 1), ready to broadcast against the input."""
    g = np.asarray(g)
    return g if keepdims or not shape else np.expand_dims(g, axes_of(axis, len(shape)))


def max(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras' name
    """Largest entry over `axis`; `initial` is a floor the result cannot go below."""
    result = _extreme(x, axis, keepdims, np.max)
    return result if initial is None else math_ops.maximum(result, initial)


def min(x, axis=None, keepdims=False, initial=None):  # noqa: A001 - Keras' name
    """Smallest entry over `axis`; `initial` is a ceiling the result cannot go above."""
    result = _extreme(x, axis, keepdims, np.min)
    return result if initial is None else math_ops.minimum(result, initial)


def amax(x, axis=None, keepdims=False):
    return max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    return min(x, axis=axis, keepdims=keepdims)


def ptp(x, axis=None, keepdims=False):
    """Range (max - min) over `axis`."""
    return math_ops.subtract(max(x, axis, keepdims), min(x, axis, keepdims))


def prod(x, axis=None, keepdims=False, dtype=None):
    r"""Product over `axis`; $\bar{x} = \bar{y} \prod_{j \ne i} x_j$."""
    x = tracked(x)
    v = value(x)
    y = np.prod(v, axis=_axis(axis), keepdims=True, dtype=dtype)

    def vjp(g):
        others = _product_of_others(v, axes_of(axis, np.ndim(v)))
        return _kept(g, np.shape(v), axis, keepdims) * others

    return record(_dropped(y, axis, keepdims), (x,), (vjp,))


def _product_of_others(v, axes):
    """For each entry, the product of the others along `axes` (exact with zeros: cumulative
    products from both sides over the flattened reduced axes)."""
    moved = np.moveaxis(v, axes, range(-len(axes), 0)) if axes else v
    flat = moved.reshape(*moved.shape[:moved.ndim - len(axes)], -1)
    ones = np.ones_like(flat[..., :1])
    left = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    right = np.flip(np.cumprod(np.concatenate([ones, np.flip(flat[..., 1:], -1)], axis=-1), axis=-1), -1)
    others = (left * right).reshape(moved.shape)
    return np.moveaxis(others, range(-len(axes), 0), axes) if axes else others


def var(x, axis=None, keepdims=False):
    """Population variance over `axis`."""
    return _variance(x, axis, keepdims, mean)


def _variance(x, axis, keepdims, average):
    """The `average` of the squared distances to the `average` (`mean`, or `nanmean`)."""
    centered = math_ops.subtract(x, average(x, axis=axis, keepdims=True))
    return average(math_ops.square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation over `axis`."""
    return math_ops.sqrt(var(x, axis=axis, keepdims=keepdims))


def average(x, axis=None, weights=None):
    """Mean over `axis`, weighted by `weights` (same shape as `x`, or 1-D along `axis`)."""
    if weights is None:
        return mean(x, axis=axis)
    weights = tracked(weights)
    if np.ndim(value(weights)) == 1 and axis is not None and np.ndim(value(tracked(x))) > 1:
        shape = [1] * np.ndim(value(tracked(x)))
        shape[int(axis)] = -1
        weights = reshape(weights, tuple(shape))
    return math_ops.divide(sum(math_ops.multiply(x, weights), axis=axis),
                           sum(math_ops.multiply(np.ones(np.shape(value(tracked(x))), dtype=np.float32), weights),
                               axis=axis))


def logsumexp(x, axis=None, keepdims=False):
    r"""$\log \sum e^{x}$ over `axis`, computed stably; $\bar{x} = \bar{y}\,\operatorname{softmax}(x)$."""
    x = tracked(x)
    v = _floating(value(x))
    top = np.max(v, axis=_axis(axis), keepdims=True)
    top = np.where(np.isfinite(top), top, 0)
    y = np.log(np.sum(np.exp(v - top), axis=_axis(axis), keepdims=True)) + top
    return record(_dropped(y, axis, keepdims), (x,), (lambda g: _kept(g, np.shape(v), axis, keepdims) * np.exp(v - y),))


def cumsum(x, axis=None, dtype=None):
    """Running sum along `axis` (of the flattened array when None)."""
    x = tracked(x)
    v = value(x)
    shape = np.shape(v)
    y = np.cumsum(v, axis=axis, dtype=dtype)

    def vjp(g):
        along = 0 if axis is None else axis
        return np.flip(np.cumsum(np.flip(g, along), axis=along), along).reshape(shape)

    return record(y, (x,), (vjp,))


def cumprod(x, axis=None, dtype=None):
    r"""Running product along `axis`; $\bar{x}_i = \sum_{j \ge i} \bar{y}_j\,\prod_{k \le j, k \ne i} x_k$."""
    x = tracked(x)
    v = value(x)
    flat = axis is None
    work = v.reshape(-1) if flat else v
    along = 0 if flat else axis
    y = np.cumprod(work, axis=along, dtype=dtype)

    def vjp(g):
        g = np.moveaxis(np.asarray(g).reshape(y.shape), along, -1)
        w = np.moveaxis(work, along, -1)
        n = w.shape[-1]
        grad = np.zeros_like(w, dtype=np.result_type(g, w))
        for i in range(n):
            rest = np.where(np.arange(n) == i, 1, w)
            partial = np.cumprod(rest, axis=-1)
            grad[..., i] = np.sum((g * partial)[..., i:], axis=-1)
        grad = np.moveaxis(grad, -1, along)
        return grad.reshape(np.shape(v))

    return record(y, (x,), (vjp,))


def all(x, axis=None, keepdims=False):  # noqa: A001 - Keras' name
    return np.all(value(tracked(x)), axis=_axis(axis), keepdims=keepdims)


def any(x, axis=None, keepdims=False):  # noqa: A001 - Keras' name
    return np.any(value(tracked(x)), axis=_axis(axis), keepdims=keepdims)


def argmax(x, axis=None, keepdims=False):
    """Index of the largest entry (of the flattened array when `axis` is None)."""
    return np.argmax(value(tracked(x)), axis=axis, keepdims=keepdims).astype(np.int32)


def argmin(x, axis=None, keepdims=False):
    return np.argmin(value(tracked(x)), axis=axis, keepdims=keepdims).astype(np.int32)


def argsort(x, axis=-1):
    return np.argsort(value(tracked(x)), axis=axis, kind="stable").astype(np.int32)


def count_nonzero(x, axis=None):
    return np.count_nonzero(value(tracked(x)), axis=_axis(axis)).astype(np.int32)


def sort(x, axis=-1):
    """Sorted along `axis`; the gradient goes back to where each entry came from."""
    x = tracked(x)
    v = value(x)
    order = np.argsort(v, axis=axis, kind="stable")
    y = np.take_along_axis(v, order, axis=axis)

    def vjp(g):
        grad = np.zeros_like(np.asarray(g) * np.ones_like(y))
        np.put_along_axis(grad, order, g, axis=axis)
        return grad

    return record(y, (x,), (vjp,))


def top_k(x, k, sorted=True):  # noqa: A002 - Keras' name
    """The `k` largest entries of the last axis and their indices: ``(values, indices)``."""
    x = tracked(x)
    v = value(x)
    indices = np.argsort(-v, axis=-1, kind="stable")[..., :k]
    picked = np.take_along_axis(v, indices, axis=-1)

    def vjp(g):
        grad = np.zeros_like(v, dtype=np.result_type(g, v))
        np.put_along_axis(grad, indices, g, axis=-1)
        return grad

    return record(picked, (x,), (vjp,)), indices.astype(np.int32)


def median(x, axis=None, keepdims=False):
    """Median over `axis` (the mean of the two middle entries for an even count)."""
    return quantile(x, 0.5, axis=axis, keepdims=keepdims)


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantile(s) over `axis` (several `q`: stacked first, as numpy). With
    ``method="linear"`` (the default) it interpolates between two sorted entries, which share the
    gradient; numpy's other methods have none."""
    levels = np.asarray(value(tracked(q)), dtype=np.float64)
    if method != "linear":
        return np.quantile(value(tracked(x)), levels, axis=_axis(axis), method=method, keepdims=keepdims)
    if levels.ndim:
        return stack([quantile(x, level, axis, method, keepdims) for level in levels.reshape(-1)], axis=0)
    x = tracked(x)
    shape = np.shape(value(x))
    axes = axes_of(axis, len(shape))
    kept = [a for a in range(len(shape)) if a not in axes]
    flat = reshape(transpose(x, (*kept, *axes)), (*(shape[a] for a in kept), -1))
    ordered = sort(flat, axis=-1)
    position = float(levels) * (np.shape(value(ordered))[-1] - 1)
    low, high = int(np.floor(position)), int(np.ceil(position))
    lower, upper = take(ordered, low, -1), take(ordered, high, -1)
    y = math_ops.add(lower, math_ops.multiply(math_ops.subtract(upper, lower), position - low))
    return reshape(y, tuple(1 if a in axes else size for a, size in enumerate(shape))) if keepdims else y


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentile(s): `quantile` at ``q / 100``."""
    return quantile(x, np.asarray(value(tracked(q))) / 100, axis=axis, method=method, keepdims=keepdims)


def norm(x, ord=None, axis=None, keepdims=False):  # noqa: A002 - Keras' name
    """Vector 2-norm (default), 1-norm, inf-norm, or the Frobenius norm of matrices over `axis`."""
    x = tracked(x)
    if ord in (None, 2, "fro", "euclidean") and (axis is None or isinstance(axis, int) or ord != 2):
        return math_ops.sqrt(sum(math_ops.square(x), axis=axis, keepdims=keepdims))
    if ord == 1:
        return sum(math_ops.abs(x), axis=axis, keepdims=keepdims)
    if ord in (np.inf, "inf"):
        return max(math_ops.abs(x), axis=axis, keepdims=keepdims)
    raise ValueError(f"norm supports ord None, 1, 2, inf and 'fro' here; got ord={ord!r}.")


def _nan_free(x, fill):
    return math_ops.where(isnan(x), fill, x)


def nansum(x, axis=None, keepdims=False):
    return sum(_nan_free(x, 0), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    counts = np.sum(~np.isnan(value(tracked(x))), axis=_axis(axis), keepdims=keepdims)
    return math_ops.divide(nansum(x, axis=axis, keepdims=keepdims), counts)


def nanmax(x, axis=None, keepdims=False):
    return max(_nan_free(x, -np.inf), axis=axis, keepdims=keepdims)


def nanmin(x, axis=None, keepdims=False):
    return min(_nan_free(x, np.inf), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    return prod(_nan_free(x, 1), axis=axis, keepdims=keepdims)


def nanvar(x, axis=None, keepdims=False):
    return _variance(x, axis, keepdims, nanmean)


def nanstd(x, axis=None, keepdims=False):
    return math_ops.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def nancumsum(x, axis=None, dtype=None):
    return cumsum(_nan_free(x, 0), axis=axis, dtype=dtype)


def nancumprod(x, axis=None, dtype=None):
    return cumprod(_nan_free(x, 1), axis=axis, dtype=dtype)


def nanargmax(x, axis=None, keepdims=False):
    return np.nanargmax(value(tracked(x)), axis=axis, keepdims=keepdims).astype(np.int32)


def nanargmin(x, axis=None, keepdims=False):
    return np.nanargmin(value(tracked(x)), axis=axis, keepdims=keepdims).astype(np.int32)


def nanmedian(x, axis=None, keepdims=False):
    return np.nanmedian(value(tracked(x)), axis=_axis(axis), keepdims=keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return np.nanquantile(value(tracked(x)), value(tracked(q)), axis=_axis(axis), method=method, keepdims=keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return np.nanpercentile(value(tracked(x)), value(tracked(q)), axis=_axis(axis), method=method,
                            keepdims=keepdims)

