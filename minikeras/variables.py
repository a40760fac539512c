"""`Variable`: a named, shaped array that a layer or an optimizer owns (Keras 3's `keras.Variable`).

A variable holds its value in a numpy array. While a model trains, the training engine keeps
every trainable value in one flat array and the variable's value is a view into it, so
``assign`` writes where the model computes from; the variable's owner never sees the difference.
"""
from __future__ import annotations

import numpy as np

from .tape import OPERATORS, define_operators


class Variable:
    """A weight (or optimizer slot) with Keras' names.

    Parameters
    ----------
    initializer : array-like or callable
        The initial value (copied), or a function ``(shape, dtype) -> array`` called once (its
        result is the variable's own).
    shape : tuple of int, optional
        Needed when `initializer` is callable.
    dtype : str, optional
        float32 by default (the `minikeras.config.floatx()` of the time).
    trainable : bool
        Whether gradients update it (BatchNorm's moving statistics are not trainable).
    name : str
        ``"kernel"``; `path` adds the owner's name, ``"dense/kernel"``.

    Examples
    --------
    >>> v = Variable(np.ones(3), name="scale")
    >>> v.assign_add([1, 2, 3]).numpy()
    array([2., 3., 4.], dtype=float32)
    >>> 0.5 * v
    array([1. , 1.5, 2. ], dtype=float32)
    """

    __array_priority__ = 100  # ndarray op Variable defers to Variable's reflected operators

    def __init__(self, initializer, shape=None, dtype=None, trainable: bool = True, name: str = "variable",
                 regularizer=None, owner=None):
        from .config import floatx
        dtype = np.dtype(dtype or floatx())
        if callable(initializer):
            if shape is None:
                raise ValueError(f"Variable {name!r}: a callable initializer needs a shape.")
            value = np.asarray(initializer(tuple(shape), dtype), dtype=dtype)
        else:
            value = np.array(initializer, dtype=dtype)
        if shape is not None and value.shape != tuple(shape):
            raise ValueError(f"Variable {name!r} has shape {tuple(shape)}; its initial value has shape {value.shape}.")
        self._value = value
        self.name = name
        self.trainable = bool(trainable)
        self.regularizer = regularizer
        self._owner = owner

    # -- Keras' read API ---------------------------------------------------------------------
    @property
    def value(self) -> np.ndarray:
        """The current value itself (not a copy): what the model computes with."""
        return self._value

    @property
    def path(self) -> str:
        """``"<owner name>/<name>"`` (Keras' form, ``"dense/kernel"``), or the name alone."""
        owner = getattr(self._owner, "name", None)
        return f"{owner}/{self.name}" if owner else self.name

    @property
    def shape(self) -> tuple[int, ...]:
        return self._value.shape

    @property
    def dtype(self) -> str:
        return self._value.dtype.name

    @property
    def ndim(self) -> int:
        return self._value.ndim

    @property
    def size(self) -> int:
        return self._value.size

    def numpy(self) -> np.ndarray:
        """A copy of the value."""
        return self._value.copy()

    # -- writing -----------------------------------------------------------------------------
    def assign(self, value) -> Variable:
        """Write `value` (same shape, or broadcastable to it) into the variable; returns it."""
        value = np.asarray(value)
        if value.shape != self._value.shape:
            try:
                value = np.broadcast_to(value, self._value.shape)
            except ValueError:
                raise ValueError(f"Variable {self.path!r} has shape {self._value.shape}; cannot assign a value of "
                                 f"shape {value.shape}.") from None
        np.copyto(self._value, value, casting="unsafe")
        return self

    def assign_add(self, value) -> Variable:
        np.add(self._value, value, out=self._value, casting="unsafe")
        return self

    def assign_sub(self, value) -> Variable:
        np.subtract(self._value, value, out=self._value, casting="unsafe")
        return self

    def _rebind(self, array: np.ndarray) -> None:
        """Keep the value in `array` from now on (the training engine's storage; same shape and dtype)."""
        array[...] = self._value
        self._value = array

    # -- numpy interop -----------------------------------------------------------------------
    def __array__(self, dtype=None, copy=None):
        if copy:
            return np.array(self._value, dtype=dtype)
        return self._value if dtype is None else self._value.astype(dtype, copy=False)

    def __len__(self) -> int:
        return len(self._value)

    def __getitem__(self, index):
        return OPERATORS["get_item"](self, index)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, value={self._value!r}>"

    def __neg__(self):
        return OPERATORS["negative"](self)

    def __pos__(self):
        return +self._value

    def __abs__(self):
        return OPERATORS["absolute"](self)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __float__(self) -> float:
        return float(self._value)

    def __int__(self) -> int:
        return int(self._value)


# Arithmetic runs the ops of `minikeras.ops`: a tape records it while a layer's call is differentiated.
define_operators(Variable, ("lt", "le", "gt", "ge"))
