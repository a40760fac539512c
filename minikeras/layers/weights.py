"""What declaring a weight involves: its first value, the budget of a model read from a file,
and the read-only views `Layer.params` and `Layer.state`."""
from __future__ import annotations

import contextlib
import contextvars
import math
from typing import Any

import numpy as np

from .. import initializers, seeding

# While a model is built from a file: the bytes of weights its layers may still declare.
_LOADING: contextvars.ContextVar[list[int] | None] = contextvars.ContextVar("loading", default=None)


@contextlib.contextmanager
def building_from_file(byte_budget: int):
    """Inside, `Layer.add_weight` makes zeros instead of running initializers (the file sets the
    values), and refuses, before allocating it, a weight that would take the layers past
    `byte_budget` bytes: what the file can hold. So a small file declaring huge layers costs
    neither memory nor an initializer's time."""
    token = _LOADING.set([byte_budget])
    try:
        yield
    finally:
        _LOADING.reset(token)


def first_value(initializer, rng: np.random.Generator | None) -> Any:
    """What a new weight starts from: the array given, else a draw of the initializer (from `rng`,
    or a fresh generator for a layer built outside a model)."""
    if isinstance(initializer, (np.ndarray, list, tuple, int, float)):
        return initializer
    chosen = initializers.get("glorot_uniform" if initializer is None else initializer)
    return lambda shape, dtype: chosen.draw(shape, rng if rng is not None else seeding.model_generator(None), dtype)


def per_sample(shape: Any, several: bool) -> Any:
    """A per-sample shape as a tuple of ints, or (`several`: a merge layer's) a list of them."""
    if several:
        return [tuple(int(d) for d in one) for one in shape]
    return tuple(int(d) for d in shape)


class ReadOnlyArrays(dict):
    """`Layer.params` / `Layer.state`: the layer's current arrays by name, to read. Weights are
    declared with `Layer.add_weight` and changed through their `Variable` (``assign``)."""

    def __init__(self, layer, kind: str, arrays):
        super().__init__(arrays)
        self._where = f"layer {layer.name!r} ({type(layer).__name__}) {kind}"

    def _refuse(self, *args, **kwargs):
        raise TypeError(f"{self._where} is read-only: declare weights with self.add_weight(...) in build() and "
                        f"change their values with variable.assign(...).")

    __setitem__ = __delitem__ = update = setdefault = pop = popitem = clear = _refuse


def spend(budget: list[int], owner: str, name: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Take a new weight's bytes from the loading file's `budget`; ValueError past it."""
    budget[0] -= math.prod(shape) * dtype.itemsize
    if budget[0] < 0:
        raise ValueError(f"its architecture declares more bytes of weights than the file can hold: the weight "
                         f"{owner}/{name} of shape {shape} goes past them")


def loading_budget() -> list[int] | None:
    """The byte budget while a model is built from a file, else None."""
    return _LOADING.get()
