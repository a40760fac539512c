r"""Reverse-mode automatic differentiation: the tape and its `Tensor`.

While a tape records (`recording`), every op (`minikeras.ops`) whose inputs include a tracked
`Tensor` returns a new `Tensor` that remembers those inputs and, for each, its vector-Jacobian
product (VJP): the function $\bar{x} = \bar{y}\,\partial y / \partial x$ that turns the gradient
of the loss with respect to the op's output into the gradient with respect to that input.
Inputs that are plain arrays are constants: no VJP runs for them, and an op with no tracked
input returns a plain numpy array, as every op does when no tape records (inference costs
nothing extra).

The tape is the list of tracked tensors in the order they were made, which is a topological
order. `gradients` walks it backwards: each tensor's accumulated gradient goes through its
VJPs into its inputs' gradients (chain rule; a tensor read twice gets the sum). A trainable
`Variable` read while a tape records becomes a leaf tensor of that tape, so its gradient is
there at the end.
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator

import numpy as np

OPERATORS: dict[str, Callable] = {}
"""The ops behind Python's operators on tensors and variables (``"add"`` for ``+``, ...), filled
by `minikeras.ops` when it is imported."""


class Tensor:
    """An array the current tape tracks: `value` (a numpy array) and how it was computed.

    Ops, operators (``+ - * / @ ** //``, unary minus, comparisons), indexing and slicing work on
    it as on Keras tensors. ``np.asarray(tensor)`` and `numpy` give its value, outside the tape.
    """

    __slots__ = ("value", "parents", "vjps")
    __array_priority__ = 200  # ndarray op Tensor defers to Tensor's reflected operator

    def __init__(self, value: np.ndarray, parents: tuple[Tensor, ...] = (), vjps: tuple[Callable, ...] = ()):
        self.value = value
        self.parents = parents
        self.vjps = vjps

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> str:
        return self.value.dtype.name

    @property
    def ndim(self) -> int:
        return self.value.ndim

    @property
    def size(self) -> int:
        return self.value.size

    @property
    def T(self):  # noqa: N802 - numpy's and torch's name
        return OPERATORS["transpose"](self)

    def numpy(self) -> np.ndarray:
        """A copy of the value (no gradient flows through it)."""
        return self.value.copy()

    def __array__(self, dtype=None, copy=None):
        return np.array(self.value, dtype=dtype, copy=copy)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        """``np.exp(tensor)`` runs the op of the same name (tracked); other numpy uses are refused
        rather than silently dropping the gradient."""
        op = OPERATORS.get(ufunc.__name__)
        if method != "__call__" or kwargs or op is None:
            raise TypeError(f"numpy's {ufunc.__name__}.{method} cannot compute on a tracked Tensor (its gradient "
                            f"would be lost); use minikeras.ops (keras.ops) instead.")
        return op(*inputs)

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self) -> Iterator:
        return (self[i] for i in range(len(self.value)))

    def __getitem__(self, index):
        return OPERATORS["get_item"](self, index)

    def __repr__(self) -> str:
        return f"<Tensor shape={self.shape}, dtype={self.dtype}, value={self.value!r}>"

    def __bool__(self) -> bool:
        return bool(self.value)

    def __float__(self) -> float:
        return float(self.value)

    def __int__(self) -> int:
        return int(self.value)

    def __hash__(self) -> int:
        return id(self)

    def __neg__(self):
        return OPERATORS["negative"](self)

    def __pos__(self):
        return self

    def __abs__(self):
        return OPERATORS["absolute"](self)

    def __invert__(self):
        return OPERATORS["logical_not"](self)


_OPERATOR_OPS = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide", "floordiv": "floor_divide",
                 "mod": "mod", "pow": "power", "matmul": "matmul", "and": "logical_and", "or": "logical_or",
                 "xor": "logical_xor"}
_COMPARISONS = {"lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal", "eq": "equal",
                "ne": "not_equal"}


def _forward_operator(op: str):
    return lambda self, other: OPERATORS[op](self, other)


def _reflected_operator(op: str):
    return lambda self, other: OPERATORS[op](other, self)


def define_operators(cls: type, comparisons: tuple[str, ...]) -> None:
    """Give `cls` Python's arithmetic operators (both sides) and the `comparisons` named, each
    calling the op of its name in `OPERATORS` (used for `Tensor` and `Variable`)."""
    for dunder, op in _OPERATOR_OPS.items():
        setattr(cls, f"__{dunder}__", _forward_operator(op))
        setattr(cls, f"__r{dunder}__", _reflected_operator(op))
    for dunder in comparisons:
        setattr(cls, f"__{dunder}__", _forward_operator(_COMPARISONS[dunder]))


define_operators(Tensor, tuple(_COMPARISONS))


class Tape:
    """The tracked tensors of one recording, in the order they were made, and the leaf tensor of
    each trainable variable read during it."""

    def __init__(self):
        self.tensors: list[Tensor] = []
        self.variable_leaves: dict[int, tuple[object, Tensor]] = {}

    def leaf(self, variable) -> Tensor:
        """The tensor standing for `variable` on this tape (made at its first read)."""
        entry = self.variable_leaves.get(id(variable))
        if entry is None:
            entry = self.variable_leaves[id(variable)] = (variable, Tensor(variable.value))
        return entry[1]

    def gradients(self, seeds: list[tuple[Tensor, np.ndarray]]) -> dict[int, np.ndarray]:
        """``{id(leaf): d loss / d leaf}`` for the leaves (inputs, variables) the seeds depend on,
        where the loss is ``sum(<seed tensor, seed gradient>)``: back-propagation through every
        recorded VJP."""
        grads: dict[int, np.ndarray] = {}
        for tensor, grad in seeds:
            _accumulate(grads, tensor, grad)
        for tensor in reversed(self.tensors):
            upstream = grads.pop(id(tensor), None)  # an intermediate's gradient is not needed once passed on
            if upstream is None:
                continue
            for parent, vjp in zip(tensor.parents, tensor.vjps):
                _accumulate(grads, parent, vjp(upstream))
        return grads


def _accumulate(grads: dict[int, np.ndarray], tensor: Tensor, grad) -> None:
    if grad is None:
        return
    grad = np.asarray(grad, dtype=tensor.value.dtype) if np.ndim(grad) == 0 else grad
    if grad.shape != tensor.value.shape:
        grad = np.broadcast_to(grad, tensor.value.shape)
    key = id(tensor)
    previous = grads.get(key)
    grads[key] = grad if previous is None else previous + grad


_TAPE: contextvars.ContextVar[Tape | None] = contextvars.ContextVar("tape", default=None)


def current() -> Tape | None:
    """The tape recording now, or None."""
    return _TAPE.get()


@contextlib.contextmanager
def recording(tape: Tape | None = None) -> Iterator[Tape]:
    """Record the ops run inside on `tape` (a new one by default); yields it."""
    tape = Tape() if tape is None else tape
    token = _TAPE.set(tape)
    try:
        yield tape
    finally:
        _TAPE.reset(token)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Nothing inside is recorded (``ops.stop_gradient`` and eager calls use it)."""
    token = _TAPE.set(None)
    try:
        yield
    finally:
        _TAPE.reset(token)


def watch(value: np.ndarray) -> Tensor:
    """A new leaf tensor of the current tape holding `value` (a layer's input)."""
    return Tensor(value)


def result(value, inputs: tuple, vjps: tuple[Callable, ...]):
    """The output of an op: `value` itself when no input is a tracked tensor (or nothing records),
    else a tensor recorded on the tape with the VJPs of its tracked inputs."""
    tape = _TAPE.get()
    if tape is None:
        return value
    parents, used = [], []
    for item, vjp in zip(inputs, vjps):
        if type(item) is Tensor and vjp is not None:
            parents.append(item)
            used.append(vjp)
    if not parents:
        return value
    tensor = Tensor(np.asarray(value), tuple(parents), tuple(used))
    tape.tensors.append(tensor)
    return tensor
