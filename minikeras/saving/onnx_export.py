"""Export a model's inference graph to ONNX (opset 17), with the `onnx` package
(``pip install "minikeras[onnx]"``).

Each layer kind has a converter in `CONVERTERS` that appends the ONNX nodes computing its inference
forward pass; the graph has one input ``"input"`` of shape ``("batch", *sample shape)`` and one
output ``"output"``. Dropout and the noise layers are the identity at inference and add nothing.
"""
from __future__ import annotations

import numpy as np

from ..layers import activations as act
from ..layers.batchnorm import BatchNorm
from ..layers.dense import Dense
from ..layers.dropout import RandomLayer
from ..layers.layer_normalization import LayerNormalization
from ..layers.preprocessing import Normalization, Rescaling
from ..layers.reshape import Flatten, Identity, Reshape
from .atomic import atomic_path

OPSET = 17


class Graph:
    """The nodes and constants of the graph being built, in the model's float dtype."""

    def __init__(self, onnx, dtype: np.dtype):
        self.onnx, self.dtype = onnx, np.dtype(dtype)
        self.nodes, self.constants = [], []

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


CONVERTERS: dict[type, object] = {}


def converts(*classes):
    """Decorator: the function appends the nodes of layers of `classes` (``fn(graph, layer, x) -> y``)."""

    def add(function):
        for cls in classes:
            CONVERTERS[cls] = function
        return function

    return add


def _converter(layer):
    for cls in type(layer).__mro__:
        if cls in CONVERTERS:
            return CONVERTERS[cls]
    raise ValueError(f"Cannot export layer {layer.name!r} ({type(layer).__name__}) to ONNX: no converter for it.")


# -- core ----------------------------------------------------------------------------------------------
@converts(Dense)
def _dense(g, layer, x):
    y = g.op("MatMul", x, g.constant(layer.params["kernel"]))
    return g.op("Add", y, g.constant(layer.params["bias"])) if layer.use_bias else y


@converts(Flatten)
def _flatten(g, layer, x):
    return g.op("Flatten", x, axis=1)


@converts(Reshape)
def _reshape(g, layer, x):
    return g.op("Reshape", x, g.constant([0, *layer.output_shape(layer.input_shape)], np.int64))


@converts(Identity, act.Linear, RandomLayer)
def _identity(g, layer, x):
    return x


# -- normalization and preprocessing ---------------------------------------------------------------
@converts(BatchNorm)
def _batchnorm(g, layer, x):
    return g.op("BatchNormalization", x, g.constant(layer.params["gamma"]), g.constant(layer.params["beta"]),
                g.constant(layer.state["moving_mean"]), g.constant(layer.state["moving_var"]),
                epsilon=layer.epsilon)


@converts(LayerNormalization)
def _layer_norm(g, layer, x):
    axes = list(layer.normalized_axes)
    centered = g.op("Sub", x, g.op("ReduceMean", x, axes=axes, keepdims=1))
    variance = g.op("ReduceMean", g.op("Mul", centered, centered), axes=axes, keepdims=1)
    y = g.op("Div", centered, g.op("Sqrt", g.op("Add", variance, g.constant(layer.epsilon))))
    if layer.scale:
        y = g.op("Mul", y, g.constant(layer.broadcast_param("gamma")))
    if layer.center:
        y = g.op("Add", y, g.constant(layer.broadcast_param("beta")))
    return y


@converts(Rescaling)
def _rescaling(g, layer, x):
    return g.op("Add", g.op("Mul", x, g.constant(layer.scale)), g.constant(layer.offset))


@converts(Normalization)
def _normalization(g, layer, x):
    mean, std = layer.mean_and_std()
    if layer.invert:
        return g.op("Add", g.op("Mul", x, g.constant(std)), g.constant(mean))
    return g.op("Div", g.op("Sub", x, g.constant(mean)), g.constant(std))


# -- activations -----------------------------------------------------------------------------------
def _unary(op_type: str, constants: dict, from_layer: dict):
    """The converter of a layer that is one ONNX op: attributes `constants`, and those of `from_layer`
    (ONNX attribute -> the layer's attribute holding its value)."""
    def convert(g, layer, x):
        return g.op(op_type, x, **constants, **{key: getattr(layer, name) for key, name in from_layer.items()})
    return convert


UNARY = {  # layer class -> (ONNX op, constant attributes, attributes from the layer)
    act.Sigmoid: ("Sigmoid", {}, {}), act.Tanh: ("Tanh", {}, {}), act.Softplus: ("Softplus", {}, {}),
    act.Softsign: ("Softsign", {}, {}), act.HardSwish: ("HardSwish", {}, {}), act.Exponential: ("Exp", {}, {}),
    act.SELU: ("Selu", {"alpha": act.SELU_ALPHA, "gamma": act.SELU_SCALE}, {}),
    act.HardSigmoid: ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}, {}),
    act.LeakyReLU: ("LeakyRelu", {}, {"alpha": "negative_slope"}),
    act.ELU: ("Elu", {}, {"alpha": "alpha"}), act.CELU: ("Celu", {}, {"alpha": "alpha"}),
    act.HardShrink: ("Shrink", {"bias": 0.0}, {"lambd": "threshold"}),
    act.SoftShrink: ("Shrink", {}, {"lambd": "threshold", "bias": "threshold"}),
    act.Softmax: ("Softmax", {}, {"axis": "resolved_axis"}),
    act.LogSoftmax: ("LogSoftmax", {}, {"axis": "resolved_axis"}),
}
for _cls, (_op, _constants, _from_layer) in UNARY.items():
    converts(_cls)(_unary(_op, _constants, _from_layer))


@converts(act.ReLU)
def _relu(g, layer, x):
    if layer.negative_slope == 0.0 and layer.threshold == 0.0:
        y = g.op("Relu", x)
    else:  # negative_slope * (x - threshold) below the threshold, x from it on
        below = g.op("Mul", g.op("Sub", x, g.constant(layer.threshold)), g.constant(layer.negative_slope))
        y = g.op("Where", g.op("GreaterOrEqual", x, g.constant(layer.threshold)), x, below)
    return y if layer.max_value is None else g.op("Min", y, g.constant(layer.max_value))


@converts(act.ReLU6)
def _relu6(g, layer, x):
    return g.op("Clip", x, g.constant(0.0), g.constant(6.0))


@converts(act.HardTanh)
def _hard_tanh(g, layer, x):
    return g.op("Clip", x, g.constant(-1.0), g.constant(1.0))


@converts(act.SparseSigmoid)
def _sparse_sigmoid(g, layer, x):
    half = g.op("Mul", g.op("Add", x, g.constant(1.0)), g.constant(0.5))
    return g.op("Clip", half, g.constant(0.0), g.constant(1.0))


@converts(act.ScaledTanh)
def _scaled_tanh(g, layer, x):
    inner = g.op("Tanh", g.op("Mul", x, g.constant(2.0 / 3.0)))
    return g.op("Mul", inner, g.constant(1.7159))


@converts(act.Swish)
def _swish(g, layer, x):
    return g.op("Mul", x, g.op("Sigmoid", x))


@converts(act.Mish)
def _mish(g, layer, x):
    return g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))


@converts(act.GELU)
def _gelu(g, layer, x):
    if layer.approximate:
        cubic = g.op("Mul", g.op("Mul", g.op("Mul", x, x), x), g.constant(act.GELU_TANH_COEFFICIENT))
        inner = g.op("Mul", g.op("Add", x, cubic), g.constant(np.sqrt(2.0 / np.pi)))
        gate = g.op("Tanh", inner)
    else:
        gate = g.op("Erf", g.op("Div", x, g.constant(np.sqrt(2.0))))
    return g.op("Mul", g.op("Mul", x, g.constant(0.5)), g.op("Add", gate, g.constant(1.0)))


@converts(act.LogSigmoid)
def _log_sigmoid(g, layer, x):
    return g.op("Neg", g.op("Softplus", g.op("Neg", x)))


@converts(act.TanhShrink)
def _tanh_shrink(g, layer, x):
    return g.op("Sub", x, g.op("Tanh", x))


@converts(act.Threshold)
def _threshold(g, layer, x):
    return g.op("Where", g.op("Greater", x, g.constant(layer.threshold)), x, g.constant(layer.default_value))


@converts(act.SparsePlus)
def _sparse_plus(g, layer, x):
    square = g.op("Mul", g.op("Mul", g.op("Add", x, g.constant(1.0)), g.op("Add", x, g.constant(1.0))),
                  g.constant(0.25))
    middle_or_top = g.op("Where", g.op("Less", x, g.constant(1.0)), square, x)
    return g.op("Where", g.op("LessOrEqual", x, g.constant(-1.0)), g.constant(0.0), middle_or_top)


@converts(act.Squareplus)
def _squareplus(g, layer, x):
    root = g.op("Sqrt", g.op("Add", g.op("Mul", x, x), g.constant(layer.b)))
    return g.op("Mul", g.op("Add", x, root), g.constant(0.5))


@converts(act.GLU)
def _glu(g, layer, x):
    linear = g.name("glu_linear")
    gate = g.name("glu_gate")
    half = layer.input_shape[layer.resolved_axis - 1] // 2
    g.nodes.append(g.onnx.helper.make_node("Split", [x, g.constant([half, half], np.int64)], [linear, gate],
                                           axis=layer.resolved_axis))
    return g.op("Mul", linear, g.op("Sigmoid", gate))


@converts(act.PReLU)
def _prelu(g, layer, x):
    return g.op("PRelu", x, g.constant(layer.params["alpha"]))


@converts(act.Sparsemax)
def _sparsemax(g, layer, x):
    """Sorted descending along the axis, k(z) = #{j : 1 + j z_(j) > sum_{i<=j} z_(i)},
    tau = (sum of the k largest - 1) / k, y = max(z - tau, 0)."""
    axis = layer.resolved_axis
    size = layer.input_shape[axis - 1]
    ranked = g.name("sparsemax_sorted")
    g.nodes.append(g.onnx.helper.make_node("TopK", [x, g.constant([size], np.int64)], [ranked, g.name("index")],
                                           axis=axis, largest=1, sorted=1))
    cumulative = g.op("CumSum", ranked, g.constant(axis, np.int64))
    shape = [1] * (len(layer.input_shape) + 1)
    shape[axis] = size
    rank = g.constant(np.arange(1, size + 1).reshape(shape))
    support = g.op("Cast", g.op("Greater", g.op("Add", g.op("Mul", rank, ranked), g.constant(1.0)), cumulative),
                   to=g.onnx.helper.np_dtype_to_tensor_dtype(g.dtype))
    k = g.op("ReduceSum", support, g.constant([axis], np.int64), keepdims=1)
    top_sum = g.op("ReduceSum", g.op("Mul", ranked, support), g.constant([axis], np.int64), keepdims=1)
    tau = g.op("Div", g.op("Sub", top_sum, g.constant(1.0)), k)
    return g.op("Relu", g.op("Sub", x, tau))


del _cls, _op, _constants, _from_layer


# -- the model --------------------------------------------------------------------------------------
def export(engine, sample_shape, path) -> None:
    """Write the ONNX graph of `engine`'s inference pass to `path` (checked with `onnx.checker`)."""
    try:
        import onnx
    except ImportError:
        raise ImportError('ONNX export writes its files with the onnx package: pip install "minikeras[onnx]".') \
            from None
    graph = Graph(onnx, engine.dtype)
    converters = [(step, _converter(step)) for step in engine.layer_steps]  # every layer checked before writing
    x = "input"
    for step, convert in converters:
        x = convert(graph, step, x)
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
