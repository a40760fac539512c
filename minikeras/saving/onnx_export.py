"""Export a model's inference graph to ONNX (opset 17), with the `onnx` package
(``pip install "minikeras[onnx]"``).

Each layer declares its converter, `Layer.to_onnx`, which appends the ONNX nodes computing its
inference forward pass; the graph has one input ``"input"`` of shape ``("batch", *sample shape)`` and one
output ``"output"``. Dropout and the noise layers are the identity at inference and add nothing.
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
def export(engine, sample_shape, path) -> None:
    """Write the ONNX graph of `engine`'s inference pass to `path` (checked with `onnx.checker`)."""
    try:
        import onnx
    except ImportError:
        raise ImportError('ONNX export writes its files with the onnx package: pip install "minikeras[onnx]".') \
            from None
    graph = Graph(onnx, engine.dtype)
    x = "input"
    for step in engine.layer_steps:  # a layer with no converter raises before anything is written
        x = step.to_onnx(graph, x)
    x = graph.op("Identity", x)
    element = onnx.helper.np_dtype_to_tensor_dtype(graph.dtype)
    output_shape = ["batch", *engine.output_shape]
    model = onnx.helper.make_model(
        onnx.helper.make_graph(graph.nodes, "minikeras", [onnx.helper.make_tensor_value_info(
            "input", element, ["batch", *sample_shape])], [onnx.helper.make_tensor_value_info(
                "output", element, output_shape)], graph.constants, ),
        opset_imports=[onnx.helper.make_opsetid("", OPSET)], producer_name="minikeras")
    model.graph.node[-1].output[0] = "output"
    onnx.checker.check_model(model)
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        file.write(model.SerializeToString())
