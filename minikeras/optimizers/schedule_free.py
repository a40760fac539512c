"""Schedule-free AdamW."""
from __future__ import annotations

import numpy as np

from .adam import AdamFamily
from .base import moving_square_average, registry


@registry.register("schedule_free_adamw")
class ScheduleFreeAdamW(AdamFamily):
    r"""Schedule-free AdamW (Defazio et al. 2024) in Keras' form. The weights $y$ interpolate
    between the gradient sequence $z$ (slot `momentum`, starting at the weights) and its running
    average $x$; with $t$ the 1-based update count and the rate $\eta$ ramped up linearly over
    `warmup_steps`:

    $$
    v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    z' = z - \eta \frac{g}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}, \quad
    x = \frac{y - (1 - \beta_1) z}{\beta_1}, \quad
    x' = \left(1 - \tfrac{1}{t}\right) x + \tfrac{1}{t} z', \quad
    y \leftarrow (1 - \beta_1) z' + \beta_1 x'
    $$

    (Keras keeps $y$ in the weights at evaluation too, so no swap is needed.)
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.0025, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-8,
                 warmup_steps: int = 0, **options):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **options)
        if not self.beta_1 > 0:
            raise ValueError(f"ScheduleFreeAdamW beta_1 must be in (0, 1) (it divides); got {beta_1!r}.")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) or warmup_steps < 0:
            raise ValueError(f"ScheduleFreeAdamW warmup_steps must be an int >= 0; got {warmup_steps!r}.")
        self.warmup_steps = warmup_steps

    def _slot_initializer(self, name, variable):
        return variable.value if name == "momentum" else 0.0

    def _update_arrays(self, param, grad, slots, lr, scratch):
        z, v = slots
        t = self.iterations + 1
        if self.warmup_steps:
            lr *= min(t / self.warmup_steps, 1.0)
        moving_square_average(v, grad, self.beta_2, scratch)
        # x, the average, from the weights and the old z: x = (y - (1 - beta_1) z) / beta_1
        average = (param - (1.0 - self.beta_1) * z) / self.beta_1
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        z -= scratch
        average *= 1.0 - 1.0 / t
        average += z / t
        np.multiply(z, 1.0 - self.beta_1, out=param)
        average *= self.beta_1
        param += average

    def get_config(self):
        return {**super().get_config(), "warmup_steps": self.warmup_steps}
