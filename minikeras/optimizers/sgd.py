"""SGD, with (Nesterov) momentum; the courses' Momentum."""
from __future__ import annotations

from .. import backend
from .base import Optimizer, check_fraction, registry


@registry.register("sgd")
class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (Nesterov) momentum, as Keras.

    Plain: $w \leftarrow w - \eta g$. Momentum $\mu$: $v \leftarrow \mu v - \eta g$, $w \leftarrow w + v$.
    Nesterov: $v \leftarrow \mu v - \eta g$, $w \leftarrow w + \mu v - \eta g$.

    Examples
    --------
    >>> SGD(learning_rate=0.1, momentum=0.9)
    SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    """

    elementwise = True

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **options):
        super().__init__(learning_rate, **options)
        self.momentum = check_fraction("SGD momentum", momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("velocity",) if self.momentum > 0 else ()

    def _update_arrays(self, param, grad, slots, lr, scratch):
        if not slots:
            backend.axpy(-lr, grad, param, scratch)
            return
        (velocity,) = slots
        velocity *= self.momentum
        backend.axpy(-lr, grad, velocity, scratch)
        if self.nesterov:
            backend.axpy(self.momentum, velocity, param, scratch)
            backend.axpy(-lr, grad, param, scratch)
        else:
            backend.axpy(1.0, velocity, param, scratch)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@registry.register("momentum")
class Momentum(SGD):
    """SGD with momentum 0.9 by default: ``v = momentum * v - lr * g; w += v``."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.9, nesterov: bool = False, **options):
        super().__init__(learning_rate, momentum, nesterov, **options)
