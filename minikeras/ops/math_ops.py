r"""Element-wise ops (Keras' ``keras.ops`` numpy group): arithmetic with broadcasting, powers,
exponentials and logarithms, trigonometry, rounding, comparisons and logic.

Each differentiable op records its VJP: for $y = f(x)$ the input gradient is
$\bar{x} = \bar{y} \odot f'(x)$, and for a binary op broadcasting its inputs each input's
gradient is summed back over the broadcast axes (`dispatch.unbroadcast`). Rounding, sign,
comparisons and logic have zero gradient almost everywhere: they return untracked arrays.
"""
from __future__ import annotations

import math

import numpy as np

from ..backend import erf as _erf
from .comparisons import equal, isnan
from .dispatch import floating, record, tracked, unbroadcast, value
from .dispatch import floating as _floating

__all__ = ["add", "subtract", "multiply", "divide", "true_divide", "divide_no_nan", "power", "negative", "floor_divide",
           "mod", "fmod", "maximum", "minimum", "fmax", "fmin", "where", "clip", "exp", "exp2", "expm1",
           "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2", "sqrt", "rsqrt", "cbrt", "square",
           "reciprocal", "abs", "absolute", "fabs", "hypot", "sin", "cos", "tan", "arcsin", "arccos",
           "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "deg2rad", "rad2deg",
           "sinc", "erf", "erfc", "erfinv", "nan_to_num", "ldexp"]


def _unary(x, forward, derivative):
    """`forward(x)` with the VJP ``g * derivative(x, y)``."""
    x = tracked(x)
    v = _floating(value(x))
    y = forward(v)
    return record(y, (x,), (lambda g: g * derivative(v, y),))


# -- arithmetic --------------------------------------------------------------------------------
def add(x1, x2):
    """$x_1 + x_2$ (broadcast)."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.add(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g, np.shape(a)), lambda g: unbroadcast(g, np.shape(b))))


def subtract(x1, x2):
    """$x_1 - x_2$ (broadcast)."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.subtract(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g, np.shape(a)), lambda g: -unbroadcast(g, np.shape(b))))


def multiply(x1, x2):
    """$x_1 x_2$ element-wise (broadcast)."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.multiply(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g * b, np.shape(a)), lambda g: unbroadcast(g * a, np.shape(b))))


def divide(x1, x2):
    r"""$x_1 / x_2$ (true division, broadcast); $\bar{x}_2 = -\bar{y}\,x_1 / x_2^2$."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = _floating(value(x1)), _floating(value(x2))
    y = np.true_divide(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g / b, np.shape(a)),
                                lambda g: unbroadcast(-g * y / b, np.shape(b))))


def true_divide(x1, x2):
    """Alias of `divide`."""
    return divide(x1, x2)


def divide_no_nan(x1, x2):
    """$x_1 / x_2$, and 0 where $x_2 = 0$."""
    x1, x2 = tracked(x1), tracked(x2)
    safe = where(equal(x2, 0), 1, x2)
    return where(equal(x2, 0), 0, divide(x1, safe))


def power(x1, x2):
    r"""$x_1^{x_2}$; $\bar{x}_1 = \bar{y}\,x_2 x_1^{x_2 - 1}$, $\bar{x}_2 = \bar{y}\,y \log x_1$."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.power(a, b)

    def grad_base(g):
        return unbroadcast(g * b * np.power(a, b - 1) if np.ndim(b) or b != 2 else g * 2 * a, np.shape(a))

    def grad_exponent(g):
        with np.errstate(divide="ignore", invalid="ignore"):
            return unbroadcast(g * y * np.log(np.where(a > 0, a, 1)), np.shape(b))

    return record(y, (x1, x2), (grad_base, grad_exponent))


def negative(x):
    """$-x$."""
    x = tracked(x)
    return record(np.negative(value(x)), (x,), (np.negative,))


def floor_divide(x1, x2):
    """$\\lfloor x_1 / x_2 \\rfloor$ (zero gradient)."""
    return np.floor_divide(value(tracked(x1)), value(tracked(x2)))


def mod(x1, x2):
    """$x_1 - x_2 \\lfloor x_1 / x_2 \\rfloor$; the gradient goes to $x_1$ (and $-\\lfloor\\cdot\\rfloor$ to $x_2$)."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.mod(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g, np.shape(a)),
                                lambda g: unbroadcast(-g * np.floor_divide(a, b), np.shape(b))))


def fmod(x1, x2):
    """C's remainder, with the sign of $x_1$."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    return record(np.fmod(a, b), (x1, x2), (lambda g: unbroadcast(g, np.shape(a)),
                                            lambda g: unbroadcast(-g * np.trunc(a / b), np.shape(b))))


def maximum(x1, x2):
    """Element-wise larger of the two (the gradient goes to the larger; half each on ties, as PyTorch)."""
    return _select_pair(x1, x2, np.maximum, np.greater)


def minimum(x1, x2):
    """Element-wise smaller of the two (the gradient goes to the smaller; half each on ties)."""
    return _select_pair(x1, x2, np.minimum, np.less)


def _select_pair(x1, x2, pick, wins):
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = pick(a, b)
    share = np.where(wins(a, b), 1.0, np.where(a == b, 0.5, 0.0)).astype(np.result_type(y, np.float32))
    return record(y, (x1, x2), (lambda g: unbroadcast(g * share, np.shape(a)),
                                lambda g: unbroadcast(g * (1 - share), np.shape(b))))


def fmax(x1, x2):
    """`maximum` that ignores NaN."""
    return where(isnan(x1), x2, where(isnan(x2), x1, maximum(x1, x2)))


def fmin(x1, x2):
    """`minimum` that ignores NaN."""
    return where(isnan(x1), x2, where(isnan(x2), x1, minimum(x1, x2)))


def where(condition, x1=None, x2=None):
    """`x1` where `condition`, else `x2` (broadcast); with only `condition`, the indices where it holds."""
    condition = np.asarray(value(tracked(condition)), dtype=bool)
    if x1 is None and x2 is None:
        return np.nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("where needs both x1 and x2, or neither.")
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.where(condition, a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(np.where(condition, g, 0), np.shape(a)),
                                lambda g: unbroadcast(np.where(condition, 0, g), np.shape(b))))


def clip(x, x_min, x_max):
    """`x` limited to ``[x_min, x_max]``; the gradient passes inside the range."""
    x = tracked(x)
    v = value(x)
    lo, hi = value(tracked(x_min)), value(tracked(x_max))
    y = np.clip(v, lo, hi)
    return record(y, (x,), (lambda g: g * ((v >= lo) & (v <= hi)),))


# -- powers, exponentials, logarithms ----------------------------------------------------------
def exp(x):
    """$e^x$."""
    return _unary(x, np.exp, lambda v, y: y)


def exp2(x):
    """$2^x$."""
    return _unary(x, np.exp2, lambda v, y: y * math.log(2))


def expm1(x):
    """$e^x - 1$."""
    return _unary(x, np.expm1, lambda v, y: y + 1)


def log(x):
    """Natural logarithm."""
    return _unary(x, np.log, lambda v, y: 1 / v)


def log2(x):
    """Base-2 logarithm."""
    return _unary(x, np.log2, lambda v, y: 1 / (v * math.log(2)))


def log10(x):
    """Base-10 logarithm."""
    return _unary(x, np.log10, lambda v, y: 1 / (v * math.log(10)))


def log1p(x):
    """$\\log(1 + x)$."""
    return _unary(x, np.log1p, lambda v, y: 1 / (1 + v))


def logaddexp(x1, x2):
    r"""$\log(e^{x_1} + e^{x_2})$; each input's gradient is its softmax weight."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = _floating(value(x1)), _floating(value(x2))
    y = np.logaddexp(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g * np.exp(a - y), np.shape(a)),
                                lambda g: unbroadcast(g * np.exp(b - y), np.shape(b))))


def logaddexp2(x1, x2):
    """$\\log_2(2^{x_1} + 2^{x_2})$."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = _floating(value(x1)), _floating(value(x2))
    y = np.logaddexp2(a, b)
    return record(y, (x1, x2), (lambda g: unbroadcast(g * np.exp2(a - y), np.shape(a)),
                                lambda g: unbroadcast(g * np.exp2(b - y), np.shape(b))))


def sqrt(x):
    """$\\sqrt{x}$."""
    return _unary(x, np.sqrt, lambda v, y: 0.5 / y)


def rsqrt(x):
    """$1 / \\sqrt{x}$."""
    return _unary(x, lambda v: 1 / np.sqrt(v), lambda v, y: -0.5 * y / v)


def cbrt(x):
    """$x^{1/3}$."""
    return _unary(x, np.cbrt, lambda v, y: 1 / (3 * y * y))


def square(x):
    """$x^2$."""
    x = tracked(x)
    v = value(x)
    return record(np.square(v), (x,), (lambda g: 2 * g * v,))


def reciprocal(x):
    """$1 / x$."""
    return _unary(x, np.reciprocal, lambda v, y: -y * y)


def abs(x):  # noqa: A001 - Keras' name
    """$|x|$ (gradient $\\operatorname{sign} x$)."""
    x = tracked(x)
    v = value(x)
    return record(np.abs(v), (x,), (lambda g: g * np.sign(v),))


def absolute(x):
    """Alias of `abs`."""
    return abs(x)


def fabs(x):
    """$|x|$ as a float."""
    return _unary(x, np.abs, lambda v, y: np.sign(v))


def hypot(x1, x2):
    """$\\sqrt{x_1^2 + x_2^2}$."""
    return sqrt(add(square(x1), square(x2)))


# -- trigonometric and hyperbolic --------------------------------------------------------------
def sin(x):
    return _unary(x, np.sin, lambda v, y: np.cos(v))


def cos(x):
    return _unary(x, np.cos, lambda v, y: -np.sin(v))


def tan(x):
    return _unary(x, np.tan, lambda v, y: 1 + y * y)


def arcsin(x):
    return _unary(x, np.arcsin, lambda v, y: 1 / np.sqrt(1 - v * v))


def arccos(x):
    return _unary(x, np.arccos, lambda v, y: -1 / np.sqrt(1 - v * v))


def arctan(x):
    return _unary(x, np.arctan, lambda v, y: 1 / (1 + v * v))


def arctan2(x1, x2):
    r"""The angle of $(x_2, x_1)$; $\bar{x}_1 = \bar{y} x_2 / r^2$, $\bar{x}_2 = -\bar{y} x_1 / r^2$."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = _floating(value(x1)), _floating(value(x2))
    r2 = a * a + b * b
    return record(np.arctan2(a, b), (x1, x2), (lambda g: unbroadcast(g * b / r2, np.shape(a)),
                                               lambda g: unbroadcast(-g * a / r2, np.shape(b))))


def sinh(x):
    return _unary(x, np.sinh, lambda v, y: np.cosh(v))


def cosh(x):
    return _unary(x, np.cosh, lambda v, y: np.sinh(v))


def tanh(x):
    return _unary(x, np.tanh, lambda v, y: 1 - y * y)


def arcsinh(x):
    return _unary(x, np.arcsinh, lambda v, y: 1 / np.sqrt(v * v + 1))


def arccosh(x):
    return _unary(x, np.arccosh, lambda v, y: 1 / np.sqrt(v * v - 1))


def arctanh(x):
    return _unary(x, np.arctanh, lambda v, y: 1 / (1 - v * v))


def deg2rad(x):
    return _unary(x, np.deg2rad, lambda v, y: math.pi / 180)


def rad2deg(x):
    return _unary(x, np.rad2deg, lambda v, y: 180 / math.pi)


def sinc(x):
    r"""$\sin(\pi x) / (\pi x)$, 1 at 0."""
    def derivative(v, y):
        with np.errstate(divide="ignore", invalid="ignore"):
            d = (np.cos(math.pi * v) - y) / v
        return np.where(v == 0, 0, d)
    return _unary(x, np.sinc, derivative)


def erf(x):
    r"""The error function; derivative $\frac{2}{\sqrt{\pi}} e^{-x^2}$."""
    return _unary(x, lambda v: _erf(v).astype(v.dtype, copy=False),
                  lambda v, y: 2 / math.sqrt(math.pi) * np.exp(-v * v))


def erfc(x):
    """$1 - \\operatorname{erf}(x)$."""
    return subtract(1, erf(x))


def erfinv(x):
    r"""The inverse of `erf` on $(-1, 1)$: Winitzki's closed form refined by Newton steps;
    derivative $\frac{\sqrt{\pi}}{2} e^{y^2}$."""
    def forward(v):
        a = 0.147
        w = -np.log((1 - v) * (1 + v))
        term = 2 / (math.pi * a) - w / 2
        y = np.sign(v) * np.sqrt(np.sqrt(term * term + w / a) - term)
        for _ in range(3):
            y = y - (_erf(y) - v) / (2 / math.sqrt(math.pi) * np.exp(-y * y))
        return y.astype(v.dtype, copy=False)
    return _unary(x, forward, lambda v, y: math.sqrt(math.pi) / 2 * np.exp(y * y))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """NaN and infinities replaced by finite numbers (the gradient passes where `x` was finite)."""
    x = tracked(x)
    v = value(x)
    finite = np.isfinite(v)
    return record(np.nan_to_num(v, nan=nan, posinf=posinf, neginf=neginf), (x,), (lambda g: g * finite,))


def ldexp(x1, x2):
    """$x_1 2^{x_2}$ (the gradient goes to $x_1$)."""
    return multiply(x1, floating(np.exp2(value(tracked(x2)))))
