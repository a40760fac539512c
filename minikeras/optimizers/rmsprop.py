"""RMSprop (centered, with momentum)."""
from __future__ import annotations

import numpy as np

from .base import Optimizer, check_fraction, moving_average, registry


@registry.register("rmsprop")
class RMSprop(Optimizer):
    r"""RMSprop (Hinton 2012) in Keras' form:

    $$
    v \leftarrow \rho v + (1 - \rho) g^2, \quad \Delta = \eta \frac{g}{\sqrt{v + \epsilon}}, \quad
    w \leftarrow w - \Delta
    $$

    `centered`: $a \leftarrow \rho a + (1 - \rho) g$ and the root is of $v - a^2 + \epsilon$;
    `momentum` $\mu$: $s \leftarrow \mu s + \Delta$, $w \leftarrow w - s$.
    """

    elementwise = True

    def __init__(self, learning_rate=0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, **options):
        super().__init__(learning_rate, **options)
        self.rho = check_fraction("RMSprop rho", rho)
        self.momentum = check_fraction("RMSprop momentum", momentum)
        self.epsilon = float(epsilon)
        self.centered = bool(centered)
        self.slot_names = ("velocity",) + (("average_grad",) if self.centered else ()) \
            + (("momentum",) if self.momentum > 0 else ())

    def _update_arrays(self, param, grad, slots, lr, scratch):
        velocity, *rest = slots
        velocity *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.rho
        velocity += scratch
        if self.centered:
            average_grad = rest.pop(0)
            moving_average(average_grad, grad, self.rho, scratch)
            np.multiply(average_grad, average_grad, out=scratch)
            np.subtract(velocity, scratch, out=scratch)
            scratch += self.epsilon
        else:
            np.add(velocity, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        if rest:
            (momentum,) = rest
            momentum *= self.momentum
            momentum += scratch
            scratch = momentum
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                "centered": self.centered}
