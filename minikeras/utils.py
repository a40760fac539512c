"""Keras' ``keras.utils`` helpers for MLP scripts: one-hot labels, the global seed, row normalization."""
from __future__ import annotations

import numpy as np

from .preprocessing import to_categorical
from .seeding import set_seed as set_random_seed

__all__ = ["to_categorical", "set_random_seed", "normalize"]


def normalize(x, axis: int = -1, order: int = 2) -> np.ndarray:
    """`x` divided by its `order`-norm along `axis` (rows of zeros stay zeros), as Keras.

    Examples
    --------
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    x = np.asarray(x, dtype=np.result_type(np.asarray(x).dtype, np.float32))
    norm = np.linalg.norm(x, ord=order, axis=axis, keepdims=True)
    return np.divide(x, norm, out=np.zeros_like(x), where=norm != 0)
