"""Where a model's random generator comes from.

There is no module-global generator: each model owns one ``numpy.random.Generator`` that
draws its initial weights, shuffles, validation splits and dropout masks. `set_seed` only
fixes the seed sequence from which models created without an explicit seed get theirs.
"""
from __future__ import annotations

import numpy as np

from .checks import check_int

_root: np.random.SeedSequence | None = None


def set_seed(seed: int) -> None:
    """Make every model created after this call (without ``seed=``) reproducible.

    The n-th such model gets the n-th child of ``SeedSequence(seed)``.
    """
    global _root
    _root = np.random.SeedSequence(check_int("seed", seed, 0))


def model_generator(seed: int | None) -> np.random.Generator:
    """A generator for a new model: from `seed`, else from `set_seed`'s sequence, else from entropy."""
    if seed is not None:
        return np.random.default_rng(check_int("seed", seed, 0))
    if _root is not None:
        return np.random.default_rng(_root.spawn(1)[0])
    return np.random.default_rng()
