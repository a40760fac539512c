"""Noise layers of Keras' regularization family: GaussianNoise, GaussianDropout, AlphaDropout.

Each is the identity at inference and draws its noise, in training, from the model's generator
(or its own, given `seed`), as `Dropout` does.
"""
from __future__ import annotations

import numpy as np

from .base import registry
from .dropout import RandomLayer, check_rate


@registry.register()
class GaussianNoise(RandomLayer):
    r"""Additive zero-centred noise: $y = x + \sigma z$ with $\sigma$ = `stddev` and $z \sim N(0, 1)$ per entry;
    $\partial L / \partial x = g$.

    Examples
    --------
    >>> GaussianNoise(0.1)
    GaussianNoise(stddev=0.1)
    """

    keras_class = "GaussianNoise"
    keras_arguments = ("stddev", "seed")

    def __init__(self, stddev: float, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, (int, float, np.floating)) or not stddev >= 0:
            raise ValueError(f"GaussianNoise stddev must be a number >= 0; got {stddev!r}.")
        self.stddev = float(stddev)

    def _active(self):
        return self.stddev > 0.0

    def _noisy_forward(self, x):
        noise = self._rng.standard_normal(x.shape, dtype=self.dtype, out=self._buffer("y", x.shape))
        noise *= self.stddev
        return np.add(x, noise, out=noise)

    def _noisy_backward(self, grad_out):
        return grad_out

    def get_config(self):
        return {"stddev": self.stddev, **super().get_config()}


@registry.register()
class GaussianDropout(RandomLayer):
    r"""Multiplicative noise of mean 1: $y = x \odot m$ with $m \sim N\left(1, p / (1 - p)\right)$ per entry for
    $p$ = `rate`; $\partial L / \partial x = g \odot m$.

    Examples
    --------
    >>> GaussianDropout(0.2)
    GaussianDropout(rate=0.2)
    """

    keras_class = "GaussianDropout"
    keras_arguments = ("rate", "seed")

    def __init__(self, rate: float, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        self.rate = check_rate("GaussianDropout", rate)
        self._mask = None

    def _active(self):
        return self.rate > 0.0

    def _noisy_forward(self, x):
        mask = self._mask = self._rng.standard_normal(x.shape, dtype=self.dtype, out=self._buffer("mask", x.shape))
        mask *= np.sqrt(self.rate / (1.0 - self.rate))
        mask += 1.0
        return np.multiply(x, mask, out=self._buffer("y", x.shape))

    def _noisy_backward(self, grad_out):
        return np.multiply(grad_out, self._mask, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"rate": self.rate, **super().get_config()}


# SELU's constants to double precision, as Keras' AlphaDropout uses them (its selu activation rounds them).
ALPHA_DROPOUT_ALPHA, ALPHA_DROPOUT_SCALE = 1.6732632423543772, 1.0507009873554805


@registry.register()
class AlphaDropout(RandomLayer):
    r"""Dropout that keeps SELU's self-normalizing mean and variance (Klambauer et al. 2017), with
    Keras' formula: dropped entries are set to $\alpha' = -\lambda \alpha$ of SELU, then
    $y = a x' + b$ with $a = \left((1 - p)(1 + p \alpha'^2)\right)^{-1/2}$ and $b = -a \alpha' p$ for
    $p$ = `rate`; $\partial L / \partial x = a g$ where kept, 0 where dropped.

    Examples
    --------
    >>> AlphaDropout(0.1)
    AlphaDropout(rate=0.1)
    """

    keras_class = "AlphaDropout"
    keras_arguments = ("rate", "noise_shape", "seed")

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        self.rate = check_rate("AlphaDropout", rate)
        if noise_shape is not None:
            raise ValueError(f"noise_shape is not supported (masks are drawn per entry); got {noise_shape!r}.")
        dropped_value = -ALPHA_DROPOUT_SCALE * ALPHA_DROPOUT_ALPHA
        self._scale = ((1.0 - self.rate) * (1.0 + self.rate * dropped_value ** 2)) ** -0.5
        self._offset = -self._scale * dropped_value * self.rate
        self._dropped_output = self._scale * dropped_value + self._offset
        self._kept_scaled = None

    def _active(self):
        return self.rate > 0.0

    def _noisy_forward(self, x):
        draws = self._rng.random(x.shape, dtype=self.dtype, out=self._buffer("mask", x.shape))
        kept = draws >= self.rate
        # a * kept: the derivative, kept for backward (the draws' buffer is reused for it).
        self._kept_scaled = np.multiply(kept, self._scale, out=draws, casting="unsafe")
        out = np.multiply(x, self._kept_scaled, out=self._buffer("y", x.shape))
        out += np.where(kept, self._offset, self._dropped_output)
        return out

    def _noisy_backward(self, grad_out):
        return np.multiply(grad_out, self._kept_scaled, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"rate": self.rate, **super().get_config()}
