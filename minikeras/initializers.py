"""Weight initializers: the courses' (`He`, `Xavier`, `FanIn`, `Normal`, `Uniform`) and Keras 3's
(`GlorotUniform`, `HeNormal`, `VarianceScaling`, `Orthogonal`, ... by their class and string names).

An initializer is called as Keras calls it, ``init(shape, dtype=None)``: an array of that shape
in that dtype (`minikeras.config.floatx()` by default), a fresh draw at each call. A layer draws
its weights with ``init.draw(shape, rng, dtype)``, from the model's `numpy.random.Generator`, so
that a model's seed fixes them. For a Dense kernel of shape ``(fan_in, fan_out)`` the fans are
its two dimensions. An initializer given ``seed=`` draws from its own generator seeded with it
instead, and so gives the same values at every call (as Keras).
"""
from __future__ import annotations

import math

import numpy as np

from .registry import Registry, describe, serialize

__all__ = ["Initializer", "He", "Xavier", "FanIn", "Uniform", "Normal", "Zeros", "Ones", "VarianceScaling",
           "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "RandomNormal",
           "TruncatedNormal", "RandomUniform", "Constant", "Orthogonal", "Identity", "IdentityInitializer",
           "OrthogonalInitializer", "constant", "zeros", "ones", "identity", "orthogonal", "random_normal",
           "random_uniform", "truncated_normal", "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform",
           "he_normal", "lecun_uniform", "lecun_normal", "get", "serialize", "deserialize", "registry"]


class Initializer:
    """Base class: subclasses implement ``draw(shape, rng, dtype) -> ndarray``.

    Examples
    --------
    >>> GlorotUniform(seed=0)(shape=(3, 3)).shape
    (3, 3)
    """

    def __call__(self, shape, dtype=None, rng: np.random.Generator | None = None) -> np.ndarray:
        """Keras' call: an array of `shape` in `dtype` (floatx by default), drawn from `rng` or,
        when it is None, from a fresh generator (the initializer's own when it has a seed)."""
        from .config import floatx
        shape = tuple(int(d) for d in ((shape,) if isinstance(shape, (int, np.integer)) else shape))
        return self.draw(shape, np.random.default_rng() if rng is None else rng, np.dtype(dtype or floatx()))

    def draw(self, shape: tuple[int, ...], rng: np.random.Generator, dtype) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("initializer", Initializer, required=("draw",))


def _fans(shape: tuple[int, ...], input_axes=None, output_axes=None) -> tuple[int, int]:
    """Keras' ``(fan_in, fan_out)``: the sizes along `input_axes` and `output_axes` when both are
    given; else ``(in, out)`` of a 2-D kernel, ``(n, n)`` of a vector, and for higher ranks the last
    two axes times the product of the others (a convolution kernel's receptive field)."""
    if input_axes is not None and output_axes is not None:
        return math.prod(shape[a] for a in input_axes), math.prod(shape[a] for a in output_axes)
    if len(shape) < 2:
        return (shape[0], shape[0]) if shape else (1, 1)
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class _ScaledNormal(Initializer):
    """Normal(0, std) with std computed from the fans by `_stddev`."""

    def _stddev(self, fan_in: int, fan_out: int) -> float:
        raise NotImplementedError

    def draw(self, shape, rng, dtype):
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

    def draw(self, shape, rng, dtype):
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

    def draw(self, shape, rng, dtype):
        return (rng.standard_normal(shape) * self.stddev).astype(dtype, copy=False)

    def get_config(self):
        return {"stddev": self.stddev}


class _Constant(Initializer):
    value = 0.0

    def draw(self, shape, rng, dtype):
        return np.full(shape, self.value, dtype=dtype)


@registry.register("zeros")
class Zeros(_Constant):
    """All zeros."""

    value = 0.0


@registry.register("ones")
class Ones(_Constant):
    """All ones."""

    value = 1.0


class _Seeded(Initializer):
    """Keras' `seed`: an int gives the initializer its own generator (same values every call)."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, (int, np.integer)):
            raise TypeError(f"seed must be an int or None; got {seed!r}.")
        self.seed = None if seed is None else int(seed)

    def _generator(self, rng):
        return rng if self.seed is None else np.random.default_rng(self.seed)

    def get_config(self):
        return {"seed": self.seed}


def _truncated_normal(rng, shape, stddev):
    """N(0, stddev) with every draw beyond two standard deviations drawn again."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return values * stddev


@registry.register("variance_scaling")
class VarianceScaling(_Seeded):
    """Keras' VarianceScaling: variance ``scale / n`` with ``n`` the fan in, fan out or their mean
    (`mode`), drawn from a truncated normal (stddev ``sqrt(scale / n) / 0.8796...``), an
    untruncated normal or a uniform distribution on ``[-sqrt(3 scale / n), sqrt(3 scale / n)]``."""

    modes = ("fan_in", "fan_out", "fan_avg")
    distributions = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        super().__init__(seed)
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]
        if not scale > 0:
            raise ValueError(f"VarianceScaling scale must be > 0; got {scale!r}.")
        if mode not in self.modes:
            raise ValueError(f"mode must be one of {self.modes}; got {mode!r}.")
        if distribution not in self.distributions:
            raise ValueError(f"distribution must be one of {self.distributions}; got {distribution!r}.")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def draw(self, shape, rng, dtype):
        fan_in, fan_out = _fans(shape, self.input_axes, self.output_axes)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._generator(rng)
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        elif self.distribution == "untruncated_normal":
            values = rng.standard_normal(shape) * math.sqrt(variance)
        else:
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        return values.astype(dtype, copy=False)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **self._seed_and_axes()}

    def _seed_and_axes(self):
        return {**super().get_config(), "input_axes": self.input_axes, "output_axes": self.output_axes}


class VarianceScalingPreset(VarianceScaling):
    """A `VarianceScaling` with Keras' fixed `preset` of scale, mode and distribution; only the seed
    and the fan axes are arguments."""

    preset: tuple[float, str, str]

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        super().__init__(*self.preset, seed, input_axes, output_axes)

    def get_config(self):
        return self._seed_and_axes()


@registry.register("glorot_uniform")
class GlorotUniform(VarianceScalingPreset):
    r"""Keras' GlorotUniform: $U(-a, a)$ with $a = \sqrt{6 / (n_{\text{in}} + n_{\text{out}})}$."""

    preset = (1.0, "fan_avg", "uniform")


@registry.register("glorot_normal")
class GlorotNormal(VarianceScalingPreset):
    r"""Keras' GlorotNormal: a truncated normal of standard deviation $\sqrt{2 / (n_{\text{in}} + n_{\text{out}})}$."""

    preset = (1.0, "fan_avg", "truncated_normal")


@registry.register("he_uniform")
class HeUniform(VarianceScalingPreset):
    r"""Keras' HeUniform: $U\left(-\sqrt{6 / n_{\text{in}}},\ \sqrt{6 / n_{\text{in}}}\right)$."""

    preset = (2.0, "fan_in", "uniform")


@registry.register("he_normal")
class HeNormal(VarianceScalingPreset):
    r"""Keras' HeNormal: a truncated normal of standard deviation $\sqrt{2 / n_{\text{in}}}$."""

    preset = (2.0, "fan_in", "truncated_normal")


@registry.register("lecun_uniform")
class LecunUniform(VarianceScalingPreset):
    r"""Keras' LecunUniform: $U\left(-\sqrt{3 / n_{\text{in}}},\ \sqrt{3 / n_{\text{in}}}\right)$."""

    preset = (1.0, "fan_in", "uniform")


@registry.register("lecun_normal")
class LecunNormal(VarianceScalingPreset):
    r"""Keras' LecunNormal: a truncated normal of standard deviation $\sqrt{1 / n_{\text{in}}}$."""

    preset = (1.0, "fan_in", "truncated_normal")


@registry.register("random_normal")
class RandomNormal(_Seeded):
    """N(mean, stddev)."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def draw(self, shape, rng, dtype):
        return (self._generator(rng).standard_normal(shape) * self.stddev + self.mean).astype(dtype, copy=False)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register("truncated_normal")
class TruncatedNormal(RandomNormal):
    """N(mean, stddev) with draws beyond two standard deviations drawn again."""

    def draw(self, shape, rng, dtype):
        return (_truncated_normal(self._generator(rng), shape, self.stddev) + self.mean).astype(dtype, copy=False)


@registry.register("random_uniform")
class RandomUniform(_Seeded):
    """U(minval, maxval)."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed=None):
        super().__init__(seed)
        if not minval < maxval:
            raise ValueError(f"RandomUniform needs minval < maxval; got {minval!r} and {maxval!r}.")
        self.minval, self.maxval = float(minval), float(maxval)

    def draw(self, shape, rng, dtype):
        return self._generator(rng).uniform(self.minval, self.maxval, shape).astype(dtype, copy=False)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@registry.register("constant")
class Constant(Initializer):
    """Every entry equal to `value`."""

    def __init__(self, value: float = 0.0):
        self.value = float(value)

    def draw(self, shape, rng, dtype):
        return np.full(shape, self.value, dtype=dtype)

    def get_config(self):
        return {"value": self.value}


@registry.register("orthogonal")
class Orthogonal(_Seeded):
    """``gain`` times an orthogonal matrix: the Q of the QR factorization of a normal draw (signs
    fixed by R's diagonal), so that ``W.T @ W = gain^2 I`` (or ``W @ W.T`` when wider than tall)."""

    def __init__(self, gain: float = 1.0, seed=None):
        super().__init__(seed)
        self.gain = float(gain)

    def draw(self, shape, rng, dtype):
        rows, columns = math.prod(shape[:-1]), shape[-1]
        draw = self._generator(rng).standard_normal((max(rows, columns), min(rows, columns)))
        q, r = np.linalg.qr(draw)
        q *= np.sign(np.diag(r))
        if rows < columns:
            q = q.T
        return (self.gain * q.reshape(shape)).astype(dtype, copy=False)

    def get_config(self):
        return {"gain": self.gain, **super().get_config()}


@registry.register("identity")
class Identity(Initializer):
    """``gain`` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain: float = 1.0):
        self.gain = float(gain)

    def draw(self, shape, rng, dtype):
        if len(shape) != 2:
            raise ValueError(f"The identity initializer needs a 2-D shape; got {shape}.")
        return (self.gain * np.eye(*shape)).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


def get(spec) -> Initializer:
    """An initializer from a name (``"glorot_uniform"``, ``"he_normal"``, ``"he"``, ``"zeros"``, ...),
    a class, a config or an instance."""
    return registry.get(spec)


# Keras' other accepted names: its compatibility aliases, and the function-style module attributes
# (``initializers.he_normal(seed=1)``).
registry.add(Ones, "one")
registry.add(Zeros, "zero")
registry.add(Identity, "IdentityInitializer")
registry.add(Orthogonal, "OrthogonalInitializer")
constant, zeros, ones, identity, orthogonal = Constant, Zeros, Ones, Identity, Orthogonal
IdentityInitializer, OrthogonalInitializer = Identity, Orthogonal
random_normal, random_uniform, truncated_normal, variance_scaling = (RandomNormal, RandomUniform, TruncatedNormal,
                                                                     VarianceScaling)
glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal = (
    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal)


def deserialize(config: dict) -> Initializer:
    """Keras' ``initializers.deserialize``: an initializer from ``{"class_name": ..., "config": ...}``."""
    return registry.from_config(config)
