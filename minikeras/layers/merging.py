"""Merge layers: one output from a list of inputs (Keras' ``Add``, ``Concatenate``, ``Dot``, ...).

Called on a list of tensors (``layers.Add()([x, y])``, or ``layers.add([x, y])``); `forward`
takes the list of batches and `backward` returns the list of their gradients. Element-wise
merges take inputs of one shape.
"""
from __future__ import annotations

import numpy as np

from .base import Layer, registry


class Merge(Layer):
    """Base of the merge layers: `input_shape` is the list of the inputs' per-sample shapes."""

    merges = True
    min_inputs = 2
    max_inputs: int | None = None

    def _check_count(self, input_shape) -> list[tuple[int, ...]]:
        if not isinstance(input_shape, list) or not all(isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"{type(self).__name__} merges a list of tensors: call it on [x, y, ...]; got one input "
                             f"of per-sample shape {tuple(input_shape)}.")
        count = len(input_shape)
        if count < self.min_inputs or (self.max_inputs is not None and count > self.max_inputs):
            exact = self.max_inputs == self.min_inputs
            wanted = f"exactly {self.min_inputs}" if exact else f"at least {self.min_inputs}"
            raise ValueError(f"{type(self).__name__} takes {wanted} inputs; got {count}.")
        return [tuple(shape) for shape in input_shape]


class ElementwiseMerge(Merge):
    """Inputs of one shape, combined entry by entry; the output has their shape."""

    def output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        if len(set(shapes)) != 1:
            raise ValueError(f"{type(self).__name__} takes inputs of one shape; got per-sample shapes {shapes}.")
        return shapes[0]

    def _output(self, x) -> np.ndarray:
        return self._buffer("y", x.shape)


@registry.register()
class Add(ElementwiseMerge):
    r"""$y = \sum_i x_i$; each input's gradient is $g$."""

    keras_class = "Add"

    def forward(self, xs, training=False):
        self._count = len(xs)
        out = np.add(xs[0], xs[1], out=self._output(xs[0]))
        for x in xs[2:]:
            out += x
        return out

    def backward(self, grad_out):
        return [grad_out] * self._count

    def to_onnx(self, g, xs):
        return g.op("Sum", *xs)


@registry.register()
class Subtract(ElementwiseMerge):
    r"""$y = x_0 - x_1$ (two inputs); gradients $g$ and $-g$."""

    keras_class = "Subtract"
    max_inputs = 2

    def forward(self, xs, training=False):
        return np.subtract(xs[0], xs[1], out=self._output(xs[0]))

    def backward(self, grad_out):
        return [grad_out, np.negative(grad_out, out=self._buffer("dx", grad_out.shape))]

    def to_onnx(self, g, xs):
        return g.op("Sub", *xs)


@registry.register()
class Multiply(ElementwiseMerge):
    r"""$y = \prod_i x_i$; input $i$'s gradient is $g \prod_{j \ne i} x_j$."""

    keras_class = "Multiply"

    def forward(self, xs, training=False):
        self._xs = xs
        out = np.multiply(xs[0], xs[1], out=self._output(xs[0]))
        for x in xs[2:]:
            out *= x
        return out

    def backward(self, grad_out):
        grads = []
        for i in range(len(self._xs)):
            grad = grad_out.copy()
            for j, x in enumerate(self._xs):
                if j != i:
                    grad *= x
            grads.append(grad)
        return grads

    def to_onnx(self, g, xs):
        out = xs[0]
        for x in xs[1:]:
            out = g.op("Mul", out, x)
        return out


@registry.register()
class Average(ElementwiseMerge):
    r"""$y = \frac{1}{n} \sum_i x_i$; each input's gradient is $g / n$."""

    keras_class = "Average"

    def forward(self, xs, training=False):
        self._count = len(xs)
        out = np.add(xs[0], xs[1], out=self._output(xs[0]))
        for x in xs[2:]:
            out += x
        out *= 1.0 / self._count
        return out

    def backward(self, grad_out):
        share = np.multiply(grad_out, 1.0 / self._count, out=self._buffer("dx", grad_out.shape))
        return [share] * self._count

    def to_onnx(self, g, xs):
        return g.op("Mean", *xs)


class _Extreme(ElementwiseMerge):
    """$y = $ the largest (or smallest) $x_i$ entry by entry; the gradient goes to the first input
    holding it (ties have measure zero)."""

    reduce: np.ufunc
    onnx_op: str

    def forward(self, xs, training=False):
        stacked = np.stack(xs)
        self._winner = self._choose(stacked)
        self._count = len(xs)
        return self.reduce.reduce(stacked, axis=0, out=self._output(xs[0]))

    def backward(self, grad_out):
        return [np.where(self._winner == i, grad_out, 0).astype(grad_out.dtype, copy=False)
                for i in range(self._count)]

    def to_onnx(self, g, xs):
        return g.op(self.onnx_op, *xs)


@registry.register()
class Maximum(_Extreme):
    __doc__ = _Extreme.__doc__
    keras_class = "Maximum"
    reduce = np.maximum
    onnx_op = "Max"

    @staticmethod
    def _choose(stacked):
        return stacked.argmax(axis=0)


@registry.register()
class Minimum(_Extreme):
    __doc__ = _Extreme.__doc__
    keras_class = "Minimum"
    reduce = np.minimum
    onnx_op = "Min"

    @staticmethod
    def _choose(stacked):
        return stacked.argmin(axis=0)


@registry.register()
class Concatenate(Merge):
    """Joins the inputs along `axis` (Keras counts the batch axis: ``-1`` or ``1`` for flat
    inputs); the other sizes must agree. Backward slices the gradient back apart.

    Examples
    --------
    >>> Concatenate().output_shape([(3,), (4,)])
    (7,)
    """

    keras_class = "Concatenate"
    keras_arguments = ("axis",)

    def __init__(self, axis: int = -1, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or axis == 0:
            raise ValueError(f"Concatenate axis must be a non-zero integer (0 is the batch axis); got {axis!r}.")
        self.axis = int(axis)

    def _sample_axis(self, rank: int) -> int:
        axis = self.axis - 1 if self.axis > 0 else rank + self.axis
        if not 0 <= axis < rank:
            raise ValueError(f"Concatenate axis {self.axis} is out of range for inputs of {rank} axes per sample.")
        return axis

    def output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        ranks = {len(shape) for shape in shapes}
        axis = self._sample_axis(min(ranks))
        others = {shape[:axis] + shape[axis + 1:] for shape in shapes}
        if len(ranks) != 1 or len(others) != 1:
            raise ValueError(f"Concatenate(axis={self.axis}) takes inputs whose sizes agree except along that axis; "
                             f"got per-sample shapes {shapes}.")
        return shapes[0][:axis] + (sum(shape[axis] for shape in shapes),) + shapes[0][axis + 1:]

    def forward(self, xs, training=False):
        axis = self._sample_axis(xs[0].ndim - 1) + 1
        self._bounds = np.cumsum([x.shape[axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=axis)

    def backward(self, grad_out):
        return np.split(grad_out, self._bounds, axis=self._sample_axis(grad_out.ndim - 1) + 1)

    def get_config(self):
        return {"axis": self.axis, **super().get_config()}

    def to_onnx(self, g, xs):
        return g.op("Concat", *xs, axis=self._sample_axis(len(self.input_shape[0])) + 1)


@registry.register()
class Dot(Merge):
    r"""Dot product of two inputs along `axes` (Keras' ``Dot``; the batch axis counts as 0).

    Per-sample vectors ``(N, k)`` give ``(N, 1)``: $y_n = x_n \cdot z_n$. Per-sample matrices
    ``(N, a, k)`` and ``(N, k, b)`` with ``axes=(2, 1)`` give ``(N, a, b)``. With
    ``normalize=True`` each input is first divided by its L2 norm along its axis (so the
    product is the cosine similarity).

    Examples
    --------
    >>> Dot(axes=1).output_shape([(5,), (5,)])
    (1,)
    """

    keras_class = "Dot"
    keras_arguments = ("axes", "normalize")
    max_inputs = 2
    EPSILON = 1e-12  # Keras' l2_normalize floor on the squared norm

    def __init__(self, axes, normalize: bool = False, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in pair):
            raise ValueError(f"Dot axes must be an integer or a pair of them; got {axes!r}.")
        self.axes = [int(a) for a in pair] if isinstance(axes, (list, tuple)) else int(axes)
        self.normalize = bool(normalize)
        self._pair = [int(a) for a in pair]

    def _sample_axes(self, shapes) -> list[int]:
        axes = []
        for axis, shape in zip(self._pair, shapes):
            axis = axis - 1 if axis > 0 else len(shape) + axis
            if not 0 <= axis < len(shape) or len(shape) > 2:
                raise ValueError(f"Dot(axes={self.axes}) needs per-sample vectors or matrices and an axis of each "
                                 f"(not the batch axis); got per-sample shapes {shapes}.")
            axes.append(axis)
        return axes

    def output_shape(self, input_shape):
        shapes = self._check_count(input_shape)
        axes = self._sample_axes(shapes)
        if len(shapes[0]) != len(shapes[1]):
            raise ValueError(f"Dot takes two vectors or two matrices per sample; got per-sample shapes {shapes}.")
        if shapes[0][axes[0]] != shapes[1][axes[1]]:
            raise ValueError(f"Dot(axes={self.axes}) sums along axes of different sizes: per-sample shapes {shapes}.")
        rest = [d for i, d in enumerate(shapes[0]) if i != axes[0]] + [d for i, d in enumerate(shapes[1])
                                                                       if i != axes[1]]
        return tuple(rest) or (1,)

    def _as_matrices(self, xs):
        """``(N, p, k)`` and ``(N, k, q)`` views of the two inputs, the summed axis in the middle."""
        axes = self._sample_axes([x.shape[1:] for x in xs])
        left = np.moveaxis(xs[0], axes[0] + 1, -1)
        right = np.moveaxis(xs[1], axes[1] + 1, 1)
        left = left.reshape(left.shape[0], -1, left.shape[-1])
        right = right.reshape(right.shape[0], right.shape[1], -1)
        return left, right, axes

    def forward(self, xs, training=False):
        if self.normalize:
            axes = self._sample_axes([x.shape[1:] for x in xs])
            self._norms = [np.sqrt(np.maximum((x * x).sum(axis=a + 1, keepdims=True), self.EPSILON))
                           for x, a in zip(xs, axes)]
            xs = [x / norm for x, norm in zip(xs, self._norms)]
        self._xs = xs
        left, right, _ = self._as_matrices(xs)
        return np.matmul(left, right).reshape(xs[0].shape[0], *self.output_shape([x.shape[1:] for x in xs]))

    def backward(self, grad_out):
        left, right, axes = self._as_matrices(self._xs)
        grad = grad_out.reshape(grad_out.shape[0], left.shape[1], right.shape[2])
        d_left, d_right = np.matmul(grad, right.transpose(0, 2, 1)), np.matmul(left.transpose(0, 2, 1), grad)
        grads = []
        for d, x, axis, to_front in ((d_left, self._xs[0], axes[0], False), (d_right, self._xs[1], axes[1], True)):
            moved = np.moveaxis(x, axis + 1, 1 if to_front else -1)
            d = np.moveaxis(d.reshape(moved.shape), 1 if to_front else -1, axis + 1)
            grads.append(d)
        if self.normalize:  # through x / |x|: (d - x_hat * sum(d * x_hat)) / |x|
            grads = [(d - x * (d * x).sum(axis=a + 1, keepdims=True)) / norm
                     for d, x, a, norm in zip(grads, self._xs, axes, self._norms)]
        return grads

    def get_config(self):
        return {"axes": self.axes, "normalize": self.normalize, **super().get_config()}

    def to_onnx(self, g, xs):
        axes = self._sample_axes(self.input_shape)
        if self.normalize:
            xs = [g.op("LpNormalization", x, axis=a + 1, p=2) for x, a in zip(xs, axes)]
        if len(self.input_shape[0]) == 1 and len(self.input_shape[1]) == 1:
            return g.op("ReduceSum", g.op("Mul", *xs), g.constant([1], np.int64), keepdims=1)
        left = xs[0] if axes[0] == 1 else g.op("Transpose", xs[0], perm=[0, 2, 1])
        right = xs[1] if axes[1] == 0 else g.op("Transpose", xs[1], perm=[0, 2, 1])
        return g.op("MatMul", left, right)


def add(inputs, **kwargs):
    """Keras' ``layers.add(inputs)``: the sum of the tensors `inputs`
    (``Add(**kwargs)(inputs)``)."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """Keras' ``layers.subtract(inputs)``: the difference of two of the tensors `inputs`
    (``Subtract(**kwargs)(inputs)``)."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """Keras' ``layers.multiply(inputs)``: the product of the tensors `inputs`
    (``Multiply(**kwargs)(inputs)``)."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """Keras' ``layers.average(inputs)``: the mean of the tensors `inputs`
    (``Average(**kwargs)(inputs)``)."""
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    """Keras' ``layers.maximum(inputs)``: the entry-wise maximum of the tensors `inputs`
    (``Maximum(**kwargs)(inputs)``)."""
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    """Keras' ``layers.minimum(inputs)``: the entry-wise minimum of the tensors `inputs`
    (``Minimum(**kwargs)(inputs)``)."""
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """Keras' ``layers.concatenate(inputs, axis=-1)``: ``Concatenate(axis)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes=-1, normalize: bool = False, **kwargs):
    """Keras' ``layers.dot(inputs, axes=-1, normalize=False)``: ``Dot(axes, normalize)(inputs)``."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)
