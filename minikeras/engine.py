"""The training engine: what one batch does to a built model's program.

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
from .graph import Program
from .layers import activations
from .metrics.base import OutputLoss
from .row_readers import RowReader
from .store import ParameterStore
from .structures import by_position, first_array, rows

PREDICT_BATCH_SIZE = 1024
EVALUATION_BYTES = 32 * 2**20  # the largest activation of a default predict batch: stays near the cache


class Engine:
    """Forward and backward passes, the regularized loss and one training step over a built program.

    It owns the parameter store (`minikeras.store.ParameterStore`): every trainable weight's
    value and gradient kept end to end in two flat arrays, so that an element-wise optimizer
    updates the whole model in a few numpy calls instead of a few per weight (what small layers
    and batches pay most for). The weights stay `Variable`s whose values are views into it; no
    other part of minikeras knows the arrays are flat.

    It runs the program's operations (`minikeras.graph.Program`): a chain for a Sequential model,
    in topological order for a graph, where the gradients of a tensor read by several operations
    (a skip connection, a shared layer) add up. When an output's loss declares ``logits_of``
    (categorical cross-entropy: ``"softmax"``, binary: ``"sigmoid"``) and the output is that
    activation, training and evaluation skip it and the loss takes its input (`fused`). Frozen
    layers (``trainable=False``) keep their weights out of the store.

    Metrics accumulate over batches (`reset_metrics`, `metric_results`); an ``"accuracy"`` is
    resolved for the output width here, as Keras does at compile.

    Parameters
    ----------
    program : Program or list of Layer
        What runs (a list of built layers is their chain).
    dtype : numpy dtype
        The model's dtype.
    loss, optimizer, metrics, weighted_metrics
        From ``Model.compile``; None (and no metrics) for an engine that only predicts. With
        several outputs, `loss` is a list (one per output) and the metrics lists of lists.
    loss_weights : list of float, optional
        With several outputs: the weight of each output's loss in the total.
    output_names : list of str, optional
        Prefixes of the per-output log keys (``"out_a_loss"``, ``"out_a_accuracy"``).

    Attributes
    ----------
    layer_steps : list of Layer
        The steps of the operations, in the order they run.
    trainable_variables : list of Variable
        Every trainable weight, in layer order.
    trainable_variable_names : list of str
        Their names ``"<layer>/<key>"``, unique in the model (a sublayer's weight:
        ``"<layer>/<attribute>/<name>"``).
    """

    def __init__(self, program, dtype, loss=None, optimizer=None, metrics=(), weighted_metrics=(),
                 loss_weights=None, output_names=None):
        if not isinstance(program, Program):
            program = Program.chain(program, program[0].input_shape)
        self.program = program
        self._producers = program.producers()
        self.layers = program.layers
        self.dtype = np.dtype(dtype)
        operations = program.operations
        self.layer_steps = [operation.step for operation in operations]
        self.chain = program.is_chain
        self.input_shapes = program.input_shapes
        self.input_shape = self.input_shapes[0]
        self.output_shapes = [self._shape_of(tensor) for tensor in program.output_ids]
        self.output_shape = self.output_shapes[0]
        widest = max(int(np.prod(step.built_output_shape())) for step in self.layer_steps) if operations else 1
        self._evaluation_rows = int(np.clip(EVALUATION_BYTES // (widest * self.dtype.itemsize), 32, PREDICT_BATCH_SIZE))
        n_outputs = len(program.output_ids)
        self.output_names = list(output_names or [f"output_{k}" for k in range(n_outputs)])
        self.losses = list(loss) if isinstance(loss, (list, tuple)) else [loss] * n_outputs
        self.loss, self.optimizer = self.losses[0], optimizer
        self.loss_weights = [1.0] * n_outputs if loss_weights is None else [float(w) for w in loss_weights]
        self._set_metrics(metrics, weighted_metrics)
        self._keeps_integers = [self._readers_convert(tensor) for tensor in program.input_ids]
        # Steps written with call: what they add with add_loss joins the loss.
        self._call_steps = [step for step in self.layer_steps if step.written_with_call]
        self._without_loss = all(loss is None for loss in self.losses)
        self.trainable_flags = tuple(layer.trainable for layer in self.layers)
        self._store = ParameterStore(self.layers, self.dtype)
        self.trainable_variables = self._store.variables
        self.trainable_variable_names = self._store.names
        self._set_fusion()
        self._set_backward()
        # (regularizer, value, gradient, scratch) in layer order: the first (largest) kernel comes
        # first, while backward has just left its gradient in cache.
        self._penalties = [(variable.regularizer, variable.value, grad, np.empty_like(grad))
                           for variable, grad in zip(self._store.variables, self._store.grad_views)
                           if variable.regularizer is not None]
        if optimizer is not None:
            optimizer.build(self._store.variables)

    def _shape_of(self, tensor: int) -> tuple[int, ...]:
        producer = self._producers.get(tensor)
        if producer is None:
            return self.input_shapes[self.program.input_ids.index(tensor)]
        return tuple(producer.step.built_output_shape())

    def _set_metrics(self, metrics, weighted_metrics) -> None:
        """`metrics`: the metrics in `metric_results` order, each resolved for its output's width;
        `_metric_outputs`: the output each reads; the per-output losses first with several outputs."""
        several = len(self.output_shapes) > 1
        per_output = [(metrics or [[]] * len(self.output_shapes)) if several else [metrics],
                      (weighted_metrics or [[]] * len(self.output_shapes)) if several else [weighted_metrics]]
        entries: list = []
        for weighted, lists in enumerate(per_output):
            for k, listed in enumerate(lists):
                for metric in listed:
                    metric = metric.resolve(self.output_shapes[k][0]) if hasattr(metric, "resolve") else metric
                    if several:
                        metric = copy.deepcopy(metric)
                        metric.name = f"{self.output_names[k]}_{metric.name}"
                    entries.append((k, metric, bool(weighted)))
        self._output_losses = [OutputLoss(f"{name}_loss") for name in self.output_names] if several else []
        self.metrics = [metric for _, metric, _ in entries]
        self._metric_outputs = [k for k, _, _ in entries]
        self._weighted = [weighted for _, _, weighted in entries]
        # evaluate() accumulates into copies: a callback that evaluates mid-epoch leaves fit's metrics alone.
        self.evaluation_metrics = copy.deepcopy(self._output_losses + self.metrics)

    def _set_fusion(self) -> None:
        """`fused_outputs[k]`: output k is its loss's activation, skipped in training and evaluation, which
        then read `_train_outputs[k]` (its input)."""
        producers = self._producers
        read = {tensor for operation in self.program.operations for tensor in operation.inputs}
        outputs = self.program.output_ids
        self.fused_outputs: list[bool] = []
        self._train_outputs, skipped = [], set()
        for k, tensor in enumerate(outputs):
            loss, last = self.losses[k], producers.get(tensor)
            fused = (loss is not None and loss.logits_of is not None and last is not None
                     and isinstance(last.step, activations.registry.lookup(loss.logits_of))
                     and getattr(last.step, "over_last_axis", True) and tensor not in read
                     and outputs.count(tensor) == 1)
            self.fused_outputs.append(fused)
            self._train_outputs.append(last.inputs[0] if fused else tensor)
            if fused:
                skipped.add(id(last))
        self.fused = any(self.fused_outputs)
        self._one_chain = self.chain and len(outputs) == 1
        self._train_operations = [op for op in self.program.operations if id(op) not in skipped]
        self._train_layers = [operation.step for operation in self._train_operations]

    def _set_backward(self) -> None:
        """The operations backward runs (those with a trainable weight upstream, last first) and the
        `needs_input_grad` flag of each step (set again before each pass: a layer may be shared
        with another model's engine)."""
        needs_grad: set[int] = set()
        backward, flags = [], []
        for operation in self._train_operations:
            step = operation.step
            flowing = any(tensor in needs_grad for tensor in operation.inputs)
            flags.append((step, flowing))
            if flowing or step.trainable_weights:
                needs_grad.add(operation.output)
                backward.append(operation)
        self._backward_operations = backward[::-1]
        self._backward_layers = [operation.step for operation in self._backward_operations]
        self._input_grad_flags = flags

    # -- data ------------------------------------------------------------------------------------
    def dataset(self, x, y, sample_weight=None, class_weight=None, what: str = "x") -> Dataset:
        """Checked inputs (in the model dtype; no copy when already so), the losses' prepared
        targets and the per-sample weights. Needs a loss."""
        x = self.inputs(x, what)
        for array in x if isinstance(x, tuple) else (x,):
            if isinstance(array, RowReader):  # checked batch by batch, never read whole
                array.check_as_read(what)
            else:
                check_finite(array, what)
        if y is None and self._without_loss:  # the layers' added losses are all there is to train on
            return Dataset(x, np.zeros((rows(x), 0), self.dtype), None)
        if y is None:
            raise ValueError(f"Labels are missing for {what}: pass y.")
        several = len(self.output_shapes) > 1
        labels = by_position(y, self.output_names, "y") if several else [y]
        first = first_array(x)
        targets = []
        for k, labels_k in enumerate(labels):
            if not isinstance(labels_k, (np.ndarray, list, tuple)):
                raise TypeError(f"The labels of {what} must be a numpy array; got {type(labels_k).__name__}.")
            check_same_length(first, labels_k, "y" if not several else f"y[{self.output_names[k]!r}]")
            loss_k = self.losses[k]
            targets.append(np.asarray(labels_k) if loss_k is None else
                           loss_k.prepare_targets(labels_k, self.output_shapes[k][0], self.dtype))
        if several and class_weight is not None:
            raise ValueError("class_weight is only supported for models with a single output (as in Keras); "
                             "pass sample_weight for each output instead.")
        if several:
            weights = self._output_weights(targets, sample_weight)
            return Dataset(x, tuple(targets), weights)
        n_classes = targets_module.n_classes(self.output_shapes[0][0])
        return Dataset(x, targets[0], sample_weights(targets[0], n_classes, sample_weight, class_weight, self.dtype))

    def _output_weights(self, targets: list, sample_weight):
        """Per-output sample weights: one array for every output, or a list or dict of them (None: unweighted)."""
        if sample_weight is None:
            return None
        if isinstance(sample_weight, dict):  # an output left out is not weighted
            given = by_position({name: sample_weight.get(name) for name in self.output_names} | sample_weight,
                                self.output_names, "sample_weight")
        elif isinstance(sample_weight, (list, tuple)):
            given = by_position(sample_weight, self.output_names, "sample_weight")
        else:
            given = [sample_weight] * len(targets)
        return tuple(None if w is None else sample_weights(t, 1, w, None, self.dtype) for t, w in zip(targets, given))

    def inputs(self, x, what: str = "x"):
        """`x` checked and in the model dtype (no copy when already so); an integer array (uint8
        images) stays as it is when the layer reading it converts it (Rescaling, Normalization).
        With several inputs, a tuple of arrays from a list or a dict keyed by input name."""
        if len(self.input_shapes) == 1:
            return self._one_input(x, 0, what)
        names = self.program.input_names
        arrays = tuple(self._one_input(array, k, f"{what}[{names[k]!r}]")
                       for k, array in enumerate(by_position(x, names, what)))
        for name, array in zip(names[1:], arrays[1:]):
            if array.shape[0] != arrays[0].shape[0]:
                raise ValueError(f"The inputs of {what} must have as many samples each: {names[0]!r} has "
                                 f"{arrays[0].shape[0]}, {name!r} has {array.shape[0]}.")
        return arrays

    def _readers_convert(self, tensor: int) -> bool:
        """True when every step reading the input `tensor` converts integers itself (Rescaling)."""
        readers = [op.step for op in self.program.operations if tensor in op.inputs]
        return bool(readers) and all(getattr(step, "accepts_integer_inputs", False) for step in readers)

    def _one_input(self, x, k: int, what: str) -> np.ndarray:
        return check_inputs(x, self.input_shapes[k], self.dtype, what, self._keeps_integers[k])

    # -- passes ----------------------------------------------------------------------------------
    def _run(self, operations, x, training: bool, wanted: list[int]) -> list:
        """The tensors numbered `wanted` after running `operations` on the inputs `x`."""
        if self.chain:
            for operation in operations:
                x = operation.step.forward(x, training)
            return [x]
        values: list = [None] * self.program.n_tensors
        for tensor, array in zip(self.program.input_ids, x if isinstance(x, tuple) else (x,)):
            values[tensor] = array
        for operation in operations:
            inputs = operation.inputs
            given = [values[i] for i in inputs] if operation.merged else values[inputs[0]]
            values[operation.output] = operation.step.forward(given, training)
        return [values[tensor] for tensor in wanted]

    def forward(self, x, training: bool = False):
        """Every operation applied in turn (fused activations included): the output array, or the
        list of them for several outputs."""
        outputs = self._run(self.program.operations, x, training, self.program.output_ids)
        return outputs if len(outputs) > 1 else outputs[0]

    def loss_and_metrics(self, x, targets, weights, training: bool, metrics=None):
        """Forward pass and loss, and the batch added to every metric (`metrics`, or the training
        ones): ``(data loss, d loss / d output)`` (a list of gradients for several outputs).

        The loss and its gradient are taken at the logits when `fused`; the loss is a numpy
        scalar in the model dtype, the weighted sum of the outputs' losses (the penalty is not
        included: see `penalty`)."""
        if self._one_chain:  # the seed nets' path: nothing but the steps, the loss and the metrics
            output = x
            for step in self._train_layers:
                output = step.forward(output, training)
            loss, grad = self._loss_of(0, output, targets, weights)
            self._update_metrics((output,), (targets,), (weights,), metrics)
            return loss, grad
        outputs = self._run(self._train_operations, x, training, self._train_outputs)
        several = len(outputs) > 1
        if not several:
            targets, weights = (targets,), (weights,)
        elif not isinstance(weights, tuple):
            weights = (weights,) * len(outputs)
        trackers = self._output_losses if metrics is None else metrics[:len(self._output_losses)]
        total, grads = 0.0, []
        for k, output in enumerate(outputs):
            loss, grad = self._loss_of(k, output, targets[k], weights[k])
            if several:
                trackers[k].add(loss, output.shape[0])
            if self.loss_weights[k] != 1.0:
                loss, grad = loss * self.loss_weights[k], grad * self.loss_weights[k]
            total += loss
            grads.append(grad)
        self._update_metrics(outputs, targets, weights, metrics)
        return total, grads if several else grads[0]

    def _loss_of(self, k: int, output, targets, weights):
        """Output `k`'s loss and its gradient (at the logits when fused); 0 without a loss."""
        if self.losses[k] is None:
            return np.zeros((), output.dtype), np.zeros_like(output)
        if self.fused_outputs[k]:
            return self.losses[k].value_and_gradient(output, targets, weights, from_logits=True)
        return self.losses[k].value_and_gradient(output, targets, weights)

    def _update_metrics(self, outputs, targets, weights, metrics) -> None:
        probabilities: dict[int, np.ndarray] = {}  # a fused activation's output, computed once if a metric needs it
        chosen = self.metrics if metrics is None else metrics[len(self._output_losses):]
        for metric, k, weighted in zip(chosen, self._metric_outputs, self._weighted):
            metric_input = outputs[k]
            if self.fused_outputs[k] and not metric.accepts_logits:
                if k not in probabilities:
                    last = self._producers[self.program.output_ids[k]].step
                    probabilities[k] = last.forward(outputs[k])
                metric_input = probabilities[k]
            metric.update_state(targets[k], metric_input, weights[k] if weighted else None)

    def reset_metrics(self, metrics=None) -> None:
        for metric in (self._output_losses + self.metrics) if metrics is None else metrics:
            metric.reset_state()

    def metric_results(self, metrics=None) -> dict:
        """``{log name: result}`` as Python floats (lists of floats for per-class results): with
        several outputs, each output's loss first."""
        chosen = (self._output_losses + self.metrics) if metrics is None else metrics
        return {metric.name: log_value(metric.result()) for metric in chosen}

    def backward(self, grad) -> None:
        """Fill every layer's `grads` with the data loss's gradient, from `grad` = d loss / d output
        (a list of them for several outputs)."""
        for step, flag in self._input_grad_flags:
            step.needs_input_grad = flag
        if self.chain:
            for layer in self._backward_layers:
                grad = layer.backward(grad)
        else:
            self._graph_backward(grad if isinstance(grad, list) else [grad])
        self._store.collect_gradients()
        for call, step in self.program.copies:
            for name, gradient in call.grads.items():
                step.grads[name] += gradient

    def _graph_backward(self, output_grads: list) -> None:
        grads: list[np.ndarray | None] = [None] * self.program.n_tensors
        for tensor, grad in zip(self._train_outputs, output_grads):
            _accumulate(grads, tensor, grad)
        for operation in self._backward_operations:
            grad = grads[operation.output]
            if grad is None:
                continue
            grads[operation.output] = None  # lets the buffer go once read
            input_grads = operation.step.backward(grad)
            if input_grads is None:
                continue
            for tensor, input_grad in zip(operation.inputs, input_grads if operation.merged else (input_grads,)):
                _accumulate(grads, tensor, input_grad)

    def added_loss(self):
        """The sum of what the layers' calls added with ``add_loss`` in the last forward pass (a
        numpy scalar in the model dtype)."""
        total = np.zeros((), self.dtype)
        for step in self._call_steps:
            for loss in step.step_losses:
                total = total + np.asarray(getattr(loss, "value", loss), self.dtype)
        return total

    def penalty(self):
        """Sum of the layers' regularization penalties (a numpy scalar, or 0 without regularizers)."""
        return sum(regularizer.penalty(param) for regularizer, param, _, _ in self._penalties)

    def add_penalty_gradients(self) -> None:
        """Add each penalty's gradient (``2 * lambda * W`` for L2) to the gradient of its weight."""
        for regularizer, param, grad, scratch in self._penalties:
            regularizer.add_gradient(param, grad, scratch)

    def compute_gradients(self, x, targets, weights) -> float:
        """Forward and backward in training mode: the layers' `grads` hold the gradient of the full
        loss J = data loss + penalty + the losses layers added (add_loss); returns J (and the batch is
        added to the metrics)."""
        # The penalty reads every kernel: before the forward products, the last update has just
        # left them in cache; after, the products have pushed them out.
        penalty = self.penalty()
        loss, grad = self.loss_and_metrics(x, targets, weights, training=True)
        added = self.added_loss() if self._call_steps else 0.0
        if self._without_loss and not any(step.step_losses for step in self._call_steps):
            raise ValueError("No loss to compute: compile() was given loss=None and no layer adds one with add_loss. "
                             "Give compile(loss=...).")
        self.backward(grad)
        self.add_penalty_gradients()
        return float(loss + penalty + added)

    def claim_variables(self) -> None:
        """Make the weights' values views into this engine's store again, if another model's engine
        (sharing a layer with this one) took them since."""
        self._store.claim()

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
        batches = BatchGatherer(data, self.evaluation_batch_size(batch_size)).batches(None)
        return self.evaluate_batches(batches, on_batch)

    def evaluate_batches(self, batches, on_batch=None) -> dict:
        """`evaluate` over prepared batches ``(x, targets, weights)`` (those of a `PyDataset` too)."""
        return self.evaluation_results(*self.evaluation_sums(batches, on_batch))

    def evaluation_sums(self, batches, on_batch=None) -> tuple[float, int]:
        """``(the batches' losses times their rows, rows)`` over `batches`, and the states of
        `evaluation_metrics` (reset first): sums that parts of a data set add up to its own."""
        self.reset_metrics(self.evaluation_metrics)
        total, seen = 0.0, 0
        for index, (xb, tb, wb) in enumerate(batches):
            loss, _ = self.loss_and_metrics(xb, tb, wb, training=False, metrics=self.evaluation_metrics)
            total += float(loss + self.added_loss()) * rows(xb)
            seen += rows(xb)
            if on_batch is not None:
                on_batch(index)
        return total, seen

    def evaluation_results(self, total: float, seen: int) -> dict:
        """The logs of `evaluate` from `evaluation_sums` (the metrics' states as they are)."""
        return {"loss": (total / seen if seen else 0.0) + float(self.penalty()),
                **self.metric_results(self.evaluation_metrics)}

    def evaluation_batch_size(self, batch_size: int | None) -> int:
        """The rows per pass of `evaluate` and `predict` (results do not depend on it): `batch_size`,
        or as many (32 to 1024) as keep the largest activation within `EVALUATION_BYTES` — 1024 rows
        of an MLP, 256 of a 32-filter convnet on 32x32 images, whose larger batches leave the cache."""
        return batch_size or self._evaluation_rows

    def predict(self, x, batch_size: int | None = None, on_batch=None):
        """Outputs ``(N, ...)`` of checked inputs `x` (a list of them for several outputs), computed
        `batch_size` rows at a time."""
        batch_size = self.evaluation_batch_size(batch_size)
        n = rows(x)
        outputs = [np.empty((n, *shape), dtype=self.dtype) for shape in self.output_shapes]
        # A file's batches are read ahead (and asked of its disk) as for evaluate; arrays' are views.
        batches = BatchGatherer(Dataset(x, None), batch_size).batches()
        with np.errstate(all="ignore"):  # NaN or inf in x give NaN or inf out, without numpy's warnings
            for index, ((part, _, _), start) in enumerate(zip(batches, range(0, n, batch_size))):
                for output, value in zip(outputs, self._run(self.program.operations, part, False,
                                                            self.program.output_ids)):
                    output[start:start + batch_size] = value
                if on_batch is not None:
                    on_batch(index)
        return outputs if len(outputs) > 1 else outputs[0]


def _accumulate(grads: list, tensor: int, grad: np.ndarray) -> None:
    """Add `grad` to the gradient of `tensor` (a new array: the first may be a layer's buffer)."""
    grads[tensor] = grad if grads[tensor] is None else grads[tensor] + grad


def log_value(value):
    """A metric result as logs hold it: a Python float, or a list of floats for per-class results."""
    if type(value) is float:
        return value
    array = np.asarray(value, dtype=np.float64)
    return float(array) if array.ndim == 0 else array.tolist()
