"""Preprocessing layers: Rescaling and Normalization, which take raw integer inputs.

As a model's first layer they let `fit`, `evaluate` and `predict` take integer arrays (uint8
images) as they are: batches are gathered as integers and converted straight into the layer's
float output buffer, so the data set never exists as a float copy (`accepts_integer_inputs`).
"""
from __future__ import annotations

import numpy as np

from .base import Layer, registry
from .layer_normalization import per_sample_axes

EPSILON = 1e-7  # Keras' backend.epsilon(): the smallest standard deviation Normalization divides by
ADAPT_ROWS = 1024  # rows converted to float64 at a time by Normalization.adapt


def _number_or_array(name: str, value):
    """A float, or an array of floats (as a nested list in the config)."""
    array = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite numbers; got {value!r}.")
    return float(array) if array.ndim == 0 else array


def _as_float(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`x` as the float array `out`: integers converted into it (a plain cast: a ufunc casting as it
    computes runs several times slower), floats of its dtype returned as they are."""
    if x.dtype == out.dtype:
        return x
    np.copyto(out, x, casting="unsafe")
    return out


def _config_value(value):
    return value.tolist() if isinstance(value, np.ndarray) else value


@registry.register()
class Rescaling(Layer):
    """``y = x * scale + offset`` (Keras: ``Rescaling(1 / 255)`` maps uint8 pixels to [0, 1]);
    ``dx = g * scale``. `scale` and `offset` are numbers or arrays that broadcast against a sample.

    Examples
    --------
    >>> Rescaling(1 / 127.5, offset=-1)
    Rescaling(scale=0.00784313725490196, offset=-1.0)
    """

    keras_class = "Rescaling"
    keras_arguments = ("scale", "offset")

    accepts_integer_inputs = True

    def __init__(self, scale, offset=0.0, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.scale = _number_or_array("Rescaling scale", scale)
        self.offset = _number_or_array("Rescaling offset", offset)

    def output_shape(self, input_shape):
        try:
            np.broadcast_shapes(tuple(input_shape), np.shape(self.scale), np.shape(self.offset))
        except ValueError:
            raise ValueError(f"Rescaling scale {np.shape(self.scale)} and offset {np.shape(self.offset)} must "
                             f"broadcast against samples of shape {tuple(input_shape)}.") from None
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._scale = np.asarray(self.scale, dtype=self.dtype)
        self._offset = np.asarray(self.offset, dtype=self.dtype)

    def forward(self, x, training=False):
        out = self._buffer("y", x.shape)
        np.multiply(_as_float(x, out), self._scale, out=out)
        return np.add(out, self._offset, out=out)

    def backward(self, grad_out):
        return np.multiply(grad_out, self._scale, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"scale": _config_value(self.scale), "offset": _config_value(self.offset), **super().get_config()}

    def to_onnx(self, g, x):
        return g.op("Add", g.op("Mul", x, g.constant(self.scale)), g.constant(self.offset))


def _batches(data):
    """`data` (an array, or an iterable of batches) as a sequence of float64 arrays of at most
    `ADAPT_ROWS` rows, so that a uint8 data set is never converted whole."""
    if isinstance(data, np.ndarray):
        array = data
        data = (array[start:start + ADAPT_ROWS] for start in range(0, len(array), ADAPT_ROWS))
    elif not hasattr(data, "__iter__"):
        raise TypeError(f"Normalization.adapt takes a numpy array or an iterable of batches; got "
                        f"{type(data).__name__}.")
    for batch in data:
        batch = np.asarray(batch)
        if batch.dtype.kind not in "fiub":
            raise TypeError(f"Normalization.adapt data must hold numbers; got dtype {batch.dtype}.")
        yield batch.astype(np.float64)


@registry.register()
class Normalization(Layer):
    """Standardize features: ``y = (x - mean) / max(sqrt(variance), 1e-7)`` (``invert=True``:
    ``y = mean + x * max(sqrt(variance), 1e-7)``), with the mean and variance given, or computed by
    `adapt` over the data along every axis but `axis` (Keras 3's arguments; ``axis=None``: one
    mean and variance for all entries). ``dx = g / max(sqrt(variance), 1e-7)``.

    Adapted statistics are the layer's non-trainable weights ``mean``, ``variance`` and ``count``,
    saved with the model, so that a loaded model takes raw inputs. Change them with `adapt` or
    `set_weights` (the layer keeps the standard deviation it derives from them).

    Examples
    --------
    >>> Normalization(mean=0.5, variance=0.25)
    Normalization(mean=0.5, variance=0.25)
    """

    keras_class = "Normalization"
    keras_arguments = ("axis", "mean", "variance", "invert")

    accepts_integer_inputs = True

    def __init__(self, axis=-1, mean=None, variance=None, invert: bool = False, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if (mean is None) != (variance is None):
            raise ValueError(f"Give Normalization both mean and variance, or neither (then call adapt); got "
                             f"mean={mean!r} and variance={variance!r}.")
        self.axis = None if axis is None else int(axis) if isinstance(axis, (int, np.integer)) else [
            int(a) for a in axis]
        self.input_mean = None if mean is None else _number_or_array("Normalization mean", mean)
        self.input_variance = None if variance is None else _number_or_array("Normalization variance", variance)
        if self.input_variance is not None and np.any(np.asarray(self.input_variance) < 0):
            raise ValueError(f"Normalization variance must be >= 0; got {variance!r}.")
        self.invert = bool(invert)
        self._kept = ()
        self._adapted: dict[str, np.ndarray] = {}
        self._broadcast = ()
        self._mean_and_std = None  # derived from the statistics; None: to compute

    def _layout(self, input_shape):
        """``(kept axes, statistics' shape, their shape broadcast against a sample)``."""
        kept = () if self.axis is None else per_sample_axes("Normalization", self.axis, input_shape)
        shape = tuple(input_shape[a - 1] for a in kept)
        broadcast = tuple(size if a in kept else 1 for a, size in enumerate(input_shape, start=1))
        return kept, shape, broadcast

    def output_shape(self, input_shape):
        _, shape, _ = self._layout(input_shape)
        if self.input_mean is not None:
            try:
                np.broadcast_shapes(shape, np.shape(self.input_mean), np.shape(self.input_variance))
            except ValueError:
                raise ValueError(f"Normalization mean {np.shape(self.input_mean)} and variance "
                                 f"{np.shape(self.input_variance)} must broadcast to the kept axes' shape "
                                 f"{shape}.") from None
        return tuple(input_shape)

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._kept, shape, self._broadcast = self._layout(self.input_shape)
        self._mean_and_std = None
        if self.input_mean is None:
            adapted = self._adapted  # statistics adapted before the model built the layer are kept
            if not (adapted and adapted["mean"].shape == shape):
                adapted = {"mean": np.zeros(shape), "variance": np.ones(shape), "count": np.zeros((), np.int64)}
            for key, value in adapted.items():
                self.add_weight(value.shape, value, dtype=np.int64 if key == "count" else None, trainable=False,
                                name=key)

    def adapt(self, data) -> None:
        """Set the mean and variance to those of `data` (an array of any number dtype, or an iterable
        of batches), computed in float64 a chunk at a time (Chan et al.'s pairwise update)."""
        if self.input_mean is not None:
            raise ValueError("This Normalization was given its mean and variance; adapt() would replace them.")
        count, mean, m2, sample_shape = 0, 0.0, 0.0, self.input_shape
        for batch in _batches(data):
            if sample_shape is None:
                sample_shape = batch.shape[1:]
            if batch.shape[1:] != sample_shape:
                raise ValueError(f"Normalization {'was built' if self.built else 'is adapting'} for samples of "
                                 f"shape {sample_shape}; adapt() got a batch of shape {batch.shape}.")
            kept, shape, broadcast = self._layout(sample_shape)
            reduced = tuple(a for a in range(batch.ndim) if a not in kept)
            size = batch.size // max(1, int(np.prod(shape)))
            batch_mean = batch.mean(axis=reduced)
            batch_m2 = np.square(batch - batch_mean.reshape(broadcast)).sum(axis=reduced)
            delta, total = batch_mean - mean, count + size
            mean = mean + delta * (size / total)
            m2 = m2 + batch_m2 + np.square(delta) * (count * size / total)
            count = total
        if count == 0:
            raise ValueError("Normalization.adapt got no data (an empty array or iterable).")
        statistics = {"mean": np.asarray(mean), "variance": np.asarray(m2 / count), "count": np.asarray(count)}
        if self.built:
            for variable in self.non_trainable_weights:
                variable.assign(statistics[variable.name])
        else:  # kept until the model builds the layer
            self._adapted = statistics
        self._mean_and_std = None

    def set_weights(self, arrays) -> None:
        super().set_weights(arrays)
        self._mean_and_std = None

    def _statistics(self):
        if self.input_mean is not None:
            return np.asarray(self.input_mean), np.asarray(self.input_variance)
        return self.state["mean"], self.state["variance"]

    def mean_and_std(self):
        """``(mean, max(sqrt(variance), 1e-7))`` in the layer dtype, shaped to broadcast against a batch."""
        if self._mean_and_std is None:
            mean, variance = self._statistics()
            std = np.maximum(np.sqrt(variance), EPSILON).astype(self.dtype)
            self._mean_and_std = (np.asarray(mean, self.dtype).reshape(self._broadcast_of(mean)),
                                  std.reshape(self._broadcast_of(std)))
        return self._mean_and_std

    def _broadcast_of(self, statistic):
        return self._broadcast if np.ndim(statistic) == len(self._kept) else np.shape(statistic)

    def forward(self, x, training=False):
        mean, std = self.mean_and_std()
        out = self._buffer("y", x.shape)
        if self.invert:
            np.multiply(_as_float(x, out), std, out=out)
            return np.add(out, mean, out=out)
        np.subtract(_as_float(x, out), mean, out=out)
        return np.divide(out, std, out=out)

    def backward(self, grad_out):
        if not self.needs_input_grad:
            return None
        _, std = self.mean_and_std()
        operation = np.multiply if self.invert else np.divide
        return operation(grad_out, std, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"axis": self.axis, "mean": None if self.input_mean is None else _config_value(self.input_mean),
                "variance": None if self.input_variance is None else _config_value(self.input_variance),
                "invert": self.invert, **super().get_config()}

    def to_onnx(self, g, x):
        mean, std = self.mean_and_std()
        if self.invert:
            return g.op("Add", g.op("Mul", x, g.constant(std)), g.constant(mean))
        return g.op("Div", g.op("Sub", x, g.constant(mean)), g.constant(std))
