"""Learning-rate schedules: ``schedule(t) -> rate`` for the update count ``t`` (starting at 0)."""
from __future__ import annotations

import math

import numpy as np

from .registry import Registry, describe, serialize


class Schedule:
    """Base class: called with the update count, returns the learning rate of that update."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    def __repr__(self) -> str:
        return describe(serialize(self))


registry = Registry("schedule", Schedule, required=("__call__",))


def _check_positive(name: str, value, kind=float, allow_zero: bool = False):
    """`value` as `kind`; ValueError unless it is a finite number > 0 (>= 0 with `allow_zero`)."""
    bad_kind = isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating))
    if bad_kind or not math.isfinite(value) or not (value >= 0 if allow_zero else value > 0) \
            or (kind is int and value != int(value)):
        adjective = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a finite {adjective} {kind.__name__}; got {value!r}.")
    return kind(value)


def _check_rate(name: str, value) -> float:
    """A learning rate: finite and >= 0 (a zero rate freezes, warms up or measures, as in Keras)."""
    return _check_positive(name, value, allow_zero=True)


@registry.register("cyclic")
class CyclicLR(Schedule):
    """Cyclical learning rate (Smith 2015, arXiv:1506.01186).

    With ``cycle = floor(1 + t / (2 step_size))`` and ``x = |t / step_size - 2 cycle + 1|``:
    ``rate = eta_min + (eta_max - eta_min) * max(0, 1 - x) * scale``, where scale is 1
    (``"triangular"``), ``1 / 2^(cycle - 1)`` (``"triangular2"``) or ``gamma^t`` (``"exp_range"``).
    The rate rises from eta_min at t = 0 to eta_max at t = step_size and is back at eta_min
    at t = 2 step_size: train a whole number of cycles to stop where it is smallest.

    >>> CyclicLR(1e-5, 1e-1, step_size=500)(500)
    0.1
    """

    MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, eta_min: float, eta_max: float, step_size: int, mode: str = "triangular",
                 gamma: float = 1.0):
        self.eta_min = _check_rate("CyclicLR eta_min", eta_min)
        self.eta_max = _check_rate("CyclicLR eta_max", eta_max)
        if self.eta_max < self.eta_min:
            raise ValueError(f"CyclicLR needs eta_min <= eta_max; got {eta_min!r} > {eta_max!r}.")
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"CyclicLR step_size must be a positive integer; got {step_size!r}.")
        if mode not in self.MODES:
            raise ValueError(f"Unknown CyclicLR mode {mode!r}. Expected one of: {', '.join(self.MODES)}.")
        self.step_size = step_size
        self.mode = mode
        self.gamma = _check_positive("CyclicLR gamma", gamma)

    def __call__(self, step):
        cycle = math.floor(1 + step / (2 * self.step_size))
        x = abs(step / self.step_size - 2 * cycle + 1)
        height = (self.eta_max - self.eta_min) * max(0.0, 1.0 - x)
        if self.mode == "triangular2":
            height /= 2.0 ** (cycle - 1)
        elif self.mode == "exp_range":
            height *= self.gamma ** step
        return self.eta_min + height

    def get_config(self):
        return {"eta_min": self.eta_min, "eta_max": self.eta_max, "step_size": self.step_size,
                "mode": self.mode, "gamma": self.gamma}


@registry.register("exponential_decay")
class ExponentialDecay(Schedule):
    """``rate = initial_learning_rate * decay_rate ^ (t / decay_steps)`` (exponent floored when
    ``staircase``), Keras' signature; ``initial=`` is the courses' name for the first argument."""

    def __init__(self, initial_learning_rate: float | None = None, decay_steps: int | None = None,
                 decay_rate: float | None = None, staircase: bool = False, name: str | None = None,
                 initial: float | None = None):
        if (initial_learning_rate is None) == (initial is None):
            raise TypeError("ExponentialDecay needs initial_learning_rate (or initial), once.")
        initial = initial_learning_rate if initial is None else initial
        self.initial = _check_rate("ExponentialDecay initial_learning_rate", initial)
        self.decay_steps = _check_positive("ExponentialDecay decay_steps", decay_steps, int)
        self.decay_rate = _check_positive("ExponentialDecay decay_rate", decay_rate)
        self.staircase = bool(staircase)

    def __call__(self, step):
        exponent = step / self.decay_steps
        if self.staircase:
            exponent = math.floor(exponent)
        return self.initial * self.decay_rate ** exponent

    def get_config(self):
        return {"initial_learning_rate": self.initial, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase}


@registry.register("step_decay")
class StepDecay(Schedule):
    """``rate = initial * factor ^ floor(t / step_size)``: multiply by `factor` every `step_size` updates."""

    def __init__(self, initial: float, factor: float, step_size: int):
        self.initial = _check_rate("StepDecay initial", initial)
        self.factor = _check_positive("StepDecay factor", factor)
        self.step_size = _check_positive("StepDecay step_size", step_size, int)

    def __call__(self, step):
        return self.initial * self.factor ** (step // self.step_size)

    def get_config(self):
        return {"initial": self.initial, "factor": self.factor, "step_size": self.step_size}


def get(spec) -> Schedule:
    return registry.get(spec)
