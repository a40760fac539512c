"""Pure numpy kernels in forward/backward pairs (reached through `minikeras.backend`).

Every function writes into `out` (which may be one of its inputs) so that layers can reuse
preallocated buffers. Backward kernels take the forward *output* `y` where the derivative can
be written from it, so layers need not keep their inputs.
"""
from __future__ import annotations

import functools
import math

import numpy as np

SCALED_TANH_A = 1.7159
SCALED_TANH_B = 2.0 / 3.0


def relu(x, out):
    """y = max(x, 0)."""
    return np.maximum(x, 0, out=out)


def relu_backward(y, grad, out):
    """dx = grad * [y > 0]."""
    return np.multiply(grad, y > 0, out=out)


def leaky_relu(x, alpha, out):
    """y = x if x > 0 else alpha * x   (0 <= alpha < 1, so y = max(x, alpha * x))."""
    np.multiply(x, alpha, out=out)
    return np.maximum(x, out, out=out)


def leaky_relu_backward(y, grad, alpha, out):
    """dx = grad if y > 0 else alpha * grad."""
    slope = np.where(y > 0, y.dtype.type(1), y.dtype.type(alpha))
    return np.multiply(grad, slope, out=out)


def sigmoid(x, out):
    """y = 1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2, which cannot overflow."""
    np.multiply(x, 0.5, out=out)
    np.tanh(out, out=out)
    np.add(out, 1, out=out)
    return np.multiply(out, 0.5, out=out)


def sigmoid_backward(y, grad, out):
    """dx = grad * y * (1 - y)."""
    np.subtract(1, y, out=out)
    np.multiply(out, y, out=out)
    return np.multiply(out, grad, out=out)


def tanh(x, out):
    """y = tanh(x)."""
    return np.tanh(x, out=out)


def tanh_backward(y, grad, out):
    """dx = grad * (1 - y^2)."""
    np.multiply(y, y, out=out)
    np.subtract(1, out, out=out)
    return np.multiply(out, grad, out=out)


def scaled_tanh(x, out):
    """LeCun's improved sigmoid: y = a * tanh(b * x), a = 1.7159, b = 2/3."""
    np.multiply(x, SCALED_TANH_B, out=out)
    np.tanh(out, out=out)
    return np.multiply(out, SCALED_TANH_A, out=out)


def scaled_tanh_backward(y, grad, out):
    """dx = grad * a * b * (1 - (y / a)^2) = grad * b * (a - y^2 / a)."""
    np.multiply(y, y, out=out)
    np.multiply(out, -SCALED_TANH_B / SCALED_TANH_A, out=out)
    np.add(out, SCALED_TANH_A * SCALED_TANH_B, out=out)
    return np.multiply(out, grad, out=out)


def shift_logits(x, out, axis=1):
    """out = x - max of x along `axis` (the largest entry of each row becomes 0)."""
    return np.subtract(x, np.maximum.reduce(x, axis=axis, keepdims=True), out=out)


def softmax(x, out, axis=1):
    """y = exp(x - max) / sum(exp(x - max)) along `axis` (rows by default); stable for any finite logits."""
    np.exp(shift_logits(x, out, axis), out=out)
    return np.divide(out, np.add.reduce(out, axis=axis, keepdims=True), out=out)


def softmax_and_log_normalizer(x):
    """For (N, C) logits: ``(s, p, log_z)`` with s = x - row max, p = softmax(x) and
    log_z = log sum_c exp(s), so that log p = s - log_z (the log-likelihoods of a
    cross-entropy, stable for any finite logits). All three are new arrays."""
    shifted = shift_logits(x, np.empty_like(x))
    probs = np.exp(shifted)
    norm = np.add.reduce(probs, axis=1)
    probs /= norm[:, None]
    return shifted, probs, np.log(norm, out=norm)


def softmax_backward(y, grad, out, axis=1):
    """dx = y * (grad - sum(grad * y, axis))  (the softmax Jacobian applied to grad)."""
    if y.ndim == 2 and axis in (1, -1):
        dot = np.einsum("ij,ij->i", grad, y)[:, None]
    else:
        dot = np.add.reduce(grad * y, axis=axis, keepdims=True)
    np.subtract(grad, dot, out=out)
    return np.multiply(out, y, out=out)


def log_softmax(x, out, axis=1):
    """y = x - max - log sum(exp(x - max)) along `axis`."""
    shifted = shift_logits(x, out, axis)
    return np.subtract(shifted, np.log(np.add.reduce(np.exp(shifted), axis=axis, keepdims=True)), out=out)


def log_softmax_backward(y, grad, out, axis=1):
    """dx = grad - exp(y) * sum(grad, axis)   (exp(y) is the softmax)."""
    np.exp(y, out=out)
    out *= np.add.reduce(grad, axis=axis, keepdims=True)
    return np.subtract(grad, out, out=out)


# erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1)): 56 terms reach double precision for |x| <= 3.
_ERF_SERIES = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(56))
_ERFC_FRACTION_TERMS = 40


def erf(x):
    """The error function, elementwise, to double precision (absolute error < 1e-13): its Taylor
    series for |x| <= 3 and the continued fraction of erfc beyond,
    ``erfc(x) = exp(-x^2) / sqrt(pi) / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))``."""
    x = np.asarray(x)
    out = np.empty_like(x)
    near = np.abs(x) <= 3.0
    small, large = x[near], np.abs(x[~near])
    series = np.full_like(small, _ERF_SERIES[-1])
    square = small * small
    for coefficient in reversed(_ERF_SERIES[:-1]):
        series *= square
        series += coefficient
    out[near] = series * small * (2.0 / math.sqrt(math.pi))
    fraction = large.copy()
    for k in range(_ERFC_FRACTION_TERMS, 0, -1):
        fraction = large + (k / 2.0) / fraction
    out[~near] = np.sign(x[~near]) * (1.0 - np.exp(-large * large) / math.sqrt(math.pi) / fraction)
    return out


def column_sums(x, out, scale=1.0):
    """out = scale * sum over the rows of the (N, D) array x  (scale = 1 / N gives the means).

    Computed as one product with a constant (N,) vector: on (100, 50) batches that costs
    under half of ufunc.reduce, whose iterator setup outweighs the arithmetic. x of another
    dtype than out is converted first, as ufuncs do.
    """
    return np.dot(_constant_vector(x.shape[0], scale, out.dtype), x.astype(out.dtype, copy=False), out=out)


@functools.lru_cache(maxsize=64)
def _constant_vector(n, value, dtype):
    vector = np.full(n, value, dtype=dtype)
    vector.flags.writeable = False
    return vector
