"""Activations along one axis of a sample: softmax, log-softmax, sparsemax, GLU."""
from __future__ import annotations

import numpy as np

from ... import backend
from .base import ActivationLayer, register_activation, stable_sigmoid


class AxisActivation(ActivationLayer):
    """An activation computed along one axis of each sample: `axis` counts the batch axis, as in
    Keras (``-1``, the default, is the last; the batch axis 0 cannot be chosen)."""

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{type(self).__name__} axis must be an int; got {axis!r}.")
        self.axis = int(axis)
        self._axis = -1

    def output_shape(self, input_shape):
        rank = len(input_shape) + 1
        if not -rank < self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{type(self).__name__} axis must be one of the per-sample axes of inputs of shape "
                             f"(N, {', '.join(map(str, input_shape))}): 1..{rank - 1} or -1..-{rank - 1}; "
                             f"got axis={self.axis}.")
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._axis = self.axis % (len(self.input_shape) + 1)

    @property
    def resolved_axis(self) -> int:
        """`axis` as a non-negative axis of the batch array (set by `build`)."""
        return self._axis

    @property
    def over_last_axis(self) -> bool:
        """Whether it runs over the class axis of ``(N, classes)`` outputs (so a loss can fuse with it)."""
        return self.input_shape is not None and len(self.input_shape) == 1

    def get_config(self):
        return {"axis": self.axis, **super().get_config()}


@register_activation("softmax")
class Softmax(AxisActivation):
    r"""$y_i = e^{x_i} / \sum_j e^{x_j}$ along `axis`; backward
    $\partial L / \partial x = y \odot \left(g - \sum_j g_j y_j\right)$.

    Followed by the categorical cross-entropy loss on ``(N, classes)`` outputs, the model fuses
    the two and never runs this backward (the gradient of the pair at the logits is ``p - y``).

    Examples
    --------
    >>> Softmax(axis=1)
    Softmax(axis=1)
    """

    keras_class = "Softmax"
    keras_arguments = ("axis",)
    onnx_op = ("Softmax", {}, {"axis": "resolved_axis"})

    def _f(self, x, out):
        return backend.softmax(x, out, self._axis)

    def _df(self, y, grad, out):
        return backend.softmax_backward(y, grad, out, self._axis)


@register_activation("log_softmax")
class LogSoftmax(AxisActivation):
    r"""$y = x - \log \sum_j e^{x_j}$ along `axis` (Keras' `log_softmax` activation);
    backward $\partial L / \partial x = g - \operatorname{softmax}(x) \sum_j g_j$."""

    keras_activation = "log_softmax"
    onnx_op = ("LogSoftmax", {}, {"axis": "resolved_axis"})

    def _f(self, x, out):
        return backend.log_softmax(x, out, self._axis)

    def _df(self, y, grad, out):
        return backend.log_softmax_backward(y, grad, out, self._axis)


@register_activation("sparsemax")
class Sparsemax(AxisActivation):
    """Sparsemax (Martins & Astudillo 2016): the Euclidean projection of x onto the probability
    simplex along `axis`, ``y = max(x - tau, 0)`` with ``tau`` such that ``sum(y) = 1`` (many
    outputs are exactly 0). Backward, with ``S`` the support (y > 0):
    ``dx = S * (g - sum(g * S) / sum(S))``."""

    def _f(self, x, out):
        z = np.moveaxis(x, self._axis, -1)
        ranked = -np.sort(-z, axis=-1)
        cumulative = np.cumsum(ranked, axis=-1)
        rank = np.arange(1, z.shape[-1] + 1, dtype=x.dtype)
        support = np.add.reduce(1.0 + rank * ranked > cumulative, axis=-1, keepdims=True)
        tau = (np.take_along_axis(cumulative, support - 1, axis=-1) - 1.0) / support
        np.maximum(z - tau, 0.0, out=np.moveaxis(out, self._axis, -1))
        return out

    def _df(self, y, grad, out):
        support = (y > 0).astype(y.dtype)
        mean = np.add.reduce(grad * support, axis=self._axis, keepdims=True) / np.add.reduce(
            support, axis=self._axis, keepdims=True)
        return np.multiply(support, grad - mean, out=out)

    def to_onnx(self, g, x):
        """Sorted descending along the axis, k(z) = #{j : 1 + j z_(j) > sum_{i<=j} z_(i)},
        tau = (sum of the k largest - 1) / k, y = max(z - tau, 0)."""
        axis, size = self.resolved_axis, self.input_shape[self.resolved_axis - 1]
        ranked = g.name("sparsemax_sorted")
        g.nodes.append(g.onnx.helper.make_node("TopK", [x, g.constant([size], np.int64)], [ranked, g.name("index")],
                                               axis=axis, largest=1, sorted=1))
        cumulative = g.op("CumSum", ranked, g.constant(axis, np.int64))
        shape = [1] * (len(self.input_shape) + 1)
        shape[axis] = size
        rank = g.constant(np.arange(1, size + 1).reshape(shape))
        support = g.op("Cast", g.op("Greater", g.op("Add", g.op("Mul", rank, ranked), g.constant(1.0)), cumulative),
                       to=g.onnx.helper.np_dtype_to_tensor_dtype(g.dtype))
        k = g.op("ReduceSum", support, g.constant([axis], np.int64), keepdims=1)
        top_sum = g.op("ReduceSum", g.op("Mul", ranked, support), g.constant([axis], np.int64), keepdims=1)
        tau = g.op("Div", g.op("Sub", top_sum, g.constant(1.0)), k)
        return g.op("Relu", g.op("Sub", x, tau))


@register_activation("glu")
class GLU(AxisActivation):
    """Gated linear unit (Dauphin et al. 2017): with ``a, b`` the two halves of x along `axis`,
    ``y = a * sigmoid(b)`` (half as wide); backward ``da = g * sigmoid(b)``,
    ``db = g * a * sigmoid(b) (1 - sigmoid(b))``."""

    def output_shape(self, input_shape):
        super().output_shape(input_shape)
        position = self.axis % (len(input_shape) + 1) - 1
        if input_shape[position] % 2:
            raise ValueError(f"GLU splits axis {self.axis} in two halves: its size must be even; got per-sample "
                             f"shape {tuple(input_shape)}.")
        shape = list(input_shape)
        shape[position] //= 2
        return tuple(shape)

    def forward(self, x, training=False):
        self._x = x
        linear, gate = np.split(x, 2, axis=self._axis)
        self._gate = stable_sigmoid(gate)
        return np.multiply(linear, self._gate, out=self._buffer("y", linear.shape))

    def backward(self, grad_out):
        out = self._buffer("dx", self._x.shape)
        d_linear, d_gate = np.split(out, 2, axis=self._axis)
        np.multiply(grad_out, self._gate, out=d_linear)
        linear = np.split(self._x, 2, axis=self._axis)[0]
        np.multiply(grad_out * linear, self._gate * (1.0 - self._gate), out=d_gate)
        return out

    def to_onnx(self, g, x):
        linear, gate = g.name("glu_linear"), g.name("glu_gate")
        half = self.input_shape[self.resolved_axis - 1] // 2
        g.nodes.append(g.onnx.helper.make_node("Split", [x, g.constant([half, half], np.int64)], [linear, gate],
                                               axis=self.resolved_axis))
        return g.op("Mul", linear, g.op("Sigmoid", gate))
