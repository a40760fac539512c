"""Cross-entropy losses: categorical (class ids or one-hot), sparse categorical, binary.

Each takes probabilities, or logits with ``from_logits=True``; the model passes the logits of its
last Softmax (categorical) or Sigmoid (binary) layer itself, so that the pair is computed in one
stable step. From probabilities they follow Keras: categorical rows are renormalized to sum 1,
and every probability is clipped to ``[1e-7, 1 - 1e-7]`` before its log.
"""
from __future__ import annotations

import numpy as np

from .. import backend
from ..targets import dense_targets, is_class_ids
from .base import EPSILON, ElementwiseLoss, Loss, registry, scale_rows


class _CrossEntropyOptions:
    """Keras' arguments of the cross-entropies: `from_logits`, `label_smoothing`, `axis` (-1 only)."""

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                 reduction: str = "sum_over_batch_size", name: str | None = None):
        super().__init__(reduction, name)  # type: ignore[call-arg]  # a mixin placed before Loss
        if axis != -1:
            raise ValueError(f"Only axis=-1 (the class axis of (N, C) outputs) is supported; got axis={axis!r}.")
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"label_smoothing must be in [0, 1]; got {label_smoothing!r}.")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    def get_config(self):
        return {"from_logits": self.from_logits, "label_smoothing": self.label_smoothing, **super().get_config()}


@registry.register("categorical_crossentropy", "crossentropy")
class CategoricalCrossentropy(_CrossEntropyOptions, Loss):
    r"""$L_i = -\sum_c t_{ic} \log p_{ic}$, with $p$ the softmax output.

    Targets are class ids `(N,)` or one-hot rows `(N, C)`; `label_smoothing` $s$ replaces
    them with $(1 - s)\, t + s / C$. From logits $z$ (`from_logits=True`, or after a Softmax
    layer) the loss is $\log \sum_c e^{z_{ic}} - z_i^\top t_i$ (stable for any finite logits) and its
    gradient with respect to the logits is $p_i \sum_c t_{ic} - t_i$ ($p - t$ for one-hot rows).
    """

    name = "categorical_crossentropy"
    logits_of = "softmax"

    def value_and_gradient(self, output, targets, sample_weight=None, from_logits=False):
        if self.label_smoothing:
            n_classes = output.shape[1]
            targets = dense_targets(targets, n_classes, output.dtype) * (1.0 - self.label_smoothing) \
                + self.label_smoothing / n_classes
        if from_logits or self.from_logits:
            return self._from_logits(output, targets, sample_weight)
        return self._from_probabilities(output, targets, sample_weight)

    def _from_logits(self, logits, targets, sample_weight):
        n = logits.shape[0]
        shifted, probs, log_norm = backend.softmax_and_log_normalizer(logits)
        if is_class_ids(targets):
            rows = np.arange(n)
            per_sample = log_norm - shifted[rows, targets]
            probs[rows, targets] -= 1
        else:
            target_mass = np.add.reduce(targets, axis=1)
            per_sample = log_norm * target_mass - np.einsum("ij,ij->i", shifted, targets)
            probs *= target_mass[:, None]
            probs -= targets
        return self.reduce(per_sample, sample_weight), scale_rows(probs, sample_weight, self.batch_scale(n))

    def _from_probabilities(self, probs, targets, sample_weight):
        n = probs.shape[0]
        total = np.add.reduce(probs, axis=1, keepdims=True)
        normalized = probs / total
        clipped = np.clip(normalized, EPSILON, 1.0 - EPSILON)
        d_clipped = np.zeros_like(probs)
        if is_class_ids(targets):
            rows = np.arange(n)
            picked = clipped[rows, targets]
            per_sample = -np.log(picked)
            d_clipped[rows, targets] = -1.0 / picked
        else:
            per_sample = -np.einsum("ij,ij->i", targets, np.log(clipped))
            np.divide(-targets, clipped, out=d_clipped)
        d_normalized = d_clipped * (normalized == clipped)  # the clip passes no gradient where it acts
        grad = (d_normalized - np.einsum("ij,ij->i", d_normalized, normalized)[:, None]) / total
        return self.reduce(per_sample, sample_weight), scale_rows(grad, sample_weight, self.batch_scale(n))

@registry.register("sparse_categorical_crossentropy")
class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy whose targets are class ids ``(N,)`` or ``(N, 1)`` only (Keras'
    sparse form); the loss and its gradient are those of `CategoricalCrossentropy`."""

    name = "sparse_categorical_crossentropy"
    target_kind = "sparse"

    def __init__(self, from_logits: bool = False, ignore_class=None, axis: int = -1,
                 reduction: str = "sum_over_batch_size", name: str | None = None):
        if ignore_class is not None:
            raise ValueError("ignore_class is not supported: drop those samples, or give them sample_weight 0.")
        super().__init__(from_logits=from_logits, axis=axis, reduction=reduction, name=name)

    def get_config(self):
        config = super().get_config()
        del config["label_smoothing"]
        return config


@registry.register("binary_crossentropy")
class BinaryCrossentropy(_CrossEntropyOptions, ElementwiseLoss):
    r"""$L_i = -\frac{1}{C} \sum_c \left(t \log p + (1 - t) \log(1 - p)\right)$ for labels
    $t \in [0, 1]$ and probabilities $p$ clipped to $[10^{-7}, 1 - 10^{-7}]$.

    From logits $z$ (`from_logits=True`, or after a Sigmoid layer) it is computed as
    $\max(z, 0) - z t + \log\left(1 + e^{-|z|}\right)$, stable for any finite $z$, with gradient
    $\sigma(z) - t$. `label_smoothing` $s$ replaces $t$ with $(1 - s)\, t + s / 2$.
    Targets ``(N,)`` or ``(N, 1)`` for one sigmoid unit, ``(N, C)`` for C independent labels.
    """

    name = "binary_crossentropy"
    logits_of = "sigmoid"

    def prepare_targets(self, y, n_outputs, dtype):
        targets = super().prepare_targets(y, n_outputs, dtype)
        if targets.size and (targets.min() < 0 or targets.max() > 1):
            raise ValueError(f"binary_crossentropy expects labels in [0, 1] (0/1, or probabilities); got values "
                             f"from {targets.min()} to {targets.max()}.")
        return targets

    def value_and_gradient(self, output, targets, sample_weight=None, from_logits=False):
        if self.label_smoothing:
            targets = targets * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        if from_logits or self.from_logits:
            values, derivative = self._from_logits(output, targets)
        else:
            values, derivative = self.elementwise(output, targets)
        return self.reduce_elementwise(values, derivative, sample_weight)

    @staticmethod
    def _from_logits(logits, targets):
        values = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
        derivative = backend.sigmoid(logits, np.empty_like(logits))
        derivative -= targets
        return values, derivative

    def elementwise(self, output, targets):
        clipped = np.clip(output, EPSILON, 1.0 - EPSILON)
        values = -(targets * np.log(clipped) + (1.0 - targets) * np.log1p(-clipped))
        derivative = ((1.0 - targets) / (1.0 - clipped) - targets / clipped) * (clipped == output)
        return values, derivative
