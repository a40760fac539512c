"""Batch normalization (Ioffe & Szegedy 2015)."""
from __future__ import annotations

import numpy as np

from .. import initializers, regularizers
from ..backend import column_sums
from ..registry import serialize, serialize_optional
from . import keras_objects
from .base import Layer, registry


@registry.register("batch_norm", "batchnorm")
class BatchNorm(Layer):
    r"""Normalize each feature over the batch, then scale and shift.

    Training: $\mu = \frac{1}{N}\sum_n x_n$, $\sigma^2 = \frac{1}{N}\sum_n (x_n - \mu)^2$ (biased),
    $\hat{x} = (x - \mu) / \sqrt{\sigma^2 + \epsilon}$, $y = \gamma \hat{x} + \beta$, and the moving
    statistics follow $m \leftarrow \rho\, m + (1 - \rho)\, s$ for the momentum $\rho$.
    Inference (and when frozen, ``trainable=False``, as Keras): the same map with the moving
    mean and variance, which then stay as they are.

    Shapes
    ------
    x, y ``(N, D)``; gamma, beta, moving_mean, moving_var ``(D,)``. Inputs with more axes, images
    ``(N, H, W, C)``, are normalized per channel (the last axis, as Keras' ``axis=-1``): the
    statistics are taken over the batch and every position, as over ``N H W`` samples.

    Backward (training mode)
    ------------------------
    $\partial L / \partial \gamma = \sum_n g_n \hat{x}_n$, $\partial L / \partial \beta = \sum_n g_n$,
    $\partial L / \partial x = \frac{\gamma}{\sqrt{\sigma^2 + \epsilon}} \left(g - \bar{g} - \hat{x}\,
    \overline{g \hat{x}}\right)$ with bars for means over the batch.

    Examples
    --------
    >>> BatchNorm(momentum=0.8)
    BatchNorm(momentum=0.8)
    """

    keras_class = "BatchNormalization"
    keras_arguments = ("axis", "momentum", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                       "moving_mean_initializer", "moving_variance_initializer", "beta_regularizer",
                       "gamma_regularizer")

    def __init__(self, momentum: float = 0.9, epsilon: float = 1e-5, name: str | None = None, *, axis: int = -1,
                 center: bool = True, scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, **kwargs):
        super().__init__(name, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"{type(self).__name__} momentum must be in [0, 1]; got {momentum!r}.")
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__} epsilon must be > 0; got {epsilon!r}.")
        if not isinstance(axis, int) or axis == 0 or not (center and scale):
            raise ValueError(f"{type(self).__name__} normalizes the last axis (the features, or an image's "
                             f"channels) with a learned scale and shift: axis=-1, center=True and scale=True; got "
                             f"axis={axis!r}, center={center!r}, scale={scale!r}.")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.initializers = {name: initializers.get(spec) for name, spec in (
            ("gamma", gamma_initializer), ("beta", beta_initializer), ("moving_mean", moving_mean_initializer),
            ("moving_var", moving_variance_initializer))}
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self._x_hat = None
        self._inv_std = None
        self._inference_scale = None  # set by an inference-mode forward, used by its backward

    def output_shape(self, input_shape):
        if len(input_shape) < 1 or self.axis not in (-1, len(input_shape)):
            raise ValueError(f"{type(self).__name__} normalizes the last axis of its inputs (axis=-1); got axis="
                             f"{self.axis} for per-sample shape {tuple(input_shape)}.")
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        shape = self.input_shape[-1:]
        self.gamma = self.add_weight(shape, self.initializers["gamma"], regularizer=self.gamma_regularizer,
                                     name="gamma")
        self.beta = self.add_weight(shape, self.initializers["beta"], regularizer=self.beta_regularizer, name="beta")
        self.moving_mean = self.add_weight(shape, self.initializers["moving_mean"], trainable=False,
                                           name="moving_mean")
        self.moving_var = self.add_weight(shape, self.initializers["moving_var"], trainable=False, name="moving_var")

    def forward(self, x, training=False):
        if x.ndim > 2:  # (N, ..., C): each position a sample of the channels' statistics
            return self.forward(x.reshape(-1, x.shape[-1]), training).reshape(x.shape)
        if training and self.trainable:
            self._inference_scale = None
            return self._forward_train(x)
        scale = self._inference_scale = self.gamma.value / np.sqrt(self.moving_var.value + self.epsilon)
        shift = self.beta.value - self.moving_mean.value * scale
        out = np.multiply(x, scale, out=self._buffer("y", x.shape))
        out += shift
        return out

    def _forward_train(self, x):
        scale = 1.0 / x.shape[0]
        mean, var = self._buffer("batch_mean", self.moving_mean.shape), self._buffer("batch_var", self.moving_var.shape)
        column_sums(x, mean, scale)
        x_hat = np.subtract(x, mean, out=self._buffer("x_hat", x.shape))
        out = self._buffer("y", x.shape)
        column_sums(np.multiply(x_hat, x_hat, out=out), var, scale)  # `out` as scratch until y is written
        inv_std = np.add(var, self.epsilon)
        np.sqrt(inv_std, out=inv_std)
        np.reciprocal(inv_std, out=inv_std)
        x_hat *= inv_std
        self._x_hat, self._inv_std = x_hat, inv_std
        self._update_moving(self.moving_mean.value, mean)
        self._update_moving(self.moving_var.value, var)
        np.multiply(x_hat, self.gamma.value, out=out)
        out += self.beta.value
        return out

    def _update_moving(self, moving, batch_statistic):
        """moving = momentum * moving + (1 - momentum) * batch statistic (mean, or biased variance)."""
        moving *= self.momentum
        batch_statistic *= 1.0 - self.momentum
        moving += batch_statistic

    def backward(self, grad_out):
        if grad_out.ndim > 2:
            return self.backward(grad_out.reshape(-1, grad_out.shape[-1])).reshape(grad_out.shape)
        if self._inference_scale is not None:  # frozen: a fixed affine map, dx = g * gamma / sqrt(moving_var + eps)
            return np.multiply(grad_out, self._inference_scale, out=self._buffer("dx", grad_out.shape))
        x_hat = self._x_hat
        dx = self._buffer("dx", grad_out.shape)
        d_beta = column_sums(grad_out, self.grads["beta"])
        d_gamma = column_sums(np.multiply(grad_out, x_hat, out=dx), self.grads["gamma"])
        scale = 1.0 / grad_out.shape[0]
        np.multiply(x_hat, d_gamma * scale, out=dx)
        dx += d_beta * scale
        np.subtract(grad_out, dx, out=dx)
        dx *= self.gamma.value * self._inv_std
        return dx

    def get_config(self):
        config = {"momentum": self.momentum, "epsilon": self.epsilon, **super().get_config()}
        for name, keras_name in (("beta", "beta"), ("gamma", "gamma"), ("moving_mean", "moving_mean"),
                                 ("moving_var", "moving_variance")):
            config[f"{keras_name}_initializer"] = serialize(self.initializers[name])
        for name in ("beta", "gamma"):
            regularizer = getattr(self, f"{name}_regularizer")
            config[f"{name}_regularizer"] = serialize_optional(regularizer)
        return config

    def keras_layers(self, name=None):
        config = {"axis": -1, "momentum": self.momentum, "epsilon": self.epsilon, "center": True, "scale": True,
                  "beta_regularizer": keras_objects.regularizer(self.beta_regularizer),
                  "gamma_regularizer": keras_objects.regularizer(self.gamma_regularizer),
                  **{f"{keras_name}_initializer": keras_objects.initializer(self.initializers[name])
                     for name, keras_name in (("beta", "beta"), ("gamma", "gamma"), ("moving_mean", "moving_mean"),
                                              ("moving_var", "moving_variance"))}}
        return [("BatchNormalization", name or self.name, config, self.get_weights())]

    def keras_variable_names(self):
        return ["gamma", "beta", "moving_mean", "moving_variance"]

    def to_onnx(self, g, x):
        if len(self.input_shape) > 1:  # channels last: the inference map as a per-channel scale and shift
            scale = self.gamma.value / np.sqrt(self.moving_var.value + self.epsilon)
            shift = self.beta.value - self.moving_mean.value * scale
            return g.op("Add", g.op("Mul", x, g.constant(scale)), g.constant(shift))
        return g.op("BatchNormalization", x, g.constant(self.gamma.value), g.constant(self.beta.value),
                    g.constant(self.moving_mean.value), g.constant(self.moving_var.value), epsilon=self.epsilon)


@registry.register("batch_normalization")
class BatchNormalization(BatchNorm):
    """Keras' BatchNormalization: `BatchNorm` with Keras' defaults, momentum 0.99 and epsilon 1e-3.

    Examples
    --------
    >>> BatchNormalization().momentum, BatchNormalization().epsilon
    (0.99, 0.001)
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, name: str | None = None, **kwargs):
        super().__init__(momentum, epsilon, name, axis=axis, center=center, scale=scale,
                         beta_initializer=beta_initializer, gamma_initializer=gamma_initializer,
                         moving_mean_initializer=moving_mean_initializer,
                         moving_variance_initializer=moving_variance_initializer, beta_regularizer=beta_regularizer,
                         gamma_regularizer=gamma_regularizer, **kwargs)
