"""The Loss base class, its registry, and the reduction every loss shares.

A loss is called as ``loss(output, targets, sample_weight=None)`` on one batch and returns
``(value, d value / d output)``. With Keras' default reduction ``"sum_over_batch_size"`` the value
is ``sum_i w_i * loss_i / N`` (``w_i = 1`` without sample weights); with ``"sum"`` it is
``sum_i w_i * loss_i``.
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import targets as targets_module
from ..registry import Registry, describe, serialize

EPSILON = 1e-7  # Keras' backend.epsilon(): the clip of probabilities and denominators
REDUCTIONS = ("sum_over_batch_size", "sum")


class Loss:
    """Base class.

    Subclasses implement ``__call__(output, targets, sample_weight=None)``.

    Attributes
    ----------
    target_kind : {"classes", "sparse", "values"}
        The form of targets `__call__` takes (see `minikeras.targets`).
    logits_of : str or None
        The name of the activation (``"softmax"``) whose *input* this loss can take instead of its
        output. A loss that declares one is called with ``from_logits=True`` when the model ends
        with that activation: the model then skips the activation in training and the loss
        computes both in one stable step. Its ``__call__`` must accept ``from_logits``.
    """

    name = ""
    target_kind = "classes"
    logits_of: str | None = None

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}.")
        self.reduction = reduction
        if name is not None:
            self.name = name

    def prepare_targets(self, y, n_outputs, dtype):
        return targets_module.prepare(y, n_outputs, dtype, self.target_kind)

    def __call__(self, output, targets, sample_weight=None):
        raise NotImplementedError

    def batch_scale(self, n: int) -> float:
        """The factor of the sum over samples: 1 / N, or 1 with ``reduction="sum"``."""
        return 1.0 / n if self.reduction == "sum_over_batch_size" else 1.0

    def reduce(self, per_sample: np.ndarray, sample_weight):
        """Sum of ``sample_weight * per_sample`` times `batch_scale`, a numpy scalar of the compute dtype."""
        if sample_weight is not None:
            per_sample = per_sample * sample_weight
        total = np.add.reduce(per_sample)
        return total / per_sample.shape[0] if self.reduction == "sum_over_batch_size" else total

    def get_config(self) -> dict:
        return {"reduction": self.reduction, "name": self.name}

    def __repr__(self) -> str:
        return describe(serialize(self))


def _check_logits_capability(cls: type[Loss]) -> None:
    """A loss declaring `logits_of` must take ``from_logits``."""
    if cls.logits_of is not None and "from_logits" not in inspect.signature(cls.__call__).parameters:
        raise TypeError(f"{cls.__name__} declares logits_of={cls.logits_of!r}, so its __call__ must accept "
                        f"from_logits.")
    if cls.target_kind not in targets_module.TARGET_KINDS:
        raise TypeError(f"{cls.__name__}.target_kind must be one of {targets_module.TARGET_KINDS}; "
                        f"got {cls.target_kind!r}.")


registry = Registry("loss", Loss, required=("__call__",), check=_check_logits_capability)


def scale_rows(grad: np.ndarray, sample_weight, scale: float) -> np.ndarray:
    """grad *= scale * sample_weight[:, None] in place."""
    if sample_weight is None:
        grad *= scale
    else:
        grad *= (scale * sample_weight)[:, None].astype(grad.dtype, copy=False)
    return grad


class ElementwiseLoss(Loss):
    r"""$L_i = \frac{1}{C} \sum_c f(p_{ic}, t_{ic})$ (Keras: the mean over the last axis;
    `per_sample = "sum"` takes the sum), with $f$ and $df/dp$ from `elementwise`. Targets are real
    values `(N, C)`."""

    target_kind = "values"
    per_sample = "mean"

    def elementwise(self, output, targets):
        """``(f(p, t), df/dp(p, t))``, two new arrays shaped like `output`."""
        raise NotImplementedError

    def __call__(self, output, targets, sample_weight=None):
        return self.reduce_elementwise(*self.elementwise(output, targets), sample_weight)

    def reduce_elementwise(self, values, derivative, sample_weight):
        """The loss and its gradient from the elementwise ``f`` and ``df/dp``, both ``(N, C)``."""
        n, columns = values.shape
        per_sample = np.add.reduce(values, axis=1)
        scale = self.batch_scale(n)
        if self.per_sample == "mean":
            per_sample /= columns
            scale /= columns
        return self.reduce(per_sample, sample_weight), scale_rows(derivative, sample_weight, scale)
