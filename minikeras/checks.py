"""Argument checks shared by the public API, with one wording for their errors."""
from __future__ import annotations

import numpy as np


def is_int(value, minimum: int | None = None) -> bool:
    """Whether `value` is an integer (Python or numpy, not bool), of at least `minimum` if given."""
    return (not isinstance(value, bool) and isinstance(value, (int, np.integer))
            and (minimum is None or value >= minimum))


def check_int(name: str, value, minimum: int) -> int:
    """`value` as an int; ValueError "<name> must be a positive/non-negative integer; got ..." otherwise."""
    if not is_int(value, minimum):
        kind = "positive" if minimum == 1 else "non-negative" if minimum == 0 else f">= {minimum}"
        raise ValueError(f"{name} must be a {kind} integer; got {value!r}.")
    return int(value)


def check_verbose(verbose, auto: int) -> int:
    """Keras' verbose: ``"auto"`` (-> `auto`), 0 (silent), 1 (progress bar) or 2 (one line)."""
    if verbose == "auto":
        return auto
    if isinstance(verbose, bool) or verbose in (0, 1, 2):
        return int(verbose)
    raise ValueError(f"verbose must be 'auto', 0, 1 or 2; got {verbose!r}.")
