"""Symbolic tensors and the program the engine runs (Keras' functional API, underneath).

Calling a layer on `KerasTensor`s (``y = Dense(8)(x)``) computes nothing: it records a `Node`
(the layer, the tensors it read) and returns a new `KerasTensor` of the inferred shape. A model
then turns its graph of nodes into a `Program`: the built layers' steps as a flat list of
operations ``(step, input tensor ids, output tensor id)`` in an order where every input is
computed before it is read. A Sequential model is a program of one chain; a model used as a
layer inside another emits its own operations into the outer program.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .checks import shown
from .tape import OPERATORS, define_operators


class KerasTensor:
    """A symbolic tensor: what ``keras.Input`` returns and calling a layer on one gives.

    Attributes
    ----------
    shape : tuple
        Keras' ``(None, *per-sample shape)``: the batch size is left open.
    dtype : str
    name : str
    node : Node
        The layer call that produces it (for an input: its `InputLayer`'s node).
    """

    node: Node  # set by the Node that makes it

    def __init__(self, shape: tuple, dtype: str, name: str):
        self.shape = (None, *shape)
        self.dtype = dtype
        self.name = name

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return self.shape[1:]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __getitem__(self, index):
        return OPERATORS["get_item"](self, index)

    def __neg__(self):
        return OPERATORS["negative"](self)

    def __array__(self, *args, **kwargs):
        raise SymbolicInput(f"{self!r} is symbolic: it has no values. Build a model from it "
                            f"(keras.Model(inputs, outputs)) and call the model on arrays.")


class SymbolicInput(TypeError):
    """A symbolic tensor met where values are needed (`minikeras.ops` then records a layer call)."""


# Operators on symbolic tensors run the ops, which record layer calls (``inputs * 2.0``).
define_operators(KerasTensor, ("lt", "le", "gt", "ge"))


class Node:
    """One call of `layer` on `inputs` (a list of KerasTensors; `merged`: given as a list, as merge
    layers take them), producing `output`."""

    def __init__(self, layer, inputs: list[KerasTensor], merged: bool, output: KerasTensor):
        self.layer, self.inputs, self.merged, self.output = layer, inputs, merged, output
        output.node = self
        layer.inbound_nodes.append(self)

    @property
    def input_shapes(self):
        """The per-sample shape of the input, or the list of them for a merged call."""
        shapes = [tensor.sample_shape for tensor in self.inputs]
        return shapes if self.merged else shapes[0]


def is_symbolic(value) -> bool:
    """True for a KerasTensor or a (non-empty) list or tuple holding one."""
    if isinstance(value, KerasTensor):
        return True
    return isinstance(value, (list, tuple)) and any(isinstance(item, KerasTensor) for item in value)


def call_symbolically(layer, value) -> KerasTensor:
    """Record the call of `layer` on the KerasTensor(s) `value` and return its symbolic output.

    The shapes are checked now (a ValueError names the layer and the shapes); the layer is built
    by the model made from the graph, with the model's generator."""
    merged = isinstance(value, (list, tuple))
    if merged and len(value) == 1 and not layer.takes_several_inputs():
        value, merged = value[0], False
    tensors = list(value) if merged else [value]
    for item in tensors:
        if not isinstance(item, KerasTensor):
            raise TypeError(f"Layer {layer.name or type(layer).__name__!r} was called on a mix of symbolic tensors and "
                            f"{shown(item)} while building a functional model: call layers on the tensors that "
                            f"keras.Input and other layers return.")
    what = f"Layer {layer.name or type(layer).__name__!r} ({type(layer).__name__})"
    several = layer.takes_several_inputs()
    if several is not None and merged != several:
        raise ValueError(f"{what} takes " + ("a list of tensors" if not merged else "one tensor") +
                         f"; got {len(tensors) if merged else 'one'}" + (" in a list." if merged else "."))
    input_shapes = [tensor.sample_shape for tensor in tensors]
    shape_given = input_shapes if merged else input_shapes[0]
    earlier = layer.inbound_nodes[0].input_shapes if layer.inbound_nodes else None
    expected = earlier if earlier is not None else layer.built_input_shape() if layer.built else None
    if expected is not None and _as_shapes(expected) != _as_shapes(shape_given):
        raise ValueError(f"{what} is shared: it was built for inputs of per-sample shape {expected} and is now "
                         f"called on {shape_given}. A shared layer takes inputs of one shape.")
    try:
        output_shape = layer.call_output_shape(shape_given)
    except ValueError as error:
        raise ValueError(f"{what} cannot take inputs of per-sample shape {shape_given}: {error}") from None
    output = KerasTensor(output_shape, tensors[0].dtype, name=f"{layer.name or type(layer).__name__.lower()}_output")
    Node(layer, tensors, merged, output)
    return output


def keras_order(outputs: list, parents, owner) -> tuple[list, list]:
    """``(nodes, owners)`` of a graph of calls, ordered as Keras orders them (its ``map_graph``):
    the nodes depth first from `outputs`, each after its `parents(node)`; the owners (layers) by
    decreasing depth from the outputs, ties in the order a depth-first walk from the outputs first
    meets them. Keras numbers a file's weight groups in this order."""
    post_order: list = []
    first_met: dict = {}
    finished: set = set()
    for output in outputs:
        stack = [(output, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                finished.add(node)
                post_order.append(node)
            elif node not in finished:
                first_met.setdefault(owner(node), len(first_met))
                stack.append((node, True))
                stack.extend((parent, False) for parent in reversed(parents(node)) if parent not in finished)
    node_depth: dict = {}
    owner_depth: dict = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(node, 0), owner_depth.get(owner(node), 0))
        owner_depth[owner(node)] = node_depth[node] = depth
        for parent in parents(node):
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    owners = sorted(first_met, key=lambda item: (-owner_depth[item], first_met[item]))
    return post_order, owners


def _as_shapes(shape):
    return [tuple(s) for s in shape] if shape and isinstance(shape[0], (list, tuple)) else tuple(shape)


@dataclass
class Operation:
    """One step run on the tensors numbered `inputs` (a list of them when `merged`), writing tensor `output`."""

    step: object
    inputs: tuple[int, ...]
    output: int
    merged: bool = False


@dataclass
class Program:
    """What the engine runs: `operations` over numbered tensors, from `input_ids` to `output_ids`.

    `layers` are the leaf layers in order of first use (each once: they hold the weights);
    `copies` pairs each extra call of a shared step with the step whose weights it uses, so that
    the engine sums their gradients."""

    input_shapes: list[tuple[int, ...]]
    operations: list[Operation] = field(default_factory=list)
    input_ids: list[int] = field(default_factory=list)
    output_ids: list[int] = field(default_factory=list)
    layers: list = field(default_factory=list)
    copies: list = field(default_factory=list)
    n_tensors: int = 0
    input_names: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.input_ids = [self.new_tensor() for _ in self.input_shapes]
        self._steps_used: set[int] = set()

    def new_tensor(self) -> int:
        self.n_tensors += 1
        return self.n_tensors - 1

    def add_layer(self, layer, inputs: tuple[int, ...], merged: bool = False) -> int:
        """Append the operations of every step of `layer` reading `inputs`; returns the output's id."""
        if layer not in self.layers:
            self.layers.append(layer)
        for step in layer.steps():
            output = self.new_tensor()
            self.operations.append(Operation(self._own_call(step), inputs, output, merged))
            inputs, merged = (output,), False
        return inputs[0]

    def _own_call(self, step):
        """`step`, or for its second and later calls a copy sharing its weights (each call keeps its
        own forward cache and gradients)."""
        if id(step) not in self._steps_used:
            self._steps_used.add(id(step))
            return step
        call = step.call_copy()
        self.copies.append((call, step))
        return call

    @classmethod
    def chain(cls, layers, input_shape: tuple[int, ...]) -> Program:
        """The program of a stack of built layers, each reading the previous one's output."""
        program = cls([tuple(input_shape)])
        tensor = program.input_ids[0]
        for layer in layers:
            tensor = program.add_layer(layer, (tensor,))
        program.output_ids = [tensor]
        return program

    @property
    def is_chain(self) -> bool:
        """One input, one output, each operation reading the one before and no shared step."""
        expected = self.input_ids[0]
        for operation in self.operations:
            if operation.merged or operation.inputs != (expected,):
                return False
            expected = operation.output
        return len(self.input_ids) == 1 and self.output_ids == [expected] and not self.copies

    def producers(self) -> dict[int, Operation]:
        return {operation.output: operation for operation in self.operations}
