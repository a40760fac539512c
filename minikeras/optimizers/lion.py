"""Lion: the sign of an interpolated momentum."""
from __future__ import annotations

import numpy as np

from .base import Optimizer, check_fraction, moving_average, registry


@registry.register("lion")
class Lion(Optimizer):
    """Lion (Chen et al. 2023) in Keras' form: ``w -= lr * sign(beta_1 * m + (1 - beta_1) * g);
    m = beta_2 * m + (1 - beta_2) * g``."""

    elementwise = True

    slot_names = ("m",)

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **options):
        super().__init__(learning_rate, **options)
        if not 0.0 < beta_1 <= 1.0:
            raise ValueError(f"Lion beta_1 must be in (0, 1] (at 0 it is sign SGD); got {beta_1!r}.")
        self.beta_1 = float(beta_1)
        self.beta_2 = check_fraction("Lion beta_2", beta_2)

    def _update_arrays(self, param, grad, slots, lr, scratch):
        (m,) = slots
        np.multiply(m, self.beta_1, out=scratch)
        scratch += (1.0 - self.beta_1) * grad
        np.sign(scratch, out=scratch)
        scratch *= lr
        param -= scratch
        moving_average(m, grad, self.beta_2, scratch)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
