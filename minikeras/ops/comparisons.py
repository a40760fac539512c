"""Ops without a gradient (Keras' numpy group): rounding and sign, comparisons, logic and
number tests. Their derivative is zero almost everywhere, so they return plain (untracked)
arrays and the tape does not record them."""
from __future__ import annotations

import numpy as np

from .dispatch import floating as _floating
from .dispatch import tracked, value

__all__ = ["sign", "floor", "ceil", "trunc", "round", "signbit", "equal", "not_equal", "less", "less_equal", "greater",
           "greater_equal", "isclose", "allclose", "logical_and", "logical_or", "logical_xor", "logical_not",
           "isnan", "isinf", "isfinite", "isneginf", "isposinf", "isreal", "heaviside", "nextafter", "gcd",
           "lcm"]


def _constant(x, forward):
    """`forward(x)` on the value of `x`: no gradient."""
    return forward(value(tracked(x)))


def sign(x):
    return _constant(x, np.sign)


def floor(x):
    return _constant(x, lambda v: np.floor(_floating(v)))


def ceil(x):
    return _constant(x, lambda v: np.ceil(_floating(v)))


def trunc(x):
    return _constant(x, np.trunc)


def round(x, decimals=0):  # noqa: A001 - Keras' name
    """Round half to even, to `decimals` places."""
    return _constant(x, lambda v: np.round(v, decimals))


def signbit(x):
    return _constant(x, np.signbit)


# -- comparisons and logic (boolean results) ---------------------------------------------------
def _compare(x1, x2, test):
    return test(value(tracked(x1)), value(tracked(x2)))


def equal(x1, x2):
    return _compare(x1, x2, np.equal)


def not_equal(x1, x2):
    return _compare(x1, x2, np.not_equal)


def less(x1, x2):
    return _compare(x1, x2, np.less)


def less_equal(x1, x2):
    return _compare(x1, x2, np.less_equal)


def greater(x1, x2):
    return _compare(x1, x2, np.greater)


def greater_equal(x1, x2):
    return _compare(x1, x2, np.greater_equal)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return np.isclose(value(tracked(x1)), value(tracked(x2)), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return np.asarray(np.allclose(value(tracked(x1)), value(tracked(x2)), rtol=rtol, atol=atol, equal_nan=equal_nan))


def logical_and(x1, x2):
    return _compare(x1, x2, np.logical_and)


def logical_or(x1, x2):
    return _compare(x1, x2, np.logical_or)


def logical_xor(x1, x2):
    return _compare(x1, x2, np.logical_xor)


def logical_not(x):
    return _constant(x, np.logical_not)


def isnan(x):
    return _constant(x, np.isnan)


def isinf(x):
    return _constant(x, np.isinf)


def isfinite(x):
    return _constant(x, np.isfinite)


def isneginf(x):
    return _constant(x, np.isneginf)


def isposinf(x):
    return _constant(x, np.isposinf)


def isreal(x):
    return _constant(x, np.isreal)


def heaviside(x1, x2):
    return _compare(x1, x2, np.heaviside)


def nextafter(x1, x2):
    return _compare(x1, x2, np.nextafter)


def gcd(x1, x2):
    return _compare(x1, x2, np.gcd)


def lcm(x1, x2):
    return _compare(x1, x2, np.lcm)
