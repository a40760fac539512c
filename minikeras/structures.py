"""Several inputs or outputs: arrays given as a list (in the model's order) or a dict keyed by name."""
from __future__ import annotations

import numpy as np

from .checks import shown


def by_position(value, names: list[str], what: str) -> list:
    """`value` as a list in the order of `names`: from a list or tuple of that length, or from a
    dict with exactly those keys; ValueError naming what was expected otherwise."""
    if isinstance(value, dict):
        unknown, missing = sorted(set(map(str, value)) - set(names)), [name for name in names if name not in value]
        if unknown or missing:
            raise ValueError(f"{what} is a dict, so its keys must be the model's names {names}; "
                             f"missing {missing}, unknown {unknown}.")
        return [value[name] for name in names]
    if isinstance(value, (list, tuple)) and len(value) == len(names):
        return list(value)
    given = f"a {type(value).__name__} of {len(value)}" if isinstance(value, (list, tuple)) else shown(value)
    raise ValueError(f"{what} must hold one entry for each of the model's {len(names)} {names}, as a list in that "
                     f"order or a dict keyed by name; got {given}.")


def rows(value) -> int:
    """The number of samples of an array, or of the first of a tuple of arrays."""
    return (value[0] if isinstance(value, tuple) else value).shape[0]


def first_array(value) -> np.ndarray:
    return value[0] if isinstance(value, tuple) else value
