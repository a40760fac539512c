"""Regression losses, Keras' formulas: each is the mean over the last axis of an elementwise term
(Kullback-Leibler: the sum), then the (weighted) mean over samples. Targets are real values
``(N, C)``, or ``(N,)`` for a one-unit output; class ids are one-hot encoded for a wider output."""
from __future__ import annotations

import math

import numpy as np

from .base import EPSILON, ElementwiseLoss, registry, scale_rows


@registry.register("mse", "mean_squared_error")
class MeanSquaredError(ElementwiseLoss):
    r"""$L_i = \frac{1}{C} \sum_c (p_{ic} - t_{ic})^2$; gradient $2 (p - t) / (N C)$."""

    name = "mean_squared_error"

    def value_and_gradient(self, output, targets, sample_weight=None):
        diff = output - targets
        per_sample = np.einsum("ij,ij->i", diff, diff) / output.shape[1]
        rows = diff.shape[0] if self.reduction == "sum_over_batch_size" else 1
        return self.reduce(per_sample, sample_weight), scale_rows(diff, sample_weight, 2.0 / (rows * diff.shape[1]))


@registry.register("mae", "mean_absolute_error")
class MeanAbsoluteError(ElementwiseLoss):
    r"""$f = \lvert p - t \rvert$; $df/dp = \operatorname{sign}(p - t)$."""

    name = "mean_absolute_error"

    def elementwise(self, output, targets):
        diff = output - targets
        return np.abs(diff), np.sign(diff)


@registry.register("mape", "mean_absolute_percentage_error")
class MeanAbsolutePercentageError(ElementwiseLoss):
    r"""$f = 100 \lvert t - p \rvert / \max(\lvert t \rvert, 10^{-7})$;
    $df/dp = 100 \operatorname{sign}(p - t) / \max(\lvert t \rvert, 10^{-7})$."""

    name = "mean_absolute_percentage_error"

    def elementwise(self, output, targets):
        diff = output - targets
        scale = 100.0 / np.maximum(np.abs(targets), EPSILON)
        return np.abs(diff) * scale, np.sign(diff) * scale


@registry.register("msle", "mean_squared_logarithmic_error")
class MeanSquaredLogarithmicError(ElementwiseLoss):
    r"""$f = \left(\log(\hat{p} + 1) - \log(\hat{t} + 1)\right)^2$ with $\hat{a} = \max(a, 10^{-7})$;
    $df/dp = 2 \left(\log(\hat{p} + 1) - \log(\hat{t} + 1)\right) / (\hat{p} + 1)$ where $p > 10^{-7}$, else 0."""

    name = "mean_squared_logarithmic_error"

    def elementwise(self, output, targets):
        floored = np.maximum(output, EPSILON)
        gap = np.log1p(floored) - np.log1p(np.maximum(targets, EPSILON))
        return gap * gap, 2.0 * gap / (floored + 1.0) * (output > EPSILON)


@registry.register("huber", "huber_loss")
class Huber(ElementwiseLoss):
    r"""With $e = p - t$: $f = e^2 / 2$ where $\lvert e \rvert \le \delta$, else
    $\delta \lvert e \rvert - \delta^2 / 2$; $df/dp = e$ or $\delta \operatorname{sign}(e)$."""

    name = "huber_loss"

    def __init__(self, delta: float = 1.0, reduction: str = "sum_over_batch_size", name: str | None = None):
        super().__init__(reduction, name)
        if not delta > 0:
            raise ValueError(f"Huber delta must be > 0; got {delta!r}.")
        self.delta = float(delta)

    def elementwise(self, output, targets):
        error = output - targets
        small = np.abs(error) <= self.delta
        values = np.where(small, 0.5 * error * error, self.delta * np.abs(error) - 0.5 * self.delta ** 2)
        return values, np.where(small, error, self.delta * np.sign(error))

    def get_config(self):
        return {"delta": self.delta, **super().get_config()}


@registry.register("log_cosh", "logcosh")
class LogCosh(ElementwiseLoss):
    r"""$f = \log\cosh e$ for $e = p - t$, computed as $e + \operatorname{softplus}(-2e) - \log 2$;
    $df/dp = \tanh e$."""

    name = "log_cosh"

    def elementwise(self, output, targets):
        error = output - targets
        return error + np.logaddexp(0.0, -2.0 * error) - math.log(2.0), np.tanh(error)


@registry.register("poisson")
class Poisson(ElementwiseLoss):
    r"""$f = p - t \log(p + 10^{-7})$; $df/dp = 1 - t / (p + 10^{-7})$."""

    name = "poisson"

    def elementwise(self, output, targets):
        shifted = output + EPSILON
        return output - targets * np.log(shifted), 1.0 - targets / shifted


@registry.register("kl_divergence", "kld", "kullback_leibler_divergence")
class KLDivergence(ElementwiseLoss):
    r"""$L_i = \sum_c t \log(t / p)$, with $t$ and $p$ clipped to $[10^{-7}, 1]$;
    $df/dp = -t / p$ inside the clip, 0 outside."""

    name = "kl_divergence"
    per_sample = "sum"

    def elementwise(self, output, targets):
        clipped_targets = np.clip(targets, EPSILON, 1.0)
        clipped = np.clip(output, EPSILON, 1.0)
        values = clipped_targets * np.log(clipped_targets / clipped)
        return values, -clipped_targets / clipped * (clipped == output)
