"""LAMB: Adam's direction scaled per variable by a trust ratio."""
from __future__ import annotations

import numpy as np

from .adam import AdamFamily
from .base import moving_average, moving_square_average, registry


@registry.register("lamb")
class Lamb(AdamFamily):
    """LAMB (You et al. 2019) in Keras' form: Adam's direction
    ``u = (m / (1 - beta_1^t)) / (sqrt(v / (1 - beta_2^t)) + epsilon)`` (moments as Adam), scaled per
    variable by the trust ratio ``r = |w| / |u|`` (1 when either norm is 0): ``w -= lr * r * u``."""

    slot_names = ("m", "v")
    elementwise = False  # the trust ratio is per variable

    def _update_arrays(self, param, grad, slots, lr, scratch):
        m, v = slots
        t = self.iterations + 1
        moving_average(m, grad, self.beta_1, scratch)
        moving_square_average(v, grad, self.beta_2, scratch)
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= 1.0 / (1.0 - self.beta_1 ** t)
        weight_norm, update_norm = np.linalg.norm(param), np.linalg.norm(scratch)
        scratch *= lr * (weight_norm / update_norm if weight_norm > 0 and update_norm > 0 else 1.0)
        param -= scratch
