"""Batch normalization (Ioffe & Szegedy 2015)."""
from __future__ import annotations

import numpy as np

from ..ops import column_sums
from .base import Layer, registry


@registry.register("batch_norm", "batchnorm")
class BatchNorm(Layer):
    """Normalize each feature over the batch, then scale and shift.

    Training: ``mu = mean_n x``, ``var = mean_n (x - mu)^2`` (biased),
    ``x_hat = (x - mu) / sqrt(var + eps)``, ``y = gamma * x_hat + beta``, and the moving
    statistics follow ``moving = momentum * moving + (1 - momentum) * batch_stat``.
    Inference: the same map with the moving mean and variance.

    Shapes
    ------
    x, y ``(N, D)``; gamma, beta, moving_mean, moving_var ``(D,)``.

    Backward (training mode)
    ------------------------
    ``d_gamma = sum_n g * x_hat``, ``d_beta = sum_n g``,
    ``dx = gamma / sqrt(var + eps) * (g - mean_n g - x_hat * mean_n(g * x_hat))``.

    >>> BatchNorm()
    BatchNorm(momentum=0.9, epsilon=1e-05)
    """

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5, name: str | None = None):
        super().__init__(name)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"BatchNorm momentum must be in [0, 1]; got {momentum!r}.")
        if not epsilon > 0:
            raise ValueError(f"BatchNorm epsilon must be > 0; got {epsilon!r}.")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self._x_hat = None
        self._inv_std = None

    def output_shape(self, input_shape):
        if len(input_shape) != 1:
            raise ValueError(f"BatchNorm expects flat inputs (N, features); got per-sample shape "
                             f"{tuple(input_shape)}.")
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype="float32"):
        super().build(input_shape, rng, dtype)
        width = self.input_shape[0]
        self._add_param("gamma", np.ones(width, dtype=self.dtype))
        self._add_param("beta", np.zeros(width, dtype=self.dtype))
        # Mean and variance live in the rows of one (2, D) array (and so do the batch statistics),
        # so that the moving-average update is three numpy calls rather than six.
        self._moving = np.stack([np.zeros(width, dtype=self.dtype), np.ones(width, dtype=self.dtype)])
        self.state["moving_mean"], self.state["moving_var"] = self._moving

    def forward(self, x, training=False):
        if training:
            return self._forward_train(x)
        scale = self.params["gamma"] / np.sqrt(self.state["moving_var"] + self.epsilon)
        shift = self.params["beta"] - self.state["moving_mean"] * scale
        out = np.multiply(x, scale, out=self._buffer("y", x.shape))
        out += shift
        return out

    def _forward_train(self, x):
        scale = 1.0 / x.shape[0]
        stats = self._buffer("batch_stats", self._moving.shape)
        mean, var = stats
        column_sums(x, mean, scale)
        x_hat = np.subtract(x, mean, out=self._buffer("x_hat", x.shape))
        out = self._buffer("y", x.shape)
        column_sums(np.multiply(x_hat, x_hat, out=out), var, scale)  # `out` as scratch until y is written
        inv_std = np.add(var, self.epsilon)
        np.sqrt(inv_std, out=inv_std)
        np.reciprocal(inv_std, out=inv_std)
        x_hat *= inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        self._update_moving(stats)
        np.multiply(x_hat, self.params["gamma"], out=out)
        out += self.params["beta"]
        return out

    def _update_moving(self, stats):
        """moving = momentum * moving + (1 - momentum) * [batch mean; biased batch variance]."""
        self._moving *= self.momentum
        stats *= 1.0 - self.momentum
        self._moving += stats

    def backward(self, grad_out):
        x_hat = self._x_hat
        dx = self._buffer("dx", grad_out.shape)
        d_beta = column_sums(grad_out, self.grads["beta"])
        d_gamma = column_sums(np.multiply(grad_out, x_hat, out=dx), self.grads["gamma"])
        scale = 1.0 / grad_out.shape[0]
        np.multiply(x_hat, d_gamma * scale, out=dx)
        dx += d_beta * scale
        np.subtract(grad_out, dx, out=dx)
        dx *= self.params["gamma"] * self._inv_std
        return dx

    def get_config(self):
        return {"momentum": self.momentum, "epsilon": self.epsilon, "name": self.name}
