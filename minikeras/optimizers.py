"""Optimizers: they own every parameter update (layers only compute gradients).

An optimizer is bound to a model's trainable arrays at ``compile`` (`build`), keeps its
per-parameter slots (velocities, moments) in named lists aligned with them, and counts its
updates in `iterations`. The learning rate is a float or a `Schedule` called with that count.
"""
from __future__ import annotations

import math

import numpy as np

from . import ops, schedules
from .registry import Registry, describe, serialize


class Optimizer:
    """Base class.

    Subclasses set `slot_names` and implement ``update_step(param, grad, slots, lr, scratch)``,
    which changes `param` in place. `scratch` is a reusable array shaped like `param`.
    """

    slot_names: tuple[str, ...] = ()

    def __init__(self, learning_rate=0.01):
        self._learning_rate = self._check_rate(learning_rate)
        self.iterations = 0
        self.last_learning_rate: float | None = None
        self.slots: dict[str, list[np.ndarray]] = {}
        self._scratch: list[np.ndarray] = []

    @staticmethod
    def _check_rate(rate):
        if isinstance(rate, schedules.Schedule):
            return rate
        if isinstance(rate, bool) or not isinstance(rate, (int, float, np.integer, np.floating)) \
                or not math.isfinite(rate) or rate < 0:
            raise ValueError(f"learning_rate must be a finite float >= 0 or a schedule; got {rate!r}.")
        return float(rate)

    @property
    def learning_rate(self):
        """The float rate or the schedule given at construction."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, rate):
        if isinstance(self._learning_rate, schedules.Schedule):
            raise TypeError(f"This optimizer's learning rate is the schedule {self._learning_rate!r}; "
                            f"it cannot be overwritten with {rate!r}.")
        self._learning_rate = self._check_rate(rate)

    def current_learning_rate(self) -> float:
        """The rate the next update will use; ValueError if a schedule gives a non-finite or negative one."""
        schedule = self._learning_rate
        if not isinstance(schedule, schedules.Schedule):
            return schedule
        try:
            rate = float(schedule(self.iterations))
        except OverflowError:
            rate = math.inf
        if not (math.isfinite(rate) and rate >= 0):
            raise ValueError(f"The schedule {schedule!r} gives the rate {rate} at update {self.iterations}; "
                             f"a learning rate must be finite and >= 0.")
        return rate

    def build(self, params: list[np.ndarray]) -> None:
        """Create zeroed slots for `params` and reset the update count."""
        self.iterations = 0
        self.slots = {name: [np.zeros_like(p) for p in params] for name in self.slot_names}
        self._scratch = [np.empty_like(p) for p in params]

    def apply(self, params: list[np.ndarray], grads: list[np.ndarray]) -> float:
        """One update of every param from its grad; returns the learning rate used."""
        lr = self.current_learning_rate()
        for i, (param, grad) in enumerate(zip(params, grads)):
            slots = [self.slots[name][i] for name in self.slot_names]
            self.update_step(param, grad, slots, lr, self._scratch[i])
        self.iterations += 1
        self.last_learning_rate = lr
        return lr

    def update_step(self, param, grad, slots, lr, scratch):
        raise NotImplementedError

    def get_config(self) -> dict:
        rate = self._learning_rate
        return {"learning_rate": serialize(rate) if isinstance(rate, schedules.Schedule) else rate}

    @classmethod
    def from_config(cls, config: dict) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = schedules.registry.from_config(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("optimizer", Optimizer, required=("update_step",))


def _check_fraction(name: str, value: float, upper_inclusive: bool = False) -> float:
    ok = 0.0 <= value <= 1.0 if upper_inclusive else 0.0 <= value < 1.0
    if not ok:
        raise ValueError(f"{name} must be in [0, 1{']' if upper_inclusive else ')'}; got {value!r}.")
    return float(value)


@registry.register("sgd")
class SGD(Optimizer):
    """Stochastic gradient descent, with optional (Nesterov) momentum, as Keras.

    Plain: ``w -= lr * g``. Momentum: ``v = momentum * v - lr * g; w += v``.
    Nesterov: ``v = momentum * v - lr * g; w += momentum * v - lr * g``.

    >>> SGD(learning_rate=0.1, momentum=0.9)
    SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    """

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False):
        super().__init__(learning_rate)
        self.momentum = _check_fraction("SGD momentum", momentum)
        self.nesterov = bool(nesterov)
        self.slot_names = ("velocity",) if self.momentum > 0 else ()

    def update_step(self, param, grad, slots, lr, scratch):
        if not slots:
            ops.axpy(-lr, grad, param, scratch)
            return
        (velocity,) = slots
        velocity *= self.momentum
        ops.axpy(-lr, grad, velocity, scratch)
        if self.nesterov:
            ops.axpy(self.momentum, velocity, param, scratch)
            ops.axpy(-lr, grad, param, scratch)
        else:
            ops.axpy(1.0, velocity, param, scratch)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


@registry.register("momentum")
class Momentum(SGD):
    """SGD with momentum 0.9 by default: ``v = momentum * v - lr * g; w += v``."""

    def __init__(self, learning_rate=0.01, momentum: float = 0.9, nesterov: bool = False):
        super().__init__(learning_rate, momentum, nesterov)


@registry.register("adam")
class Adam(Optimizer):
    """Adam (Kingma & Ba 2014) in Keras' form, with ``t`` the 1-based update count::

        m += (1 - beta_1) * (g - m);  v += (1 - beta_2) * (g^2 - v)
        w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)
    """

    slot_names = ("m", "v")

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.beta_1 = _check_fraction("Adam beta_1", beta_1)
        self.beta_2 = _check_fraction("Adam beta_2", beta_2)
        self.epsilon = float(epsilon)
        self._correction = 1.0  # lr multiplier sqrt(1 - beta_2^t) / (1 - beta_1^t) of the current update

    def apply(self, params, grads):
        t = self.iterations + 1
        self._correction = math.sqrt(1.0 - self.beta_2 ** t) / (1.0 - self.beta_1 ** t)
        return super().apply(params, grads)

    def update_step(self, param, grad, slots, lr, scratch):
        m, v = slots
        np.subtract(grad, m, out=scratch)
        scratch *= 1.0 - self.beta_1
        m += scratch
        np.multiply(grad, grad, out=scratch)
        scratch -= v
        scratch *= 1.0 - self.beta_2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= lr * self._correction
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


@registry.register("rmsprop")
class RMSprop(Optimizer):
    """RMSprop (Hinton 2012) in Keras' form: ``v = rho * v + (1 - rho) * g^2; w -= lr * g / sqrt(v + epsilon)``."""

    slot_names = ("velocity",)

    def __init__(self, learning_rate=0.001, rho: float = 0.9, epsilon: float = 1e-7):
        super().__init__(learning_rate)
        self.rho = _check_fraction("RMSprop rho", rho)
        self.epsilon = float(epsilon)

    def update_step(self, param, grad, slots, lr, scratch):
        (velocity,) = slots
        velocity *= self.rho
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - self.rho
        velocity += scratch
        np.add(velocity, self.epsilon, out=scratch)
        np.sqrt(scratch, out=scratch)
        np.divide(grad, scratch, out=scratch)
        scratch *= lr
        param -= scratch

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}


def get(spec) -> Optimizer:
    """An optimizer from ``"sgd" "momentum" "adam" "rmsprop"`` (Keras defaults), a class or an instance."""
    return registry.get(spec)
