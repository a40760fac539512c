"""Weight initializers.

An initializer is called as ``init(shape, rng, dtype)`` with the shape of the array to make,
the model's `numpy.random.Generator` and the model's dtype. For a Dense kernel of shape
``(fan_in, fan_out)`` the fans are its two dimensions.
"""
from __future__ import annotations

import math

import numpy as np

from .registry import Registry, describe, serialize


class Initializer:
    """Base class: ``__call__(shape, rng, dtype) -> ndarray``."""

    def __call__(self, shape: tuple[int, ...], rng: np.random.Generator, dtype) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("initializer", Initializer, required=("__call__",))


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    fan_in = shape[0] if len(shape) > 1 else 1
    fan_out = shape[-1]
    return fan_in, fan_out


class _ScaledNormal(Initializer):
    """Normal(0, std) with std computed from the fans by `_stddev`."""

    def _stddev(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def __call__(self, shape, rng, dtype):
        stddev = self._stddev(*_fans(shape))
        return (rng.standard_normal(shape) * stddev).astype(dtype, copy=False)


@registry.register("he")
class He(_ScaledNormal):
    """He et al. 2015: N(0, sqrt(2 / fan_in)), for ReLU nets."""

    def _stddev(self, fan_in, fan_out):
        return math.sqrt(2.0 / fan_in)


@registry.register("xavier", "glorot")
class Xavier(_ScaledNormal):
    """Glorot & Bengio 2010, normal form: N(0, sqrt(2 / (fan_in + fan_out)))."""

    def _stddev(self, fan_in, fan_out):
        return math.sqrt(2.0 / (fan_in + fan_out))


@registry.register("fan_in", "lecun")
class FanIn(_ScaledNormal):
    """LeCun et al. 1998: N(0, 1 / sqrt(fan_in))."""

    def _stddev(self, fan_in, fan_out):
        return 1.0 / math.sqrt(fan_in)


@registry.register("uniform")
class Uniform(Initializer):
    """U(low, high), whatever the layer size (the "base" init of the MNIST tricks experiment)."""

    def __init__(self, low: float = -0.05, high: float = 0.05):
        if not low < high:
            raise ValueError(f"Uniform needs low < high; got {low!r} and {high!r}.")
        self.low, self.high = float(low), float(high)

    def __call__(self, shape, rng, dtype):
        return rng.uniform(self.low, self.high, shape).astype(dtype, copy=False)

    def get_config(self):
        return {"low": self.low, "high": self.high}


@registry.register("normal")
class Normal(Initializer):
    """N(0, stddev) with a fixed stddev, whatever the layer size."""

    def __init__(self, stddev: float = 0.01):
        if not stddev > 0:
            raise ValueError(f"Normal stddev must be > 0; got {stddev!r}.")
        self.stddev = float(stddev)

    def __call__(self, shape, rng, dtype):
        return (rng.standard_normal(shape) * self.stddev).astype(dtype, copy=False)

    def get_config(self):
        return {"stddev": self.stddev}


class _Constant(Initializer):
    value = 0.0

    def __call__(self, shape, rng, dtype):
        return np.full(shape, self.value, dtype=dtype)


@registry.register("zeros")
class Zeros(_Constant):
    """All zeros."""

    value = 0.0


@registry.register("ones")
class Ones(_Constant):
    """All ones."""

    value = 1.0


def get(spec) -> Initializer:
    """An initializer from a name (``"he"``, ``"xavier"``, ``"fan_in"``, ``"zeros"``, ...), class or instance."""
    return registry.get(spec)
