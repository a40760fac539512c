"""The Adam family: Adam (and amsgrad), AdamW, Adamax, Nadam."""
from __future__ import annotations

import math

import numpy as np

from .base import Optimizer, check_fraction, moving_average, moving_square_average, registry


class AdamFamily(Optimizer):
    """Shared constructor and config of Adam, Adamax, Nadam, Lamb and ScheduleFreeAdamW: `beta_1`,
    `beta_2`, `epsilon`."""

    elementwise = True

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **options):
        super().__init__(learning_rate, **options)
        self.beta_1 = check_fraction(f"{type(self).__name__} beta_1", beta_1)
        self.beta_2 = check_fraction(f"{type(self).__name__} beta_2", beta_2)
        self.epsilon = float(epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon}


@registry.register("adam")
class Adam(AdamFamily):
    r"""Adam (Kingma & Ba 2014) in Keras' form, with $t$ the 1-based update count:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    w \leftarrow w - \eta \frac{\sqrt{1 - \beta_2^t}}{1 - \beta_1^t} \frac{m}{\sqrt{v} + \epsilon}
    $$

    With `amsgrad`, $\hat{v} = \max(\hat{v}, v)$ takes the place of $v$ in the last step.
    """

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, **options):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, **options)
        self.amsgrad = bool(amsgrad)
        self.slot_names = ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def _update_arrays(self, param, grad, slots, lr, scratch):
        m, v = slots[:2]
        moving_average(m, grad, self.beta_1, scratch)
        moving_square_average(v, grad, self.beta_2, scratch)
        if self.amsgrad:
            v = np.maximum(slots[2], v, out=slots[2])
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        t = self.iterations + 1
        scratch *= lr * math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "amsgrad": self.amsgrad}


@registry.register("adamw")
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019), Keras' default ``weight_decay=0.004``:
    every update first does ``w -= w * weight_decay * lr``, then Adam's step."""

    def __init__(self, learning_rate=0.001, weight_decay: float = 0.004, beta_1: float = 0.9,
                 beta_2: float = 0.999, epsilon: float = 1e-7, amsgrad: bool = False, **options):
        if weight_decay is None:
            raise ValueError("AdamW needs a weight_decay (a float >= 0); got None. Use Adam for no decay.")
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay=weight_decay, **options)


@registry.register("adamax")
class Adamax(AdamFamily):
    r"""Adamax, Adam's infinity-norm variant, in Keras' form:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad u \leftarrow \max(\beta_2 u, \lvert g \rvert), \quad
    w \leftarrow w - \eta \frac{m}{(1 - \beta_1^t)(u + \epsilon)}
    $$
    """

    slot_names = ("m", "u")


    def _update_arrays(self, param, grad, slots, lr, scratch):
        m, u = slots
        moving_average(m, grad, self.beta_1, scratch)
        u *= self.beta_2
        np.maximum(u, np.abs(grad, out=scratch), out=u)
        np.add(u, self.epsilon, out=scratch)
        np.divide(m, scratch, out=scratch)
        scratch *= lr / (1.0 - self.beta_1 ** (self.iterations + 1))
        param -= scratch


@registry.register("nadam")
class Nadam(AdamFamily):
    r"""Adam with Nesterov momentum (Dozat 2016) in Keras' form, with $t$ the 1-based update count,
    $\mu_k = \beta_1 (1 - 0.5 \cdot 0.96^k)$ and $P_t = \mu_1 \cdots \mu_t$:

    $$
    m \leftarrow m + (1 - \beta_1)(g - m), \quad v \leftarrow v + (1 - \beta_2)(g^2 - v), \quad
    \hat{m} = \frac{\mu_{t+1} m}{1 - P_t \mu_{t+1}} + \frac{(1 - \mu_t) g}{1 - P_t}, \quad
    w \leftarrow w - \eta \frac{\hat{m}}{\sqrt{v / (1 - \beta_2^t)} + \epsilon}
    $$

    $P_t$ follows from the update count, so a saved optimizer resumes exactly.
    """

    slot_names = ("m", "v")
    _product = (0, 1.0)  # (t, P_t), extended one factor per update; recomputed after a resume

    def _mu(self, k: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** k)

    def _mu_product(self, t: int) -> float:
        done, product = self._product
        if done > t:
            done, product = 0, 1.0
        for k in range(done + 1, t + 1):
            product *= self._mu(k)
        self._product = (t, product)
        return product

    def _update_arrays(self, param, grad, slots, lr, scratch):
        m, v = slots
        t = self.iterations + 1
        mu_t, mu_next, product = self._mu(t), self._mu(t + 1), self._mu_product(t)
        moving_average(m, grad, self.beta_1, scratch)
        moving_square_average(v, grad, self.beta_2, scratch)
        np.multiply(v, 1.0 / (1.0 - self.beta_2 ** t), out=scratch)
        np.sqrt(scratch, out=scratch)
        scratch += self.epsilon
        np.reciprocal(scratch, out=scratch)
        # param -= lr * (a * m + b * g) / (sqrt(v_hat) + eps), with scratch holding the reciprocal
        param -= (lr * mu_next / (1.0 - product * mu_next)) * m * scratch
        param -= (lr * (1.0 - mu_t) / (1.0 - product)) * grad * scratch
