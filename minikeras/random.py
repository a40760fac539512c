"""Keras' ``keras.random``: random tensors on numpy, and `SeedGenerator`.

`seed` is what Keras takes: an int (the same draws at every call), a `SeedGenerator` (new draws at
every call, reproducible from its seed: what a layer's ``call`` uses), or None (a generator from
`minikeras.utils.set_random_seed`'s sequence, else from entropy). `dropout` keeps the gradient of
its input: the mask is a constant of the tape.
"""
from __future__ import annotations

import numpy as np

from . import ops, seeding
from .config import floatx

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "dropout", "shuffle", "categorical",
           "gamma", "binomial", "beta"]


class SeedGenerator:
    """Keras' ``SeedGenerator(seed=None)``: the random state a layer keeps for its draws."""

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        self.seed = seed
        self.name = name or "seed_generator"
        self.generator = seeding.model_generator(seed)

    def get_config(self) -> dict:
        return {"seed": self.seed}


def _generator(seed) -> np.random.Generator:
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if seed is None:
        return seeding.model_generator(None)
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise ValueError(f"seed must be an int, a keras.random.SeedGenerator or None; got {seed!r}.")


def _dtype(dtype):
    return np.dtype(dtype or floatx())


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Draws from $\\mathcal{N}(\\text{mean}, \\text{stddev}^2)$."""
    return _generator(seed).normal(mean, stddev, tuple(shape)).astype(_dtype(dtype))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Draws from $U[\\text{minval}, \\text{maxval})$."""
    return _generator(seed).uniform(minval, maxval, tuple(shape)).astype(_dtype(dtype))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal draws, those more than two standard deviations from the mean drawn again."""
    generator = _generator(seed)
    values = generator.standard_normal(tuple(shape))
    while np.any(outside := np.abs(values) > 2):
        values[outside] = generator.standard_normal(int(outside.sum()))
    return (mean + stddev * values).astype(_dtype(dtype))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers from $[\\text{minval}, \\text{maxval})$."""
    return _generator(seed).integers(minval, maxval, tuple(shape)).astype(np.dtype(dtype))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Each entry zeroed with probability `rate`, the others scaled by $1 / (1 - \\text{rate})$."""
    shape = tuple(noise_shape) if noise_shape is not None else ops.shape(inputs)
    keep = _generator(seed).random(shape) >= rate
    scale = np.where(keep, 1.0 / (1.0 - rate), 0.0).astype(np.asarray(ops.convert_to_numpy(inputs)).dtype)
    return ops.multiply(inputs, scale)


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order."""
    order = _generator(seed).permutation(ops.shape(x)[axis])
    return ops.take(x, order, axis=axis)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class draws per row of `logits` ``(batch, classes)``."""
    probabilities = ops.convert_to_numpy(ops.softmax(ops.stop_gradient(logits), axis=-1)).astype(np.float64)
    generator = _generator(seed)
    draws = [generator.choice(row.size, size=num_samples, p=row / row.sum()) for row in probabilities]
    return np.asarray(draws).astype(np.dtype(dtype))


def gamma(shape, alpha, dtype=None, seed=None):
    """Draws from the gamma distribution of shape `alpha` (scale 1)."""
    return _generator(seed).gamma(alpha, 1.0, tuple(shape)).astype(_dtype(dtype))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Counts of successes in `counts` trials of probability `probabilities`."""
    return _generator(seed).binomial(counts, probabilities, tuple(shape)).astype(_dtype(dtype))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Draws from the beta distribution of parameters `alpha` and `beta`."""
    return _generator(seed).beta(alpha, beta, tuple(shape)).astype(_dtype(dtype))
