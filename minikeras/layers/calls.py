r"""Layers written Keras' way: a ``call`` of ops, differentiated by the tape.

A layer that defines ``call(inputs, training=None)`` instead of ``forward``/``backward`` runs in
minikeras' engine like any other step. In training, `forward` records a tape (`minikeras.tape`)
while ``call`` runs on the input batch $x$ (a leaf of the tape), and keeps it; `backward` is
given $\bar{y} = \partial J / \partial y$ and back-propagates it, with a gradient of 1 for each
loss the call added (``self.add_loss``, which $J$ includes), through every op's VJP: the layer
receives the gradient of its output and returns the gradient of its input, as a built-in layer
does, and its ``grads`` hold those of every trainable weight it (and its sublayers) read. In
inference the same ``call`` runs without a tape, on plain arrays.

Inside a call, a sublayer written with ``call`` runs inline on the same tape; a built-in layer
becomes one tape node per step, whose VJP is its own ``backward`` (on a copy of the layer per
call, so that a layer called twice keeps both forward caches). Sublayers are found in the
layer's attributes (directly, or in lists, tuples and dicts), in the order they were set.
"""
from __future__ import annotations

import contextlib
import contextvars
import copy
import functools
import inspect
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import seeding, tape
from ..checks import snake_case
from ..tape import Tensor
from .weights import loading_budget

# The training flag of the call running now: a sublayer called without one inherits it (Keras).
_TRAINING: contextvars.ContextVar[bool | None] = contextvars.ContextVar("training", default=None)
# What the calls running now add with add_loss (the engine step's, its sublayers' included).
_ADDED: contextvars.ContextVar[list | None] = contextvars.ContextVar("added_losses", default=None)
# The generator a sublayer built inside a call draws its initial weights from (its model's).
_BUILD_RNG: contextvars.ContextVar[np.random.Generator | None] = contextvars.ContextVar("build_rng", default=None)


def is_layer(value) -> bool:
    """A minikeras layer or model (what a layer's attributes are searched for)."""
    kind = type(value)
    return hasattr(kind, "steps") and hasattr(kind, "weights") and not isinstance(value, type)


def tracked_items(layer, kind) -> list[tuple[str, Any]]:
    """``(attribute path, item)`` of the items satisfying `kind` held in `layer`'s attributes,
    directly or in lists, tuples and dicts (``"blocks/0"``), in the order they were set."""
    found: list[tuple[str, Any]] = []
    for name, value in vars(layer).items():
        if name in _UNTRACKED:
            continue
        if kind(value):
            found.append((name, value))
        elif isinstance(value, (list, tuple)):
            found.extend((f"{name}/{i}", item) for i, item in enumerate(value) if kind(item))
        elif isinstance(value, dict):
            found.extend((f"{name}/{key}", item) for key, item in value.items() if kind(item))
    return found


# The base class's own bookkeeping, never a user's sublayer.
_UNTRACKED = frozenset({"inbound_nodes", "_taped", "_losses", "grads", "_buffers", "_trainable_variables",
                        "_non_trainable_variables", "_call_step", "_engine", "init_arguments", "_model",
                        "step_losses"})


def sublayers(layer) -> list[tuple[str, Any]]:
    """The layers (and models) `layer` holds, each once, with the attribute path it is found at.
    An unnamed one is named as a model names its layers (``linear``, ``linear_1``, ...)."""
    seen: set[int] = set()
    entries = []
    for path, item in tracked_items(layer, is_layer):
        if id(item) not in seen and item is not layer:
            seen.add(id(item))
            entries.append((path, item))
    _name_unnamed([item for _, item in entries])
    return entries


def _name_unnamed(items) -> None:
    taken = {item.name for item in items if item.name is not None}
    for item in items:
        if item.name is None:
            stem = snake_case(type(item).__name__)
            name, count = stem, 0
            while name in taken:
                count += 1
                name = f"{stem}_{count}"
            taken.add(name)
            item.name = name


def accepts_training(method) -> bool:
    """Whether a (bound) ``call`` takes a `training` argument (Keras passes it only then)."""
    return _takes_training(getattr(method, "__func__", method))


@functools.lru_cache(maxsize=1024)
def _takes_training(function) -> bool:
    parameters = inspect.signature(function).parameters
    return "training" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def note_added_loss(loss) -> None:
    """Count `loss` (given to ``add_loss``) in the engine step running now, if any."""
    added = _ADDED.get()
    if added is not None:
        added.append(loss)


@contextlib.contextmanager
def collecting_losses() -> Iterator[list]:
    """Inside: every ``add_loss`` of the calls that run goes into the list yielded."""
    added: list = []
    token = _ADDED.set(added)
    try:
        yield added
    finally:
        _ADDED.reset(token)


@contextlib.contextmanager
def calling(training: bool | None, rng: np.random.Generator | None) -> Iterator[None]:
    """Inside: the training flag sublayers inherit and the generator they are built with."""
    flag, generator = _TRAINING.set(training), _BUILD_RNG.set(rng)
    try:
        yield
    finally:
        _TRAINING.reset(flag)
        _BUILD_RNG.reset(generator)


def inherited_training(training: bool | None) -> bool | None:
    return _TRAINING.get() if training is None else training


def build_generator() -> np.random.Generator | None:
    return _BUILD_RNG.get()


def call_layer(layer, x, training, args, kwargs):
    """`Layer.__call__` on arrays or tensors: a layer written with ``call`` runs it (inline on the
    tape recording now, if any); a built-in layer's steps run eagerly, or as tape nodes."""
    if not layer.built:
        _build_for(layer, x)
    if layer.written_with_call:
        return run_call(layer, x, training, args, kwargs)
    if args or kwargs:
        raise TypeError(f"{type(layer).__name__} takes the inputs and training only; got {args!r} {sorted(kwargs)}.")
    training = bool(inherited_training(training))
    if recording():
        return record_builtin(layer, x, training)
    batches = [np.asarray(batch, dtype=layer.dtype) for batch in (x if layer.merges else [x])]
    x = batches if layer.merges else batches[0]
    for step in layer.steps():
        x = step.forward(x, training)
    return x.copy()


def _build_for(layer, x) -> None:
    """Build `layer` for the batch `x` (float32 unless it is float64), with the generator of the
    call running now (a sublayer's), else one of `minikeras.seeding`."""
    several = isinstance(x, (list, tuple)) and (layer.merges or layer.written_with_call)
    batches = [value_of(item) for item in x] if several else [value_of(x)]
    shapes: Any = [np.shape(batch)[1:] for batch in batches]
    dtype = np.float64 if any(np.asarray(batch).dtype == np.float64 for batch in batches) else np.float32
    layer.build(shapes if several else shapes[0], build_generator() or seeding.model_generator(None), dtype)


def run_call(layer, inputs, training: bool | None, args=(), kwargs=None):
    """``layer.call(inputs, *args, training=..., **kwargs)`` with the layer's losses cleared first."""
    layer.clear_losses()
    kwargs = dict(kwargs or {})
    training = inherited_training(training)
    if accepts_training(layer.call):
        kwargs["training"] = training
    with calling(training, layer.generator):
        return layer.call(inputs, *args, **kwargs)


def value_of(x):
    """The array behind a tensor, a variable or an array-like."""
    if isinstance(x, Tensor):
        return x.value
    return x.value if hasattr(x, "assign") else np.asarray(x)


def recording() -> bool:
    """Whether a tape records now (a layer's or model's call in training): a built-in layer or a
    model called then runs on the tape, even on a constant input, so that its weights get their
    gradients."""
    return tape.current() is not None


def with_sublayer_entries(layer, entries: list) -> list:
    """`entries` ``(key, variable)`` of a layer's own weights, then the variables set directly as
    its attributes and its sublayers' weights (``"<attribute>/<key>"``), each variable once."""
    seen = {id(variable) for _, variable in entries}
    found = list(entries)

    def add(key, variable):
        if id(variable) not in seen:
            seen.add(id(variable))
            found.append((key, variable))

    for key, variable in attribute_variables(layer):
        add(key, variable)
    for path, sublayer in sublayers(layer):
        inner = sublayer.weight_entries() if hasattr(sublayer, "weight_entries") else \
            [(variable.path, variable) for variable in sublayer.weights]
        for key, variable in inner:
            add(f"{path}/{key}", variable)
    return found


def attribute_variables(layer) -> list[tuple[str, Any]]:
    """``(attribute path, Variable)`` of the variables set directly as the layer's attributes."""
    return tracked_items(layer, lambda item: hasattr(item, "assign") and hasattr(item, "regularizer"))


def output_shape_of(layer, input_shape, declared: bool):
    """The per-sample output shape of a layer written with ``call``: its ``compute_output_shape``
    when it defines one (`declared`), else the shape ``call`` gives on a batch of zeros (run on a
    copy when the layer is not built yet, so that building it is left to its model)."""
    several = isinstance(input_shape, list)
    if declared:
        full = layer.compute_output_shape([(None, *s) for s in input_shape] if several else (None, *input_shape))
        return tuple(full)[1:]
    probe = layer if layer.built else _probe_copy(layer)
    if not probe.built:
        probe.build(input_shape, np.random.default_rng(0), layer.dtype)
    return tuple(np.shape(as_arrays(single_output(layer, run_on_zeros(probe, input_shape)))))[1:]


def run_on_zeros(layer, input_shape):
    """The output of ``call`` in inference on a batch of two zeros, which builds the sublayers it
    calls; the layer's non-trainable weights are restored after and its added losses dropped."""
    several = isinstance(input_shape, list)
    shapes = [(2, *s) for s in input_shape] if several else [(2, *input_shape)]
    budget = loading_budget()
    needed = sum(int(np.prod(shape)) for shape in shapes) * layer.dtype.itemsize
    if budget is not None and needed > budget[0]:  # a file's architecture: no more than the file could hold
        raise ValueError(f"layer {layer.name!r} would be called on inputs of shapes {shapes}, more bytes than the "
                         f"file can describe")
    zeros = [np.zeros(shape, layer.dtype) for shape in shapes]
    zeros = zeros if several else zeros[0]
    kept = [(variable, variable.numpy()) for variable in layer.non_trainable_weights]
    try:
        with tape.paused(), np.errstate(all="ignore"):
            output = run_call(layer, zeros, False)
    finally:
        for variable, saved in kept:
            variable.assign(saved)
        layer.clear_losses()
    return output


def _probe_copy(layer):
    """A deep copy of an unbuilt layer to build and call, without the graph it is part of."""
    memo: dict[int, Any] = {id(layer.inbound_nodes): []}
    for _, sublayer in sublayers(layer):
        memo[id(sublayer.inbound_nodes)] = []
    return copy.deepcopy(layer, memo)


def _watch(batch):
    return [tape.watch(item) for item in batch] if isinstance(batch, list) else tape.watch(batch)


def as_arrays(output):
    """An output of ``call`` as numpy arrays (tensors' values; a tuple or list stays one)."""
    if isinstance(output, (list, tuple)):
        return type(output)(as_arrays(item) for item in output)
    return output.value if isinstance(output, Tensor) else np.asarray(output)


def single_output(layer, output):
    """The one output a step of a model gives; a clear error for a call returning several."""
    if isinstance(output, (list, tuple)):
        raise ValueError(f"Layer {layer.name!r} ({type(layer).__name__}) returned {len(output)} tensors from call; a "
                         f"layer of a Sequential or functional model returns one. Call it inside another layer's "
                         f"or a subclassed model's call instead.")
    return output


def taped_forward(layer, x, training: bool):
    """The engine's forward of a layer written with ``call``: recorded on a tape in training."""
    if not training:
        with tape.paused(), collecting_losses() as added:
            output = single_output(layer, run_call(layer, x, False))
        layer._taped, layer.step_losses = None, added
        return np.asarray(as_arrays(output), dtype=layer.dtype)
    with tape.recording() as call_tape, collecting_losses() as added:
        # The first trained layer's input is a constant: no VJP computes a gradient nobody reads.
        leaves = _watch(x) if layer.needs_input_grad else x
        output = single_output(layer, run_call(layer, leaves, True))
    layer._taped, layer.step_losses = (call_tape, leaves, output, added), added
    return np.asarray(as_arrays(output), dtype=layer.dtype)


def taped_backward(layer, grad_out):
    """Back-propagate `grad_out` (and 1 for each added loss) through the tape of the last forward:
    fills ``layer.grads`` (every trainable weight, sublayers' included) and returns the input's
    gradient (a list of them for several inputs)."""
    if layer._taped is None:
        raise RuntimeError(f"Layer {layer.name!r}: backward needs a forward pass in training mode first.")
    call_tape, leaves, output, losses = layer._taped
    seeds = [(output, grad_out)] if isinstance(output, Tensor) else []
    seeds += [(loss, np.ones((), dtype=loss.value.dtype)) for loss in losses if isinstance(loss, Tensor)]
    grads = call_tape.gradients(seeds)
    for key, variable in layer.trainable_weight_entries():
        entry = call_tape.variable_leaves.get(id(variable))
        found = grads.get(id(entry[1])) if entry is not None else None
        layer.grads[key] = np.zeros(variable.shape, layer.dtype) if found is None else found
    if not layer.needs_input_grad or not (isinstance(leaves, Tensor) or isinstance(leaves, list)
                                         and all(isinstance(leaf, Tensor) for leaf in leaves)):
        return None
    inputs = leaves if isinstance(leaves, list) else [leaves]
    input_grads = [np.asarray(grads.get(id(leaf), np.zeros_like(leaf.value)), dtype=layer.dtype) for leaf in inputs]
    return input_grads if isinstance(leaves, list) else input_grads[0]


def record_builtin(layer, x, training: bool):
    """A built-in layer called inside a recorded call: each step becomes a tape node whose VJPs
    run the step's own `backward` (on a copy made for this call) and hand out its gradients."""
    active = tape.current()
    for step in layer.steps():
        x = _record_step(step, x, training, active)
    return x


def _record_step(step, x, training, active):
    """One step of a built-in layer as a node of the tape `active`."""
    own = step.call_copy()
    own.needs_input_grad = True
    inputs = x if isinstance(x, list) else [x]
    values = [item.value if isinstance(item, Tensor) else np.asarray(item, dtype=step.dtype) for item in inputs]
    output = own.forward(values if step.merges else values[0], training)
    output = np.array(output)  # the step's buffer is reused by its next call
    done: dict[str, Any] = {}

    def backward_once(g):
        if "input" not in done:
            result = own.backward(np.asarray(g, dtype=step.dtype))
            done["input"] = result if isinstance(result, list) else [result]
            done["grads"] = {name: np.array(grad) for name, grad in own.grads.items()}
        return done

    vjps = [lambda g, k=k: backward_once(g)["input"][k] for k in range(len(inputs))]
    parents = list(inputs)
    for name, variable in step.trainable_weight_entries():
        if variable.trainable:
            parents.append(active.leaf(variable))
            vjps.append(lambda g, name=name: backward_once(g)["grads"][name])
    return tape.result(output, tuple(parents), tuple(vjps))


def record_program(model, x, training: bool):
    """A model (`Sequential` or functional) called inside a recorded call: its operations run on
    the tape, each step as `Layer.__call__` runs it there."""
    program = model.engine.program
    inputs = x if isinstance(x, (list, tuple)) else [x]
    values: dict[int, Any] = dict(zip(program.input_ids, inputs))
    for operation in program.operations:
        given = [values[i] for i in operation.inputs] if operation.merged else values[operation.inputs[0]]
        step = operation.step
        values[operation.output] = run_call(step, given, training) if step.written_with_call else \
            _record_step(step, given, training, tape.current())
    outputs = [values[i] for i in program.output_ids]
    return outputs if len(outputs) > 1 else outputs[0]


def shallow_call_copy(layer):
    """A copy of `layer` sharing its weights, with its own gradients, buffers and tape."""
    call = copy.copy(layer)
    call.grads = {name: np.zeros_like(value) for name, value in layer.grads.items()}
    call._buffers = {}
    call._taped = None
    return call


def takes_shape_only(build) -> bool:
    """Whether a ``build`` is Keras' ``build(self, input_shape)``."""
    parameters = list(inspect.signature(build).parameters.values())[1:]
    return len(parameters) == 1 and parameters[0].kind in (inspect.Parameter.POSITIONAL_ONLY,
                                                           inspect.Parameter.POSITIONAL_OR_KEYWORD)


def keras_build(user_build):
    """Keras' ``build(self, input_shape)`` as minikeras' ``build(input_shape, rng, dtype)``: models
    call it with the per-sample shape and a generator; a user with Keras' shape ``(None, ...)``.
    The user's build gets Keras' shape and draws its weights from the model's generator."""

    @functools.wraps(user_build)
    def build(self, input_shape, rng=None, dtype=None):
        if getattr(self, "_keras_building", False):  # a subclass's build calling super().build(input_shape)
            return user_build(self, input_shape)
        per_sample = input_shape if rng is not None else _without_batch_axis(input_shape)
        self.prepare_build(per_sample, rng, dtype)
        self._keras_building = True
        try:
            with calling(None, self.generator):
                user_build(self, _with_batch_axis(self.input_shape))
        finally:
            self._keras_building = False
        self.built = True
        run_on_zeros(self, self.input_shape)  # builds the sublayers its call uses

    return build


def _without_batch_axis(shape):
    return [tuple(s)[1:] for s in shape] if isinstance(shape, list) else tuple(shape)[1:]


def _with_batch_axis(shape):
    return [(None, *s) for s in shape] if isinstance(shape, list) else (None, *shape)


def auto_config(obj) -> dict:
    """Keras' automatic config of a layer or model written Keras' way: the arguments its
    ``__init__`` was given (recorded by ``__new__``), when they are plain JSON values; else
    NotImplementedError, as Keras says it."""
    args, kwargs = obj.init_arguments
    try:
        bound = inspect.signature(type(obj).__init__).bind(obj, *args, **kwargs)
        config = dict(bound.arguments)
    except TypeError:
        config = dict(kwargs)
    config.pop("self", None)
    for name, parameter in inspect.signature(type(obj).__init__).parameters.items():
        if parameter.kind is parameter.VAR_KEYWORD and isinstance(config.get(name), dict):
            config.update(config.pop(name))
    if not _plain(config):
        raise NotImplementedError(
            f"{type(obj).__name__} {obj.name!r} cannot be serialized: its __init__ was given arguments that are not "
            f"plain values ({sorted(config)}). Override get_config() (and from_config() if needed), as in Keras.")
    return config


def _plain(value) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))
