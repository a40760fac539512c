"""Keras' functional model: ``Model(inputs, outputs)`` over a graph of layer calls.

``x = Input(shape=(20,)); h = Dense(64, activation="relu")(x); model = Model(x, Dense(3)(h))``:
the layer calls recorded on the symbolic tensors (`minikeras.graph`) become the model. The
graph may have several inputs and outputs (a list or a dict of tensors for each), merge layers,
skip connections, layers called more than once (one set of weights) and models used as layers.
"""
from __future__ import annotations

import json

from .graph import KerasTensor, Node, Program, call_symbolically, keras_order
from .graph_config import call_merged, call_reads, end_references, input_shape_of, tensor_key
from .layers.base import registry as layer_registry
from .layers.input import Input, InputLayer
from .model import Model
from .registry import custom_object_scope, serialize
from .version import __version__


def _structure(value, what: str) -> tuple[list[str] | None, list[KerasTensor]]:
    """``(dict keys or None, tensors)`` of a tensor, a list of them or a dict of them."""
    keys = None
    if isinstance(value, dict):
        keys, value = [str(key) for key in value], list(value.values())
    tensors = list(value) if isinstance(value, (list, tuple)) else [value]
    if not tensors:
        raise ValueError(f"A functional model needs at least one tensor in {what}; got none.")
    for tensor in tensors:
        if not isinstance(tensor, KerasTensor):
            raise TypeError(f"The {what} of a functional model must be symbolic tensors (from keras.Input and layer "
                            f"calls); got {type(tensor).__name__}: {tensor!r:.80}.")
    if len({id(tensor) for tensor in tensors}) != len(tensors):
        raise ValueError(f"The {what} of a functional model list the same tensor twice.")
    return keys, tensors


def graph_nodes(inputs: list[KerasTensor], outputs: list[KerasTensor]) -> tuple[list[Node], list]:
    """``(calls, layers)``: the layer calls between `inputs` and `outputs` (input layers left out),
    each after the calls it reads, and the layers in Keras' order (`keras_order`). ValueError for
    an output that needs an input the model does not list, and for an input no output reads."""
    input_nodes = {tensor.node for tensor in inputs}

    def parents(node: Node) -> list[Node]:
        return [] if node in input_nodes else [tensor.node for tensor in node.inputs]

    nodes, layers = keras_order([tensor.node for tensor in outputs], parents, lambda node: node.layer)
    for node in nodes:
        if not node.inputs and node not in input_nodes:
            raise ValueError(f"An output is not connected to the model's inputs: it needs the input "
                             f"{node.layer.name or 'input'!r} of shape {node.output.shape}, which is not among "
                             f"them. Pass it in inputs.")
    unused = [tensor.name for tensor in inputs if tensor.node not in nodes]
    if unused:
        raise ValueError(f"The model's input(s) {unused} reach no output: every input must be read on the way to an "
                         f"output.")
    return [node for node in nodes if node not in input_nodes], layers


class Functional(Model, kind="functional"):
    """A model over the graph of layer calls from `inputs` to `outputs` (Keras' ``Model(inputs, outputs)``).

    Parameters
    ----------
    inputs : KerasTensor, list or dict of them
        What ``keras.Input`` returned; data is then given in the same form (a dict keyed by these
        keys, or by the inputs' names).
    outputs : KerasTensor, list or dict of them
        Tensors computed from the inputs; `predict` returns them in the same form, and
        losses, metrics and labels go per output as a list or a dict keyed by output name.
    name : str, optional
    seed : int, optional
        Seed of the model's generator, which draws the weights of the layers it builds, and
        shuffles, splits and drops out during `fit`.
    dtype : {"float32", "float64"}, optional

    Attributes
    ----------
    layers : list
        Every layer once, the input layers first, in Keras' order (by depth from the outputs).
    inputs, outputs : list of KerasTensor
    input_names, output_names : list of str
        Keys of data given as dicts, and of the per-output logs (``"out_a_loss"``).
    """

    def __init__(self, inputs, outputs, name: str | None = None, *, seed: int | None = None,
                 dtype: str | None = None, trainable: bool = True):
        self._init_model(name, "functional", seed, dtype, trainable)
        self._input_keys, self.inputs = _structure(inputs, "inputs")
        self._output_keys, self.outputs = _structure(outputs, "outputs")
        for tensor in self.inputs:
            if not isinstance(tensor.node.layer, InputLayer):
                raise ValueError(f"The inputs of a functional model must be keras.Input(...) tensors; {tensor.name!r} "
                                 f"is the output of layer {tensor.node.layer.name!r}.")
        self._nodes, ordered = graph_nodes(self.inputs, self.outputs)
        self.layers: list = []
        for layer in ordered:
            self._add_layer(layer)
        for node in self._nodes:
            if not node.layer.built:
                node.layer.build(node.input_shapes, self._rng, self.dtype)
        if not trainable:
            self.trainable = False

    def _add_layer(self, layer) -> None:
        self._name_layer(layer)
        self.layers.append(layer)
        self._layer_names.add(str(layer.name))

    # -- shape and names -------------------------------------------------------------------------
    @property
    def built(self) -> bool:
        return True

    def _require_built(self, x=None) -> None:
        return None

    def build(self, input_shape=None, rng=None, dtype=None) -> None:
        """Nothing to do: a functional model is built when it is made (as in Keras)."""

    @property
    def input_names(self) -> list[str]:
        return self._input_keys or [str(tensor.node.layer.name) for tensor in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return self._output_keys or [str(tensor.node.layer.name) for tensor in self.outputs]

    @property
    def input(self):
        """Keras' ``model.input``: the input tensor, or the list (or dict) of them."""
        return self._given(self._input_keys, self.inputs)

    @property
    def output(self):
        """Keras' ``model.output``: the output tensor, or the list (or dict) of them."""
        return self._given(self._output_keys, self.outputs)

    @staticmethod
    def _given(keys, tensors):
        if keys is not None:
            return dict(zip(keys, tensors))
        return tensors if len(tensors) > 1 else tensors[0]

    @property
    def input_shape(self):
        """Keras' ``(None, ...)`` of the input, or a list of them for several."""
        shapes = [tensor.shape for tensor in self.inputs]
        return shapes if len(shapes) > 1 else shapes[0]

    @property
    def output_shape(self):
        shapes = [tensor.shape for tensor in self.outputs]
        return shapes if len(shapes) > 1 else shapes[0]

    def built_input_shape(self):
        shapes = [tensor.sample_shape for tensor in self.inputs]
        return shapes if len(shapes) > 1 else shapes[0]

    def built_output_shape(self) -> tuple[int, ...]:
        if len(self.outputs) > 1:
            raise ValueError(f"Model {self.name!r} has {len(self.outputs)} outputs; a model used as a layer (or "
                             f"summarized as one) has one here.")
        return self.outputs[0].sample_shape

    def call_output_shape(self, input_shape) -> tuple[int, ...]:
        expected = self.built_input_shape()
        if input_shape != expected:
            raise ValueError(f"model {self.name!r} takes inputs of per-sample shape {expected}")
        return self.built_output_shape()

    def structured(self, outputs):
        """Outputs as the model was given them: a dict for dict outputs, else the array or the list."""
        if self._output_keys is not None:
            return dict(zip(self._output_keys, outputs if isinstance(outputs, list) else [outputs]))
        return outputs

    def connections(self) -> dict[str, list[str]]:
        """``{layer name: what its calls read}``, as Keras' summary writes it (``"dense[0][0]"``)."""
        names = self.node_names()
        found: dict[str, list[str]] = {}
        for node in self._nodes:
            found.setdefault(str(node.layer.name), []).extend(
                f"{names[id(tensor)][0]}[{names[id(tensor)][1]}][0]" for tensor in node.inputs)
        return found

    # -- the engine's program --------------------------------------------------------------------
    def _program(self) -> Program:
        program = Program([tensor.sample_shape for tensor in self.inputs], input_names=self.input_names)
        program.output_ids = self._emit_graph(program, program.input_ids)
        return program

    def _emit_graph(self, program: Program, input_ids) -> list[int]:
        tensors = {id(tensor): tensor_id for tensor, tensor_id in zip(self.inputs, input_ids)}
        for node in self._nodes:
            reads = tuple(tensors[id(tensor)] for tensor in node.inputs)
            tensors[id(node.output)] = node.layer.emit(program, reads, node.merged)
        return [tensors[id(tensor)] for tensor in self.outputs]

    def emit(self, program: Program, inputs: tuple[int, ...], merged: bool = False) -> int:
        self.built_output_shape()  # one output
        for layer in self.leaf_layers():
            if layer not in program.layers:
                program.layers.append(layer)
        return self._emit_graph(program, inputs)[0]

    def graph_calls(self) -> list[Node]:
        """The layer calls of the graph (input layers excluded), each after those it reads."""
        return list(self._nodes)

    # -- config ----------------------------------------------------------------------------------
    def node_names(self) -> dict[int, tuple[str, int]]:
        """``(layer name, call number within this model)`` of every node's output tensor, by tensor id."""
        names: dict[int, tuple[str, int]] = {}
        calls: dict[int, int] = {}
        for tensor in self.inputs:
            names[id(tensor)] = (str(tensor.node.layer.name), 0)
        for node in self._nodes:
            index = calls.get(id(node.layer), 0)
            calls[id(node.layer)] = index + 1
            names[id(node.output)] = (str(node.layer.name), index)
        return names

    def get_config(self) -> dict:
        """The graph as JSON-able data (no weights): each layer with the calls it makes, each call
        naming the tensors it reads as ``[layer name, call number, 0]`` (Keras' ``inbound_nodes``)."""
        names = self.node_names()
        calls: dict[int, list[dict]] = {id(layer): [] for layer in self.layers}
        for node in self._nodes:
            reads = [[*names[id(tensor)], 0] for tensor in node.inputs]
            calls[id(node.layer)].append({"reads": reads, "merged": node.merged})
        layers = []
        for layer in self.layers:
            layers.append({**serialize(layer), "name": layer.name, "inbound_nodes": calls[id(layer)]})
        return {"name": self.name, "dtype": self.dtype.name, "seed": self.seed, "layers": layers,
                "input_layers": [[*names[id(tensor)], 0] for tensor in self.inputs],
                "output_layers": [[*names[id(tensor)], 0] for tensor in self.outputs],
                "input_keys": self._input_keys, "output_keys": self._output_keys}

    @classmethod
    def from_config(cls, config, custom_objects=None) -> Functional:
        """A new model with the graph of `config` (fresh weights drawn with its seed); custom
        classes are those registered or given in `custom_objects`."""
        with custom_object_scope(custom_objects):
            return rebuild_graph(config, _layer_from_config, cls)

    @classmethod
    def from_graph(cls, config, make_layer, **model_arguments) -> Functional:
        """A new model from a graph config in Keras' form, each layer made by `make_layer(entry)`
        (`rebuild_graph`)."""
        return rebuild_graph(config, make_layer, cls, **model_arguments)

    def to_json(self, **kwargs) -> str:
        """The architecture as a JSON string (``models.model_from_json`` rebuilds it); `kwargs` go to `json.dumps`."""
        return json.dumps({"class_name": "Functional", "config": self.get_config(),
                           "minikeras_version": __version__}, **kwargs)

    def __repr__(self) -> str:
        return f"Functional(name={self.name!r}, inputs={self.inputs}, outputs={self.outputs})"


def _replay(target: tuple[str, int], calls: dict, tensors: dict) -> None:
    """Make the tensor `target` names (and first what it reads) by calling its layer, depth first."""
    stack, in_progress = [(target, False)], set()
    while stack:
        key, expanded = stack.pop()
        if key in tensors:
            continue
        if key not in calls:
            raise ValueError(f"The functional config's layer calls read a tensor no layer makes: {list(key)}.")
        layer, call = calls[key]
        reads = call_reads(call)
        if not expanded:
            if key in in_progress:
                raise ValueError(f"The functional config's layer calls go round in a circle through {list(key)}.")
            in_progress.add(key)
            stack.append((key, True))
            stack.extend((read, False) for read in reversed(reads) if read not in tensors)
            continue
        in_progress.discard(key)
        inputs = [tensors[read] for read in reads]
        if not inputs:
            raise ValueError(f"The functional config's call {list(key)} reads no tensor.")
        tensors[key] = call_symbolically(layer, inputs if call_merged(call, len(inputs)) else inputs[0])


def _layer_from_config(entry: dict):
    """A layer, or a model used as a layer, from its ``{"class_name", "config"}``."""
    kind = {"Sequential": "sequential", "Functional": "functional"}.get(str(entry.get("class_name")))
    if kind is not None:
        return Model.kind(kind).from_config(entry.get("config"))
    return layer_registry.from_config({"class_name": entry.get("class_name"), "config": entry.get("config", {})})


def rebuild_graph(config, make_layer, model_class, **model_arguments):
    """A functional `model_class` from a graph config (`Functional.get_config` form; Keras'
    functional config has the same fields): layers made by `make_layer(entry)`, their calls
    replayed once what each reads exists. ValueError for a graph that does not hold together."""
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ValueError(f"A functional model config must be a dict with a 'layers' list; got {str(config):.120}.")
    tensors: dict[tuple[str, int], KerasTensor] = {}
    calls: dict[tuple[str, int], tuple[object, object]] = {}
    names: set[str] = set()
    for entry in config["layers"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or entry["name"] in names:
            raise ValueError(f"Each layer of a functional config must be a dict with a unique 'name'; got "
                             f"{str(entry):.120}.")
        names.add(entry["name"])
        if entry.get("class_name") == "InputLayer":
            layer_config = entry.get("config")
            if not isinstance(layer_config, dict):
                raise ValueError(f"The InputLayer {entry['name']!r} of a functional config needs a config object; "
                                 f"got {layer_config!r:.80}.")
            tensor = Input(shape=input_shape_of(layer_config), dtype=layer_config.get("dtype"), name=entry["name"])
            tensors[(entry["name"], 0)] = tensor
            continue
        layer = make_layer(entry)
        layer.name = entry["name"]
        layer_calls = entry.get("inbound_nodes", [])
        if not isinstance(layer_calls, list):
            raise ValueError(f"The 'inbound_nodes' of layer {entry['name']!r} must be a list; got {layer_calls!r:.80}.")
        calls.update(((entry["name"], index), (layer, call)) for index, call in enumerate(layer_calls))
    for key in calls:
        _replay(key, calls, tensors)
    (keys_in, refs_in), (keys_out, refs_out) = (end_references(config.get(part) or [])
                                                for part in ("input_layers", "output_layers"))
    inputs, outputs = ([tensors.get(tensor_key(item)) for item in refs] for refs in (refs_in, refs_out))
    if any(tensor is None for tensor in inputs + outputs) or not inputs or not outputs:
        raise ValueError("The functional config's input_layers and output_layers must name layers it defines.")
    in_keys, out_keys = config.get("input_keys") or keys_in, config.get("output_keys") or keys_out
    arguments = {"name": config.get("name"), "seed": config.get("seed"), "dtype": config.get("dtype"),
                 **model_arguments}
    return model_class(dict(zip(in_keys, inputs)) if in_keys else inputs,
                       dict(zip(out_keys, outputs)) if out_keys else outputs, **arguments)

