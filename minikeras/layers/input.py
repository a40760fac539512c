"""Keras' ``Input(shape=...)`` and ``InputLayer``: where a model's data comes in.

``keras.Input`` returns a symbolic tensor (`minikeras.graph.KerasTensor`) to call layers on
(the functional API); given as the first entry of a Sequential model it sets the input shape.
"""
from __future__ import annotations

from ..config import floatx
from ..graph import KerasTensor, Node
from .base import Layer

INTEGER_DTYPES = ("uint8", "uint16", "int8", "int16", "int32", "int64")


class InputLayer(Layer):
    """Holds the per-sample input `shape` of a model. It computes nothing: a Sequential model takes its
    shape and does not list it in `model.layers` (as Keras' Sequential); a functional model lists it."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, input_tensor=None,
                 optional: bool = False, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        if shape is None and batch_shape is not None:
            shape = tuple(batch_shape)[1:]
        if shape is None:
            raise ValueError("Input needs the per-sample shape: Input(shape=(features,)).")
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        if not shape or any(not isinstance(d, int) or d < 1 for d in shape):
            raise ValueError(f"Input shape must be positive sizes (the batch size is left out); got {shape!r}.")
        if dtype not in (None, "float32", "float64", *INTEGER_DTYPES):
            raise ValueError(f"Input dtype must be float32 or float64 (the model's dtype), or an integer type "
                             f"({', '.join(INTEGER_DTYPES)}) for a model whose first layer is Rescaling or "
                             f"Normalization; got {dtype!r}.")
        if sparse or input_tensor is not None or optional:
            raise ValueError(f"Input: sparse, tensor and optional inputs are not supported; got sparse={sparse!r}, "
                             f"tensor={input_tensor!r}, optional={optional!r}.")
        self.shape = tuple(int(d) for d in shape)  # batch_size is accepted as Keras does; batches are fit's
        self.input_dtype = dtype or floatx()
        self.declared_input_shape = self.input_shape = self.shape
        self.built = True

    def built_input_shape(self):
        return self.shape

    def get_config(self):
        return {"shape": list(self.shape), "dtype": self.input_dtype, **super().get_config()}

    def forward(self, x, training=False):
        return x

    def backward(self, grad_out):
        return grad_out


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name: str | None = None,  # noqa: N802
          tensor=None, optional: bool = False) -> KerasTensor:
    """Keras' ``keras.Input``: a symbolic tensor of per-sample `shape` (Keras' signature).

    Examples
    --------
    >>> Input(shape=(784,)).shape
    (None, 784)
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=sparse, batch_shape=batch_shape,
                       input_tensor=tensor, optional=optional, name=name)
    output = KerasTensor(layer.shape, layer.input_dtype, name=name or "keras_tensor")
    Node(layer, [], False, output)
    return output
