"""Export a model's inference graph to ONNX (opset 17), with the `onnx` package
(``pip install "minikeras[onnx]"``).

Each layer declares its converter, `Layer.to_onnx`, which appends the ONNX nodes computing its
inference forward pass (a merge layer reads a list of tensors); a model of one input and one
output has an input ``"input"`` of shape ``("batch", *sample shape)`` and an output ``"output"``,
and one of several has the model's input and output names. Dropout and the noise layers are the
identity at inference and add nothing.
"""
from __future__ import annotations

import numpy as np

from .atomic import atomic_path

OPSET = 17


class Graph:
    """The nodes and constants of the graph being built, in the model's float dtype."""

    def __init__(self, onnx, dtype: np.dtype):
        self.onnx, self.dtype = onnx, np.dtype(dtype)
        self.nodes: list = []
        self.constants: list = []

    def name(self, stem: str) -> str:
        return f"{stem}_{len(self.nodes) + len(self.constants)}"

    def constant(self, value, dtype=None) -> str:
        name = self.name("const")
        array = np.asarray(value, dtype=dtype or self.dtype)
        self.constants.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes) -> str:
        output = self.name(op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, list(inputs), [output], **attributes))
        return output


# -- the model --------------------------------------------------------------------------------------
def _names(engine) -> tuple[list[str], list[str]]:
    """The graph's input and output names: ``"input"`` and ``"output"`` for one, else the model's."""
    inputs, outputs = engine.program.input_names, engine.output_names
    return (["input"] if len(inputs) == 1 else list(inputs)), (["output"] if len(outputs) == 1 else list(outputs))


def export(engine, path) -> None:
    """Write the ONNX graph of `engine`'s inference pass to `path` (checked with `onnx.checker`)."""
    try:
        import onnx
    except ImportError:
        raise ImportError('ONNX export writes its files with the onnx package: pip install "minikeras[onnx]".') \
            from None
    graph = Graph(onnx, engine.dtype)
    program = engine.program
    input_names, output_names = _names(engine)
    tensors = dict(zip(program.input_ids, input_names))
    for operation in program.operations:  # a layer with no converter raises before anything is written
        reads = [tensors[tensor] for tensor in operation.inputs]
        tensors[operation.output] = operation.step.to_onnx(graph, reads if operation.merged else reads[0])
    for tensor, name in zip(program.output_ids, output_names):
        graph.nodes.append(onnx.helper.make_node("Identity", [tensors[tensor]], [name]))
    element = onnx.helper.np_dtype_to_tensor_dtype(graph.dtype)
    inputs = [onnx.helper.make_tensor_value_info(name, element, ["batch", *shape])
              for name, shape in zip(input_names, engine.input_shapes)]
    outputs = [onnx.helper.make_tensor_value_info(name, element, ["batch", *shape])
               for name, shape in zip(output_names, engine.output_shapes)]
    model = onnx.helper.make_model(onnx.helper.make_graph(graph.nodes, "minikeras", inputs, outputs, graph.constants),
                                   opset_imports=[onnx.helper.make_opsetid("", OPSET)], producer_name="minikeras")
    onnx.checker.check_model(model)
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        file.write(model.SerializeToString())
