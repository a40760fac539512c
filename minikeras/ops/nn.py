r"""Neural-network ops (Keras' ``keras.ops.nn``): activations, softmax, cross-entropies,
normalizations, one-hot encodings and attention; the convolutions and poolings (`convolutions`) are in this
namespace too, as in Keras.

The activations used most (`relu`, `sigmoid`, `softmax`, `log_softmax`, `gelu`, `silu`) record
their own VJP: $\operatorname{relu}'(x) = [x > 0]$, $\sigma' = \sigma(1 - \sigma)$, and for the
softmax $s$, $\bar{x} = s \odot (\bar{s} - \langle \bar{s}, s \rangle)$. The others are written
with the ops above, so their gradient is the chain rule through them.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import log_softmax as _log_softmax
from ..backend import sigmoid as _sigmoid
from ..backend import softmax as _softmax
from ..config import EPSILON, floatx
from . import comparisons as c
from . import math_ops as m
from . import reductions as r
from . import shapes as s
from .convolutions import average_pool, conv, depthwise_conv, max_pool, separable_conv
from .dispatch import floating as _floating
from .dispatch import record, tracked, value
from .linalg_ops import einsum

__all__ = ["relu", "relu6", "sigmoid", "softplus", "softsign", "silu", "swish", "log_sigmoid", "leaky_relu",
           "hard_sigmoid", "hard_silu", "hard_swish", "elu", "selu", "celu", "gelu", "glu", "tanh_shrink",
           "hard_tanh", "hard_shrink", "soft_shrink", "threshold", "squareplus", "sparse_plus",
           "sparse_sigmoid", "softmax", "log_softmax", "sparsemax", "one_hot", "multi_hot",
           "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "moments",
           "batch_normalization", "layer_normalization", "rms_normalization", "normalize", "psnr",
           "dot_product_attention", "conv", "depthwise_conv", "separable_conv", "max_pool", "average_pool"]


def relu(x):
    """$\\max(x, 0)$."""
    x = tracked(x)
    v = _floating(value(x))
    return record(np.maximum(v, 0), (x,), (lambda g: g * (v > 0),))


def relu6(x):
    """$\\min(\\max(x, 0), 6)$."""
    return m.clip(x, 0.0, 6.0)


def sigmoid(x):
    """$1 / (1 + e^{-x})$."""
    x = tracked(x)
    v = _floating(value(x))
    y = _sigmoid(v, np.empty_like(v))
    return record(y, (x,), (lambda g: g * y * (1 - y),))


def softplus(x):
    """$\\log(1 + e^x)$."""
    return m.logaddexp(x, 0.0)


def softsign(x):
    """$x / (1 + |x|)$."""
    return m.divide(x, m.add(m.abs(x), 1.0))


def silu(x):
    """$x \\sigma(x)$ (also called swish)."""
    x = tracked(x)
    v = _floating(value(x))
    sig = _sigmoid(v, np.empty_like(v))
    return record(v * sig, (x,), (lambda g: g * (sig * (1 + v * (1 - sig))),))


def swish(x):
    return silu(x)


def log_sigmoid(x):
    """$-\\log(1 + e^{-x})$."""
    return m.negative(softplus(m.negative(x)))


def leaky_relu(x, negative_slope=0.2):
    """$x$ for $x > 0$, $\\alpha x$ otherwise."""
    x = tracked(x)
    v = _floating(value(x))
    slope = np.where(v > 0, 1.0, negative_slope).astype(v.dtype)
    return record(v * slope, (x,), (lambda g: g * slope,))


def hard_sigmoid(x):
    """$\\operatorname{relu6}(x + 3) / 6$."""
    return m.divide(relu6(m.add(x, 3.0)), 6.0)


def hard_silu(x):
    """$x \\operatorname{hard\\_sigmoid}(x)$."""
    return m.multiply(x, hard_sigmoid(x))


def hard_swish(x):
    return hard_silu(x)


def elu(x, alpha=1.0):
    """$x$ for $x > 0$, $\\alpha (e^x - 1)$ otherwise."""
    return m.where(c.greater(x, 0), x, m.multiply(alpha, m.expm1(m.minimum(x, 0.0))))


def selu(x):
    """$\\lambda \\operatorname{elu}(x, \\alpha)$ with Klambauer et al.'s constants."""
    return m.multiply(1.0507009873554805, elu(x, 1.6732632423543772))


def celu(x, alpha=1.0):
    """$\\max(x, 0) + \\min(0, \\alpha (e^{x/\\alpha} - 1))$."""
    return m.add(relu(x), m.minimum(0.0, m.multiply(alpha, m.expm1(m.divide(x, alpha)))))


def gelu(x, approximate=True):
    r"""$x \Phi(x)$; with `approximate`, $\tfrac12 x (1 + \tanh(\sqrt{2/\pi}(x + 0.044715 x^3)))$."""
    x = tracked(x)
    v = _floating(value(x))
    if approximate:
        c = math.sqrt(2 / math.pi)
        t = np.tanh(c * (v + 0.044715 * v ** 3))
        y = 0.5 * v * (1 + t)
        derivative = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * c * (1 + 3 * 0.044715 * v * v)
    else:
        cdf = 0.5 * (1 + value(m.erf(v / math.sqrt(2))))
        y = v * cdf
        derivative = cdf + v * np.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)
    return record(y.astype(v.dtype, copy=False), (x,), (lambda g: g * derivative,))


def glu(x, axis=-1):
    """$a \\sigma(b)$ for the two halves $a, b$ of `x` along `axis`."""
    a, b = s.split(x, 2, axis=axis)
    return m.multiply(a, sigmoid(b))


def tanh_shrink(x):
    """$x - \\tanh x$."""
    return m.subtract(x, m.tanh(x))


def hard_tanh(x):
    """$x$ clipped to $[-1, 1]$."""
    return m.clip(x, -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    """$x$ where $|x| > t$, 0 elsewhere."""
    return m.where(c.greater(m.abs(x), threshold), x, 0.0)


def soft_shrink(x, threshold=0.5):
    """$x - t$ above $t$, $x + t$ below $-t$, 0 between."""
    return m.where(c.greater(x, threshold), m.subtract(x, threshold),
                   m.where(c.less(x, -threshold), m.add(x, threshold), 0.0))


def threshold(x, threshold, default_value):
    """$x$ where $x >$ `threshold`, `default_value` elsewhere."""
    return m.where(c.greater(x, threshold), x, default_value)


def squareplus(x, b=4):
    """$(x + \\sqrt{x^2 + b}) / 2$."""
    return m.divide(m.add(x, m.sqrt(m.add(m.square(x), b))), 2.0)


def sparse_plus(x):
    """0 for $x \\le -1$, $(x + 1)^2 / 4$ for $|x| < 1$, $x$ for $x \\ge 1$."""
    inner = m.divide(m.square(m.add(x, 1.0)), 4.0)
    return m.where(c.less_equal(x, -1.0), 0.0, m.where(c.less(x, 1.0), inner, x))


def sparse_sigmoid(x):
    """0 for $x \\le -1$, $(x + 1) / 2$ for $|x| < 1$, 1 for $x \\ge 1$."""
    return m.clip(m.multiply(0.5, m.add(x, 1.0)), 0.0, 1.0)


def softmax(x, axis=-1):
    r"""$e^{x_i} / \sum_j e^{x_j}$ along `axis` (a tuple of axes is treated as one)."""
    x = tracked(x)
    v = _floating(value(x))
    y = _softmax(v, np.empty_like(v), axis=_axis_tuple(axis))

    def vjp(g):
        return y * (g - np.sum(g * y, axis=_axis_tuple(axis), keepdims=True))

    return record(y, (x,), (vjp,))


def log_softmax(x, axis=-1):
    r"""$x_i - \log \sum_j e^{x_j}$; $\bar{x} = \bar{y} - \operatorname{softmax}(x) \sum \bar{y}$."""
    x = tracked(x)
    v = _floating(value(x))
    y = _log_softmax(v, np.empty_like(v), axis=_axis_tuple(axis))

    def vjp(g):
        return g - np.exp(y) * np.sum(g, axis=_axis_tuple(axis), keepdims=True)

    return record(y, (x,), (vjp,))


def _axis_tuple(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def sparsemax(x, axis=-1):
    """The Euclidean projection of `x` onto the probability simplex along `axis` (Martins &
    Astudillo): $\\max(x - \\tau, 0)$; sparse where the softmax is dense."""
    x = tracked(x)
    v = _floating(value(x))
    moved = np.moveaxis(v, axis, -1)
    ordered = -np.sort(-moved, axis=-1)
    k = np.arange(1, moved.shape[-1] + 1, dtype=v.dtype)
    running = np.cumsum(ordered, axis=-1)
    support = (1 + k * ordered) > running
    size = np.sum(support, axis=-1, keepdims=True)
    tau = (np.take_along_axis(running, size - 1, axis=-1) - 1) / size
    y = np.moveaxis(np.maximum(moved - tau, 0), -1, axis)
    inside = (y > 0).astype(v.dtype)

    def vjp(g):
        mean_inside = np.sum(g * inside, axis=axis, keepdims=True) / np.sum(inside, axis=axis, keepdims=True)
        return inside * (g - mean_inside)

    return record(y, (x,), (vjp,))


# -- encodings -------------------------------------------------------------------------------------
def one_hot(x, num_classes, axis=-1, dtype=None, sparse=False):
    """Integer labels `x` as one-hot vectors of `num_classes` along `axis` (labels outside
    ``[0, num_classes)`` give zeros)."""
    if sparse:
        raise ValueError("one_hot(sparse=True) is not supported: minikeras has no sparse tensors.")
    labels = np.asarray(value(tracked(x))).astype(np.int64)
    encoded = (labels[..., None] == np.arange(num_classes)).astype(np.dtype(dtype or floatx()))
    return np.moveaxis(encoded, -1, axis) if axis != -1 else encoded


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Each row of integer labels as one vector with 1 at every label it holds."""
    num_classes = kwargs.pop("num_tokens", num_classes)
    if kwargs or num_classes is None:
        raise ValueError(f"multi_hot needs num_classes; got num_classes={num_classes!r} and {sorted(kwargs)}.")
    labels = np.asarray(value(tracked(inputs)))
    encoded = one_hot(labels, num_classes, axis=-1, dtype=dtype, sparse=sparse)
    reduced = np.max(encoded, axis=-2) if labels.ndim > 1 else encoded.max(axis=0)
    return np.moveaxis(reduced, -1, axis) if axis != -1 else reduced


# -- losses -----------------------------------------------------------------------------------------
def _same_shape(target, output) -> None:
    if np.shape(value(tracked(target))) != np.shape(value(tracked(output))):
        raise ValueError(f"Arguments target and output must have the same shape; got target.shape="
                         f"{np.shape(value(tracked(target)))}, output.shape={np.shape(value(tracked(output)))}.")


def binary_crossentropy(target, output, from_logits=False):
    """Element-wise $-(t \\log p + (1 - t) \\log(1 - p))$, $p$ clipped to $[\\epsilon, 1 - \\epsilon]$
    (`output` is $p$, or its logit with `from_logits`)."""
    _same_shape(target, output)
    p = m.clip(sigmoid(output) if from_logits else output, EPSILON, 1.0 - EPSILON)
    positive = m.multiply(target, m.log(p))
    return m.negative(m.add(positive, m.multiply(m.subtract(1.0, target), m.log(m.subtract(1.0, p)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """$-\\sum t \\log p$ along `axis`: $p$ the softmax of logits, or `output` normalized and clipped."""
    _same_shape(target, output)
    if from_logits:
        log_p = log_softmax(output, axis=axis)
    else:
        p = m.clip(m.divide(output, r.sum(output, axis=axis, keepdims=True)), EPSILON, 1.0 - EPSILON)
        log_p = m.log(p)
    return m.negative(r.sum(m.multiply(target, log_p), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """`categorical_crossentropy` with integer labels `target` (shape of `output` without `axis`)."""
    labels = np.asarray(value(tracked(target))).astype(np.int64)
    out_shape = np.shape(value(tracked(output)))
    if labels.ndim == len(out_shape) and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.shape != out_shape[:-1]:
        raise ValueError(f"Arguments target and output must have the same shape up to the last axis; got "
                         f"target.shape={labels.shape}, output.shape={out_shape}.")
    encoded = one_hot(labels, out_shape[axis], axis=axis, dtype=np.asarray(value(tracked(output))).dtype)
    return categorical_crossentropy(encoded, output, from_logits=from_logits, axis=axis)


# -- normalizations ---------------------------------------------------------------------------------
def moments(x, axes, keepdims=False, synchronized=False):
    """``(mean, variance)`` over `axes`."""
    mean = r.mean(x, axis=axes, keepdims=True)
    variance = r.mean(m.square(m.subtract(x, mean)), axis=axes, keepdims=keepdims)
    return (mean if keepdims else s.squeeze(mean, axis=axes)), variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    """$(x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}\\,\\gamma + \\beta$ with statistics along `axis`."""
    ndim = np.ndim(value(tracked(x)))
    shape = [1] * ndim
    shape[axis] = -1

    def along(v):
        return s.reshape(v, shape)

    out = m.multiply(m.subtract(x, along(mean)), m.rsqrt(m.add(along(variance), epsilon)))
    if scale is not None:
        out = m.multiply(out, along(scale))
    return out if offset is None else m.add(out, along(offset))


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    """$(x - \\mu) / \\sqrt{\\sigma^2 + \\epsilon}\\,\\gamma + \\beta$ with statistics over `axis`;
    ``rms_scaling=True`` divides by the root mean square instead."""
    epsilon = EPSILON if epsilon is None else epsilon
    axes = [axis] if isinstance(axis, int) else list(axis)
    ndim = np.ndim(value(tracked(x)))
    shape = [1] * ndim
    for a in axes:
        shape[a] = np.shape(value(tracked(x)))[a]

    def broadcast(v):
        return v if v is None or np.ndim(value(tracked(v))) == ndim else s.reshape(v, shape)

    if kwargs.pop("rms_scaling", False):
        out = m.multiply(x, m.rsqrt(m.add(r.var(x, axis=axes, keepdims=True), epsilon)))
        return out if gamma is None else m.multiply(out, broadcast(gamma))
    mean, variance = moments(x, axes, keepdims=True)
    out = m.multiply(m.subtract(x, mean), m.rsqrt(m.add(variance, epsilon)))
    if gamma is not None:
        out = m.multiply(out, broadcast(gamma))
    return out if beta is None else m.add(out, broadcast(beta))


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    """$x / \\sqrt{\\operatorname{mean}(x^2) + \\epsilon}\\,\\gamma$ over `axis`."""
    epsilon = EPSILON if epsilon is None else epsilon
    out = m.multiply(x, m.rsqrt(m.add(r.mean(m.square(x), axis=axis, keepdims=True), epsilon)))
    return out if scale is None else m.multiply(out, scale)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x` divided by its `order`-norm along `axis` (at least `epsilon`)."""
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Argument order must be an int >= 1; got order={order!r}.")
    epsilon = EPSILON if epsilon is None else epsilon
    if order == 2:
        inverse = m.rsqrt(r.sum(m.square(x), axis=axis, keepdims=True))
        return m.multiply(x, m.minimum(inverse, 1.0 / epsilon))
    norm = m.power(r.sum(m.power(m.abs(x), order), axis=axis, keepdims=True), 1.0 / order)
    return m.divide(x, m.maximum(norm, epsilon))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio in dB: $20 \\log_{10} \\text{max} - 10 \\log_{10} \\text{MSE}$."""
    mse = r.mean(m.square(m.subtract(x1, x2)))
    return m.subtract(20 * math.log10(max_val), m.multiply(10.0, m.log10(mse)))


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None, is_causal=False,
                          flash_attention=None, attn_logits_soft_cap=None):
    """$\\operatorname{softmax}(Q K^\\top s + b)\\,V$ on inputs ``(batch, length, heads, head_dim)``
    (`scale` $s = 1/\\sqrt{d}$ by default; `mask` and `is_causal` hide positions)."""
    if flash_attention:
        raise ValueError("flash_attention=True needs a GPU kernel; minikeras computes attention directly.")
    head_dim = np.shape(_value_of(query))[-1]
    logits = m.multiply(einsum("bqhd,bkhd->bhqk", query, key), 1.0 / math.sqrt(head_dim) if scale is None else scale)
    if attn_logits_soft_cap is not None:
        logits = m.multiply(m.tanh(m.divide(logits, attn_logits_soft_cap)), attn_logits_soft_cap)
    if bias is not None:
        logits = m.add(logits, bias)
    allowed = np.ones(np.shape(_array(logits)), dtype=bool)
    if mask is not None:
        allowed = allowed & np.asarray(_value_of(mask), dtype=bool)
    if is_causal:
        q_len, k_len = np.shape(_array(logits))[-2:]
        allowed = allowed & np.tril(np.ones((q_len, k_len), dtype=bool))
    if mask is not None or is_causal:
        logits = m.where(allowed, logits, np.finfo(np.float32).min)
    return einsum("bhqk,bkhd->bqhd", softmax(logits, axis=-1), value)


def _value_of(x):
    return value(tracked(x))


def _array(x):
    return np.asarray(_value_of(x))
