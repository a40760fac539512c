"""Adagrad and Adadelta: rates from accumulated squared gradients."""
from __future__ import annotations

import numpy as np

from ..checks import check_positive
from .base import Optimizer, check_fraction, moving_square_average, registry


@registry.register("adagrad")
class Adagrad(Optimizer):
    """Adagrad (Duchi et al. 2011) in Keras' form: the accumulator starts at `initial_accumulator_value`,
    ``acc += g^2; w -= lr * g / sqrt(acc + epsilon)``."""

    elementwise = True

    slot_names = ("accumulator",)

    def __init__(self, learning_rate=0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 **options):
        super().__init__(learning_rate, **options)
        self.initial_accumulator_value = check_positive("Adagrad initial_accumulator_value", initial_accumulator_value,
                                                        allow_zero=True)
        self.epsilon = float(epsilon)

    def _slot_initializer(self, name, variable):
        return self.initial_accumulator_value

    def _update_arrays(self, param, grad, slots, lr, scratch):
        (accumulator,) = slots
        np.multiply(grad, grad, out=scratch)
        accumulator += scratch
        np.add(accumulator, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}


@registry.register("adadelta")
class Adadelta(Optimizer):
    r"""Adadelta (Zeiler 2012) in Keras' form:

    $$
    a_g \leftarrow \rho a_g + (1 - \rho) g^2, \quad
    \delta = -\frac{\sqrt{a_\delta + \epsilon}}{\sqrt{a_g + \epsilon}} g, \quad
    a_\delta \leftarrow \rho a_\delta + (1 - \rho) \delta^2, \quad w \leftarrow w + \eta \delta
    $$
    """

    elementwise = True

    slot_names = ("accumulated_grad", "accumulated_delta")

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.rho = check_fraction("Adadelta rho", rho)
        self.epsilon = float(epsilon)

    def _update_arrays(self, param, grad, slots, lr, scratch):
        accumulated_grad, accumulated_delta = slots
        moving_square_average(accumulated_grad, grad, self.rho, scratch)
        delta = np.sqrt(accumulated_delta + self.epsilon)
        delta *= grad
        np.add(accumulated_grad, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        delta /= scratch  # the step with its sign flipped: -delta of the formula
        moving_square_average(accumulated_delta, delta, self.rho, scratch)
        delta *= lr
        param -= delta

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
