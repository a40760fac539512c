"""Hinge losses for labels -1/1 (0/1 labels are converted to -1/1, as Keras does) and for one-hot rows."""
from __future__ import annotations

import numpy as np

from .base import ElementwiseLoss, Loss, registry, scale_rows


class _SignedTargets(ElementwiseLoss):
    def prepare_targets(self, y, n_outputs, dtype):
        targets = super().prepare_targets(y, n_outputs, dtype)
        return 2.0 * targets - 1.0 if np.all((targets == 0) | (targets == 1)) else targets


@registry.register("hinge")
class Hinge(_SignedTargets):
    r"""$f = \max(1 - t p, 0)$; $df/dp = -t$ where $1 - t p > 0$, else 0."""

    name = "hinge"

    def elementwise(self, output, targets):
        margin = 1.0 - targets * output
        return np.maximum(margin, 0.0), -targets * (margin > 0)


@registry.register("squared_hinge")
class SquaredHinge(_SignedTargets):
    r"""$f = \max(1 - t p, 0)^2$; $df/dp = -2 t \max(1 - t p, 0)$."""

    name = "squared_hinge"

    def elementwise(self, output, targets):
        margin = np.maximum(1.0 - targets * output, 0.0)
        return margin * margin, -2.0 * targets * margin


@registry.register("categorical_hinge")
class CategoricalHinge(Loss):
    r"""$L_i = \max(n - s + 1, 0)$ with $s = \sum_c t_c p_c$ and $n = \max_c (1 - t_c) p_c$; the
    gradient is $(1 - t_j) [j = \arg\max_c (1 - t_c) p_c] - t$ where the loss is positive, else 0.
    Targets: class ids or one-hot rows."""

    name = "categorical_hinge"
    target_kind = "values"

    def value_and_gradient(self, output, targets, sample_weight=None):
        n = output.shape[0]
        rows = np.arange(n)
        others = (1.0 - targets) * output
        worst = others.argmax(axis=1)
        per_sample = np.maximum(others[rows, worst] - np.einsum("ij,ij->i", targets, output) + 1.0, 0.0)
        grad = -targets.astype(output.dtype, copy=True)
        grad[rows, worst] += 1.0 - targets[rows, worst]
        grad *= (per_sample > 0)[:, None]
        return self.reduce(per_sample, sample_weight), scale_rows(grad, sample_weight, self.batch_scale(n))
