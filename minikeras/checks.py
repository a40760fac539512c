"""Argument checks shared by the public API, with one wording for their errors."""
from __future__ import annotations

import numpy as np


def is_int(value, minimum: int) -> bool:
    """Whether `value` is an integer (Python or numpy, not bool) of at least `minimum`."""
    return not isinstance(value, bool) and isinstance(value, (int, np.integer)) and value >= minimum


def check_int(name: str, value, minimum: int) -> int:
    """`value` as an int; ValueError "<name> must be a positive/non-negative integer; got ..." otherwise."""
    if not is_int(value, minimum):
        kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be a {kind} integer; got {value!r}.")
    return int(value)
