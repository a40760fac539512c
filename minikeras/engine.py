"""The training engine: what one batch does to a built stack of layers.

`Model` is the facade users call (build, compile, fit, evaluate, predict, save); it makes an
`Engine` once its layers are built (and a new one after each change of layers or `compile`) and
delegates every numeric pass to it. The tools (gradient checks, saving, the bench) use the
engine's public methods below and nothing private of either.
"""
from __future__ import annotations

import copy

import numpy as np

from . import targets as targets_module
from .checks import check_finite
from .data_utils import BatchGatherer, Dataset, check_inputs, check_same_length, sample_weights
from .layers import activations
from .store import ParameterStore

PREDICT_BATCH_SIZE = 1024


class Engine:
    """Forward and backward passes, the regularized loss and one training step over built layers.

    It owns the parameter store (`minikeras.store.ParameterStore`): every trainable weight's
    value and gradient kept end to end in two flat arrays, so that an element-wise optimizer
    updates the whole model in a few numpy calls instead of a few per weight (what small layers
    and batches pay most for). The weights stay `Variable`s whose values are views into it; no
    other part of minikeras knows the arrays are flat.

    It runs the layers' `steps` (a Dense with ``activation=`` is two steps). When the loss
    declares ``logits_of`` (categorical cross-entropy: ``"softmax"``, binary: ``"sigmoid"``) and the
    last step is that activation, training and evaluation skip the step and the loss takes its
    input (`fused`). Frozen layers (``trainable=False``) keep their weights out of the store.

    Metrics accumulate over batches (`reset_metrics`, `metric_results`); an ``"accuracy"`` is
    resolved for the output width here, as Keras does at compile.

    Parameters
    ----------
    layers : list of Layer
        Built layers, in order.
    dtype : numpy dtype
        The model's dtype.
    loss, optimizer, metrics, weighted_metrics
        From ``Model.compile``; None (and no metrics) for an engine that only predicts. Weighted
        metrics are given the samples' weights.

    Attributes
    ----------
    layer_steps : list of Layer
        What runs, in order: every layer's `steps` (a Dense with ``activation=`` is two).
    trainable_variables : list of Variable
        Every trainable weight, in layer order.
    """

    def __init__(self, layers, dtype, loss=None, optimizer=None, metrics=(), weighted_metrics=()):
        self.layers = list(layers)
        self.dtype = np.dtype(dtype)
        self.layer_steps = [step for layer in self.layers for step in layer.steps()]
        last = self.layer_steps[-1]
        self.input_shape = self.layers[0].input_shape
        self.output_shape = last.output_shape(last.input_shape)
        self.loss, self.optimizer = loss, optimizer
        resolved = [metric.resolve(self.output_shape[0]) if hasattr(metric, "resolve") else metric
                    for metric in (*metrics, *weighted_metrics)]
        self.metrics = resolved
        self._weighted = [False] * len(metrics) + [True] * len(weighted_metrics)
        # evaluate() accumulates into copies: a callback that evaluates mid-epoch leaves fit's metrics alone.
        self._evaluation_metrics = copy.deepcopy(resolved)
        self.trainable_flags = tuple(layer.trainable for layer in self.layers)
        self._store = ParameterStore(self.layers, self.dtype)
        self.trainable_variables = self._store.variables
        self.fused = (loss is not None and loss.logits_of is not None
                      and isinstance(last, activations.registry.lookup(loss.logits_of))
                      and getattr(last, "over_last_axis", True))
        self._train_layers = self.layer_steps[:-1] if self.fused else self.layer_steps
        first = next((i for i, layer in enumerate(self._train_layers) if layer.trainable_weights),
                     len(self._train_layers))
        for i, layer in enumerate(self._train_layers):
            layer.needs_input_grad = i > first  # nobody uses the input gradient of the first trained layer
        self._backward_layers = self._train_layers[first:][::-1]
        # (regularizer, value, gradient, scratch) in layer order: the first (largest) kernel comes
        # first, while backward has just left its gradient in cache.
        self._penalties = [(variable.regularizer, variable.value, grad, np.empty_like(grad))
                           for variable, grad in zip(self._store.variables, self._store.grad_views)
                           if variable.regularizer is not None]
        if optimizer is not None:
            optimizer.build(self._store.variables)

    # -- data ------------------------------------------------------------------------------------
    def dataset(self, x, y, sample_weight=None, class_weight=None, what: str = "x") -> Dataset:
        """Checked inputs (in the model dtype; no copy when already so), the loss's prepared targets
        and the per-sample weights. Needs a loss."""
        x = self.inputs(x, what)
        check_finite(x, what)
        if y is None:
            raise ValueError(f"Labels are missing for {what}: pass y.")
        if not isinstance(y, (np.ndarray, list, tuple)):
            raise TypeError(f"The labels of {what} must be a numpy array; got {type(y).__name__}.")
        check_same_length(x, y, "y")
        n_outputs = self.output_shape[0]
        targets = self.loss.prepare_targets(y, n_outputs, self.dtype)
        weights = sample_weights(targets, targets_module.n_classes(n_outputs), sample_weight, class_weight, self.dtype)
        return Dataset(x, targets, weights)

    def inputs(self, x, what: str = "x") -> np.ndarray:
        """`x` checked and in the model dtype (no copy when already so); an integer array (uint8
        images) stays as it is when the first layer converts it (Rescaling, Normalization)."""
        keep_integers = getattr(self.layer_steps[0], "accepts_integer_inputs", False)
        return check_inputs(x, self.input_shape, self.dtype, what, keep_integers)

    # -- passes ----------------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """The output of every step applied in turn (the last one included, fused or not)."""
        for step in self.layer_steps:
            x = step.forward(x, training)
        return x

    def loss_and_metrics(self, x, targets, weights, training: bool, metrics=None):
        """Forward pass and loss, and the batch added to every metric (`metrics`, or the training
        ones): ``(data loss, d loss / d output)``.

        The loss and its gradient are taken at the logits when `fused`; the loss is a numpy
        scalar in the model dtype (the penalty is not included: see `penalty`)."""
        output = x
        for step in self._train_layers:
            output = step.forward(output, training)
        if self.fused:
            loss, grad = self.loss(output, targets, weights, from_logits=True)
        else:
            loss, grad = self.loss(output, targets, weights)
        probabilities = None  # the fused activation's output, computed once if a metric needs it
        for metric, weighted in zip(self.metrics if metrics is None else metrics, self._weighted):
            metric_input = output
            if self.fused and not metric.accepts_logits:
                probabilities = self.layer_steps[-1].forward(output) if probabilities is None else probabilities
                metric_input = probabilities
            metric.update_state(targets, metric_input, weights if weighted else None)
        return loss, grad

    def reset_metrics(self, metrics=None) -> None:
        for metric in self.metrics if metrics is None else metrics:
            metric.reset_state()

    def metric_results(self, metrics=None) -> dict:
        """``{metric name: result}`` as Python floats (lists of floats for per-class results)."""
        return {metric.name: log_value(metric.result()) for metric in (self.metrics if metrics is None else metrics)}

    def backward(self, grad: np.ndarray) -> None:
        """Fill every layer's `grads` with the data loss's gradient, from `grad` = d loss / d output."""
        for layer in self._backward_layers:
            grad = layer.backward(grad)
        self._store.collect_gradients()

    def penalty(self):
        """Sum of the layers' regularization penalties (a numpy scalar, or 0 without regularizers)."""
        return sum(regularizer.penalty(param) for regularizer, param, _, _ in self._penalties)

    def add_penalty_gradients(self) -> None:
        """Add each penalty's gradient (``2 * lambda * W`` for L2) to the gradient of its weight."""
        for regularizer, param, grad, scratch in self._penalties:
            regularizer.add_gradient(param, grad, scratch)

    def compute_gradients(self, x, targets, weights) -> float:
        """Forward and backward in training mode: the layers' `grads` hold the gradient of the full
        loss J = data loss + penalty; returns J (and the batch is added to the metrics)."""
        # The penalty reads every kernel: before the forward products, the last update has just
        # left them in cache; after, the products have pushed them out.
        penalty = self.penalty()
        loss, grad = self.loss_and_metrics(x, targets, weights, training=True)
        self.backward(grad)
        self.add_penalty_gradients()
        return float(loss + penalty)

    def apply_gradients(self) -> float:
        """One optimizer update of every trainable weight from its gradient; returns the rate used.
        An element-wise optimizer updates the whole store at once."""
        store = self._store
        if self.optimizer.elementwise:
            return self.optimizer._apply_packed(store.values, store.grads, store.grad_views)
        return self.optimizer.apply(store.grad_views, store.variables)

    def gradients(self) -> list[np.ndarray]:
        """The gradient of every trainable weight (`trainable_variables` order), as the last
        `compute_gradients` left them: views, overwritten by the next."""
        return list(self._store.grad_views)

    def train_step(self, x, targets, weights) -> float:
        """`compute_gradients`, then `apply_gradients`: one update from one batch. Returns the loss
        of the forward pass the update was computed from."""
        loss = self.compute_gradients(x, targets, weights)
        self.apply_gradients()
        return loss

    # -- whole data sets -------------------------------------------------------------------------
    def evaluate(self, data: Dataset, batch_size: int | None = None, on_batch=None) -> dict:
        """``{"loss": mean data loss + penalty, metric name: result}`` over `data`, in inference mode
        (the metrics are reset first). `on_batch(index)` is called after each batch."""
        metrics = self._evaluation_metrics
        self.reset_metrics(metrics)
        total = 0.0
        for index, (xb, tb, wb) in enumerate(BatchGatherer(data, self.evaluation_batch_size(batch_size)).batches(None)):
            loss, _ = self.loss_and_metrics(xb, tb, wb, training=False, metrics=metrics)
            total += float(loss) * xb.shape[0]
            if on_batch is not None:
                on_batch(index)
        return {"loss": total / len(data) + float(self.penalty()), **self.metric_results(metrics)}

    @staticmethod
    def evaluation_batch_size(batch_size: int | None) -> int:
        """The rows per pass of `evaluate` and `predict`: `batch_size`, or 1024 (results do not depend on it)."""
        return batch_size or PREDICT_BATCH_SIZE

    def predict(self, x: np.ndarray, batch_size: int | None = None, on_batch=None) -> np.ndarray:
        """Outputs ``(N, ...)`` of checked inputs `x`, computed `batch_size` rows at a time."""
        batch_size = self.evaluation_batch_size(batch_size)
        output = np.empty((x.shape[0], *self.output_shape), dtype=self.dtype)
        with np.errstate(all="ignore"):  # NaN or inf in x give NaN or inf out, without numpy's warnings
            for index, start in enumerate(range(0, x.shape[0], batch_size)):
                output[start:start + batch_size] = self.forward(x[start:start + batch_size], training=False)
                if on_batch is not None:
                    on_batch(index)
        return output


def log_value(value):
    """A metric result as logs hold it: a Python float, or a list of floats for per-class results."""
    if type(value) is float:
        return value
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()
