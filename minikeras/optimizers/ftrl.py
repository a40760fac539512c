"""FTRL-Proximal."""
from __future__ import annotations

import numpy as np

from ..checks import check_positive
from .base import Optimizer, registry


@registry.register("ftrl")
class Ftrl(Optimizer):
    r"""FTRL-Proximal (McMahan et al. 2013) in Keras' form, with $p$ = `-learning_rate_power`,
    $\ell_1$, $\ell_2$, $s$ the three regularization strengths and $\beta$ = `beta`:

    $$
    g' = g + 2 s w, \quad n' = n + g^2, \quad z \leftarrow z + g' - \frac{n'^p - n^p}{\eta} w, \quad
    w = \frac{\operatorname{clip}(z, -\ell_1, \ell_1) - z}{n'^p / \eta + 2 (\ell_2 + \beta / (2 \eta))},
    \quad n \leftarrow n'
    $$
    """

    elementwise = True

    slot_names = ("accumulator", "linear")

    def __init__(self, learning_rate=0.001, learning_rate_power: float = -0.5, initial_accumulator_value: float = 0.1,
                 l1_regularization_strength: float = 0.0, l2_regularization_strength: float = 0.0,
                 l2_shrinkage_regularization_strength: float = 0.0, beta: float = 0.0, **options):
        super().__init__(learning_rate, **options)
        if not learning_rate_power <= 0:
            raise ValueError(f"Ftrl learning_rate_power must be <= 0; got {learning_rate_power!r}.")
        self.learning_rate_power = float(learning_rate_power)
        self.initial_accumulator_value = check_positive("Ftrl initial_accumulator_value", initial_accumulator_value,
                                                        allow_zero=True)
        strengths = {"l1_regularization_strength": l1_regularization_strength,
                     "l2_regularization_strength": l2_regularization_strength,
                     "l2_shrinkage_regularization_strength": l2_shrinkage_regularization_strength, "beta": beta}
        for name, value in strengths.items():
            setattr(self, name, check_positive(f"Ftrl {name}", value, allow_zero=True))

    def _slot_initializer(self, name, variable):
        return self.initial_accumulator_value if name == "accumulator" else 0.0

    def _update_arrays(self, param, grad, slots, lr, scratch):
        accumulator, linear = slots
        power = -self.learning_rate_power
        new_accumulator = accumulator + grad * grad
        linear += grad + 2.0 * self.l2_shrinkage_regularization_strength * param
        linear -= (new_accumulator ** power - accumulator ** power) / lr * param
        quadratic = new_accumulator ** power / lr + 2.0 * (self.l2_regularization_strength + self.beta / (2.0 * lr))
        l1 = self.l1_regularization_strength
        np.clip(linear, -l1, l1, out=scratch)
        scratch -= linear
        np.divide(scratch, quadratic, out=param)
        accumulator[...] = new_accumulator

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength, "beta": self.beta}
