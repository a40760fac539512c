"""Keras' `keras.config`: process-wide defaults.

`floatx()` is the dtype new layers, models and variables get when none is given (float32);
`set_floatx("float64")` changes it for what is created afterwards, as in Keras.

Examples
--------
>>> floatx()
'float32'
"""
from __future__ import annotations

import numpy as np

_FLOATX = "float32"
FLOAT_DTYPES = ("float32", "float64")
EPSILON = 1e-7  # Keras' fuzz factor: the clip of probabilities and denominators


def epsilon() -> float:
    """Keras' ``keras.config.epsilon()``: the fuzz factor of losses and ops, 1e-7."""
    return EPSILON


def floatx() -> str:
    """The default float dtype, ``"float32"`` unless `set_floatx` changed it."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Make `value` (``"float32"`` or ``"float64"``) the default dtype of new layers, models and variables."""
    global _FLOATX
    name = np.dtype(value).name if isinstance(value, (str, type, np.dtype)) else None
    if name not in FLOAT_DTYPES:
        raise ValueError(f"floatx must be one of {FLOAT_DTYPES}; got {value!r}.")
    _FLOATX = name
