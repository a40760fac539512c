"""Where a model's random generator comes from.

There is no module-global generator: each model owns one ``numpy.random.Generator`` that
draws its initial weights, shuffles, validation splits and dropout masks. `set_seed` only
fixes the seed sequence from which models created without an explicit seed get theirs.
"""
from __future__ import annotations

import numpy as np

_root: np.random.SeedSequence | None = None


def set_seed(seed: int) -> None:
    """Make every model created after this call (without ``seed=``) reproducible.

    The n-th such model gets the n-th child of ``SeedSequence(seed)``.
    """
    global _root
    _root = np.random.SeedSequence(_check_seed(seed))


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"A seed must be a non-negative integer; got {seed!r}.")
    return int(seed)


def model_generator(seed: int | None) -> np.random.Generator:
    """A generator for a new model: from `seed`, else from `set_seed`'s sequence, else from entropy."""
    if seed is not None:
        return np.random.default_rng(_check_seed(seed))
    if _root is not None:
        return np.random.default_rng(_root.spawn(1)[0])
    return np.random.default_rng()
