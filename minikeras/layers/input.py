"""Keras' ``Input(shape=...)`` / ``InputLayer``: a model's per-sample input shape, given as its first entry."""
from __future__ import annotations

from .base import Layer

INTEGER_DTYPES = ("uint8", "uint16", "int8", "int16", "int32", "int64")


class InputLayer(Layer):
    """Holds the per-sample input `shape` of a model (``Sequential([Input(shape=(784,)), ...])``). It is
    not a computing layer: `Model.add` takes its shape and does not list it in `model.layers`,
    as Keras' Sequential does."""

    def __init__(self, shape=None, batch_size=None, dtype=None, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if shape is None:
            raise ValueError("Input needs the per-sample shape: Input(shape=(features,)).")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not shape or any(d is None or int(d) < 1 for d in shape):
            raise ValueError(f"Input shape must be positive sizes (the batch size is left out); got {shape!r}.")
        if dtype not in (None, "float32", "float64", *INTEGER_DTYPES):
            raise ValueError(f"Input dtype must be float32 or float64 (the model's dtype), or an integer type "
                             f"({', '.join(INTEGER_DTYPES)}) for a model whose first layer is Rescaling or "
                             f"Normalization; got {dtype!r}.")
        self.shape = tuple(int(d) for d in shape)  # batch_size is accepted as Keras does; batches are fit's
        self.declared_input_shape = self.shape

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


def Input(shape=None, batch_size=None, dtype=None, name: str | None = None) -> InputLayer:  # noqa: N802 (Keras' name)
    """Keras' ``keras.Input``: the per-sample input shape of a Sequential model.

    Examples
    --------
    >>> Input(shape=(784,)).shape
    (784,)
    """
    return InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, name=name)
