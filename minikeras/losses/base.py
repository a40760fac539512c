"""The Loss base class, its registry, and the reduction every loss shares.

Keras' call ``loss(y_true, y_pred, sample_weight=None)`` gives the loss of a batch: with Keras'
default reduction ``"sum_over_batch_size"`` it is ``sum_i w_i * loss_i / N`` (``w_i = 1`` without
sample weights); with ``"sum"`` it is ``sum_i w_i * loss_i``. Inside a recorded call (a custom
training step, a layer's `add_loss`) the result is a tracked tensor.

A loss is written one of two ways. Keras' way: ``call(y_true, y_pred)`` returns the per-sample
losses computed with `minikeras.ops`, and minikeras differentiates it on the tape. minikeras'
way (every built-in loss): ``value_and_gradient(output, targets, sample_weight=None)`` returns the
value and ``d value / d output`` in closed form, on the targets ``prepare_targets`` made once
per data set. The engine calls `value_and_gradient` (for a Keras-way loss it runs ``call`` on
a tape).
"""
from __future__ import annotations

import inspect

import numpy as np

from .. import ops, tape
from .. import targets as targets_module
from ..config import EPSILON, floatx
from ..registry import Registry, describe, registered_function, registered_name, serialize

__all__ = ["EPSILON", "Loss", "LossFunctionWrapper", "ElementwiseLoss", "registry", "same_rank", "scale_rows"]
REDUCTIONS = ("sum_over_batch_size", "sum")


class Loss:
    """Base class: subclass and implement ``call(y_true, y_pred)`` (Keras' way, with ops) or
    ``value_and_gradient`` (minikeras' way, with its own gradient).

    Attributes
    ----------
    target_kind : {"classes", "sparse", "values"}
        The form of targets `value_and_gradient` takes (see `minikeras.targets`). A loss written
        with ``call`` gets the labels as given, in the model's dtype.
    logits_of : str or None
        The name of the activation (``"softmax"``) whose *input* this loss can take instead of its
        output. A loss that declares one is called with ``from_logits=True`` when the model ends
        with that activation: the model then skips the activation in training and the loss
        computes both in one stable step. Its `value_and_gradient` must accept ``from_logits``.
    """

    name = ""
    target_kind = "classes"
    logits_of: str | None = None

    def __init__(self, reduction: str = "sum_over_batch_size", name: str | None = None, dtype=None):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}; got {reduction!r}.")
        self.reduction = reduction
        self.dtype = dtype
        if name is not None:
            self.name = name

    @property
    def written_with_call(self) -> bool:
        return type(self).call is not Loss.call

    def call(self, y_true, y_pred):
        """Keras' way: the per-sample losses of a batch, written with `minikeras.ops`."""
        raise NotImplementedError(f"{type(self).__name__} defines neither call nor value_and_gradient.")

    def prepare_targets(self, y, n_outputs, dtype):
        if self.written_with_call:
            return np.asarray(targets_module.numeric(y, n_outputs), dtype=dtype)
        return targets_module.prepare(y, n_outputs, dtype, self.target_kind)

    def value_and_gradient(self, output, targets, sample_weight=None):
        """``(loss, d loss / d output)`` of a batch; here from ``call`` on a tape."""
        with tape.recording() as recording:
            leaf = tape.watch(output)
            value = self(targets, leaf, sample_weight)
        grads = recording.gradients([(value, np.ones((), output.dtype))]) if isinstance(value, tape.Tensor) else {}
        loss = np.asarray(value.value if isinstance(value, tape.Tensor) else value, dtype=output.dtype)
        return loss, np.asarray(grads.get(id(leaf), np.zeros_like(output)), dtype=output.dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """Keras' call: the reduced loss of the batch (a tracked tensor when `y_pred` is one)."""
        if self.written_with_call:
            y_true, y_pred = same_rank(y_true, y_pred)
            return self.reduce_tensor(self.call(y_true, y_pred), sample_weight)
        pred = y_pred if isinstance(y_pred, tape.Tensor) else ops.convert_to_tensor(y_pred)
        value = np.asarray(pred.value if isinstance(pred, tape.Tensor) else pred)
        value = value.astype(floatx()) if value.dtype.kind != "f" else value
        rows = value.reshape(len(value), -1) if value.ndim != 2 else value
        targets = self.prepare_targets(np.asarray(ops.convert_to_numpy(y_true)), rows.shape[1], rows.dtype)
        weights = None if sample_weight is None else np.asarray(ops.convert_to_numpy(sample_weight), rows.dtype)
        loss, grad = self.value_and_gradient(rows.copy(), targets, weights)
        return tape.result(loss, (pred,), (lambda g: g * grad.reshape(value.shape),))

    def reduce_tensor(self, per_sample, sample_weight):
        """Keras' reduction of per-sample losses written with ops."""
        if sample_weight is not None:
            per_sample = ops.multiply(per_sample, _aligned_weights(sample_weight, per_sample))
        total = ops.sum(per_sample)
        return total if self.reduction == "sum" else ops.divide(total, max(int(np.size(_value(per_sample))), 1))

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


def _value(x):
    return x.value if isinstance(x, tape.Tensor) else np.asarray(x)


def _aligned_weights(sample_weight, per_sample):
    weights = np.asarray(ops.convert_to_numpy(sample_weight))
    extra = np.ndim(_value(per_sample)) - weights.ndim
    return weights.reshape(weights.shape + (1,) * extra) if extra > 0 else weights


def same_rank(y_true, y_pred):
    """Keras' alignment of labels and predictions whose ranks differ by one (``(N,)`` labels
    with ``(N, 1)`` outputs): the labels gain or lose the last axis."""
    true_rank, pred_rank = np.ndim(_value(y_true)), np.ndim(_value(y_pred))
    if true_rank == pred_rank - 1:
        return ops.expand_dims(y_true, -1), y_pred
    if true_rank == pred_rank + 1 and np.shape(_value(y_true))[-1] == 1:
        return ops.squeeze(y_true, -1), y_pred
    return y_true, y_pred


class LossFunctionWrapper(Loss):
    """A function ``fn(y_true, y_pred)`` written with ops (returning per-sample losses) as a loss
    (Keras' name): ``compile(loss=my_loss)``."""

    def __init__(self, fn, reduction: str = "sum_over_batch_size", name: str | None = None, dtype=None, **kwargs):
        super().__init__(reduction, name or getattr(fn, "__name__", "loss"), dtype)
        self.fn = fn
        self.fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        return self.fn(y_true, y_pred, **self.fn_kwargs)

    def get_config(self) -> dict:
        """The function by its registered name (``"package>name"``), which loading looks up."""
        return {"fn": registered_name(self.fn), **super().get_config(), **self.fn_kwargs}

    @classmethod
    def from_config(cls, config: dict) -> LossFunctionWrapper:
        config = dict(config)
        return cls(registered_function(config.pop("fn", None), "loss"), **config)


def _check_logits_capability(cls: type[Loss]) -> None:
    """A loss declaring `logits_of` must take ``from_logits``."""
    if cls.logits_of is not None and "from_logits" not in inspect.signature(cls.value_and_gradient).parameters:
        raise TypeError(f"{cls.__name__} declares logits_of={cls.logits_of!r}, so its value_and_gradient must accept "
                        f"from_logits.")
    if cls.target_kind not in targets_module.TARGET_KINDS:
        raise TypeError(f"{cls.__name__}.target_kind must be one of {targets_module.TARGET_KINDS}; "
                        f"got {cls.target_kind!r}.")
    if cls.call is Loss.call and cls.value_and_gradient is Loss.value_and_gradient:
        raise TypeError(f"{cls.__name__} cannot be registered as a loss: it defines neither call (Keras' way) nor "
                        f"value_and_gradient.")


registry = Registry("loss", Loss, check=_check_logits_capability)
registry.add(LossFunctionWrapper)


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

    def value_and_gradient(self, output, targets, sample_weight=None):
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
