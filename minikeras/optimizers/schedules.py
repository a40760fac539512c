"""Learning-rate schedules: ``schedule(t) -> rate`` for the update count ``t`` (starting at 0)."""
from __future__ import annotations

import bisect
import math

from ..checks import check_positive
from ..registry import Registry, describe, serialize

__all__ = ["Schedule", "LearningRateSchedule", "CyclicLR", "ExponentialDecay", "StepDecay", "CosineDecay",
           "CosineDecayRestarts", "PiecewiseConstantDecay", "PolynomialDecay", "InverseTimeDecay", "OneCycle", "get",
           "serialize", "deserialize", "registry"]


class Schedule:
    """Base class: called with the update count, returns the learning rate of that update."""

    def __call__(self, step: int) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        raise NotImplementedError

    def __repr__(self) -> str:
        return describe(serialize(self))


LearningRateSchedule = Schedule  # Keras' name for the base class

registry = Registry("schedule", Schedule, required=("__call__",))


def _check_rate(name: str, value) -> float:
    """A learning rate: finite and >= 0 (a zero rate freezes, warms up or measures, as in Keras)."""
    return check_positive(name, value, allow_zero=True)


@registry.register("cyclic")
class CyclicLR(Schedule):
    r"""Cyclical learning rate (Smith 2015, arXiv:1506.01186).

    With step size $s$, $c = \lfloor 1 + t / (2s) \rfloor$ and $x = |t / s - 2c + 1|$:
    $\eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min}) \max(0, 1 - x)\, h$, where $h$ is 1
    (`"triangular"`), $2^{1 - c}$ (`"triangular2"`) or $\gamma^t$ (`"exp_range"`).
    The rate rises from eta_min at t = 0 to eta_max at t = step_size and is back at eta_min
    at t = 2 step_size: train a whole number of cycles to stop where it is smallest.

    Examples
    --------
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
        self.gamma = check_positive("CyclicLR gamma", gamma)

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
        self.decay_steps = check_positive("ExponentialDecay decay_steps", decay_steps, int)
        self.decay_rate = check_positive("ExponentialDecay decay_rate", decay_rate)
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
        self.factor = check_positive("StepDecay factor", factor)
        self.step_size = check_positive("StepDecay step_size", step_size, int)

    def __call__(self, step):
        return self.initial * self.factor ** (step // self.step_size)

    def get_config(self):
        return {"initial": self.initial, "factor": self.factor, "step_size": self.step_size}


def _cosine(fraction: float) -> float:
    """``0.5 * (1 + cos(pi * fraction))``: 1 at 0, 0 at 1."""
    return 0.5 * (1.0 + math.cos(math.pi * fraction))


@registry.register("cosine_decay")
class CosineDecay(Schedule):
    r"""Keras' cosine decay (Loshchilov & Hutter 2017) with optional linear warmup. With $\eta_0$ =
    `initial_learning_rate`, $T_w$ = `warmup_steps`, $\eta_w$ = `warmup_target` and $T$ = `decay_steps`:
    during warmup ($t < T_w$) $\eta_t = \eta_0 + (\eta_w - \eta_0)\, t / T_w$; then, with
    $s = \min(t - T_w, T)$ and $\eta_{\text{top}} = \eta_w$ (or $\eta_0$ without warmup),

    $$
    \eta_t = \eta_{\text{top}} \left((1 - \alpha)\, \frac{1 + \cos(\pi s / T)}{2} + \alpha\right).
    $$
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str | None = None,
                 warmup_target: float | None = None, warmup_steps: int = 0):
        self.initial_learning_rate = _check_rate("CosineDecay initial_learning_rate", initial_learning_rate)
        self.decay_steps = check_positive("CosineDecay decay_steps", decay_steps, int)
        self.alpha = _check_rate("CosineDecay alpha", alpha)
        self.warmup_target = None if warmup_target is None else _check_rate("CosineDecay warmup_target",
                                                                            warmup_target)
        self.warmup_steps = check_positive("CosineDecay warmup_steps", warmup_steps, int, allow_zero=True)
        self.name = name

    def __call__(self, step):
        if self.warmup_target is None:
            top, step = self.initial_learning_rate, min(step, self.decay_steps)
        else:
            step = min(step, self.decay_steps + self.warmup_steps)
            if step < self.warmup_steps:
                rise = self.warmup_target - self.initial_learning_rate
                return self.initial_learning_rate + rise * step / self.warmup_steps
            top, step = self.warmup_target, step - self.warmup_steps
        return top * ((1.0 - self.alpha) * _cosine(step / self.decay_steps) + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


@registry.register("cosine_decay_restarts")
class CosineDecayRestarts(Schedule):
    """Keras' cosine decay with warm restarts (SGDR): period ``i`` lasts ``first_decay_steps * t_mul^i``
    updates and starts at ``initial * m_mul^i``; within it, with ``f`` the fraction done,
    ``rate = initial * ((1 - alpha) * m_mul^i * 0.5 * (1 + cos(pi * f)) + alpha)``."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str | None = None):
        self.initial_learning_rate = _check_rate("CosineDecayRestarts initial_learning_rate", initial_learning_rate)
        self.first_decay_steps = check_positive("CosineDecayRestarts first_decay_steps", first_decay_steps, int)
        self.t_mul = check_positive("CosineDecayRestarts t_mul", t_mul)
        self.m_mul = _check_rate("CosineDecayRestarts m_mul", m_mul)
        self.alpha = _check_rate("CosineDecayRestarts alpha", alpha)
        self.name = name

    def __call__(self, step):
        fraction = step / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:  # periods 1, t_mul, t_mul^2, ... end at the partial sums (1 - t_mul^k) / (1 - t_mul)
            restart = math.floor(math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul ** restart) / (1.0 - self.t_mul)
            fraction = (fraction - done) / self.t_mul ** restart
        decayed = (1.0 - self.alpha) * self.m_mul ** restart * _cosine(fraction) + self.alpha
        return self.initial_learning_rate * decayed

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self.t_mul, "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


@registry.register("piecewise_constant_decay")
class PiecewiseConstantDecay(Schedule):
    """``values[0]`` while ``t <= boundaries[0]``, ``values[i]`` while ``boundaries[i-1] < t <= boundaries[i]``,
    ``values[-1]`` after the last boundary (Keras)."""

    def __init__(self, boundaries, values, name: str | None = None):
        if len(values) != len(boundaries) + 1:
            raise ValueError(f"PiecewiseConstantDecay needs one more value than boundaries; got "
                             f"{len(boundaries)} boundaries and {len(values)} values.")
        self.boundaries = [check_positive("PiecewiseConstantDecay boundary", b, int, allow_zero=True)
                           for b in boundaries]
        if self.boundaries != sorted(self.boundaries):
            raise ValueError(f"PiecewiseConstantDecay boundaries must increase; got {list(boundaries)}.")
        self.values = [_check_rate("PiecewiseConstantDecay value", v) for v in values]
        self.name = name

    def __call__(self, step):
        return self.values[bisect.bisect_left(self.boundaries, step)]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@registry.register("polynomial_decay")
class PolynomialDecay(Schedule):
    """Keras' polynomial decay: ``rate = (initial - end) * (1 - s / d) ^ power + end`` with
    ``s = min(t, decay_steps)``, ``d = decay_steps``; with `cycle`, ``d`` grows to the next multiple of
    `decay_steps` at or above ``t`` and ``s = t``."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str | None = None):
        self.initial_learning_rate = _check_rate("PolynomialDecay initial_learning_rate", initial_learning_rate)
        self.decay_steps = check_positive("PolynomialDecay decay_steps", decay_steps, int)
        self.end_learning_rate = _check_rate("PolynomialDecay end_learning_rate", end_learning_rate)
        self.power = check_positive("PolynomialDecay power", power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        if self.cycle:
            decay_steps = self.decay_steps * max(1, math.ceil(step / self.decay_steps))
        else:
            decay_steps, step = self.decay_steps, min(step, self.decay_steps)
        span = self.initial_learning_rate - self.end_learning_rate
        return span * (1.0 - step / decay_steps) ** self.power + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


@registry.register("inverse_time_decay")
class InverseTimeDecay(Schedule):
    """``rate = initial / (1 + decay_rate * t / decay_steps)`` (the ratio floored when ``staircase``), Keras."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str | None = None):
        self.initial_learning_rate = _check_rate("InverseTimeDecay initial_learning_rate", initial_learning_rate)
        self.decay_steps = check_positive("InverseTimeDecay decay_steps", decay_steps, int)
        self.decay_rate = _check_rate("InverseTimeDecay decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        ratio = step / self.decay_steps
        if self.staircase:
            ratio = math.floor(ratio)
        return self.initial_learning_rate / (1.0 + self.decay_rate * ratio)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


@registry.register("one_cycle")
class OneCycle(Schedule):
    """The one-cycle policy (Smith 2018) with PyTorch's `OneCycleLR` semantics, which Keras lacks.

    The rate rises from ``max_lr / div_factor`` to `max_lr` over the first ``pct_start * total_steps``
    updates, then falls to ``max_lr / div_factor / final_div_factor`` at update ``total_steps - 1``
    (`three_phase`: back to the start rate first, then down), along a cosine (`anneal_strategy="cos"`)
    or a line (``"linear"``). After `total_steps` it stays at the final rate (PyTorch raises there).
    """

    def __init__(self, max_lr: float, total_steps: int, pct_start: float = 0.3, anneal_strategy: str = "cos",
                 div_factor: float = 25.0, final_div_factor: float = 1e4, three_phase: bool = False):
        self.max_lr = _check_rate("OneCycle max_lr", max_lr)
        self.total_steps = check_positive("OneCycle total_steps", total_steps, int)
        self.pct_start = check_positive("OneCycle pct_start", pct_start)
        if not self.pct_start < 1.0:
            raise ValueError(f"OneCycle pct_start must be in (0, 1); got {pct_start!r}.")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycle anneal_strategy must be 'cos' or 'linear'; got {anneal_strategy!r}.")
        self.anneal_strategy = anneal_strategy
        self.div_factor = check_positive("OneCycle div_factor", div_factor)
        self.final_div_factor = check_positive("OneCycle final_div_factor", final_div_factor)
        self.three_phase = bool(three_phase)

    def _phases(self) -> list[tuple[float, float, float]]:
        """``(end_step, start_rate, end_rate)`` of each phase, as PyTorch lays them out."""
        start = self.max_lr / self.div_factor
        final = start / self.final_div_factor
        rise = self.pct_start * self.total_steps - 1
        if self.three_phase:
            return [(rise, start, self.max_lr), (2 * rise, self.max_lr, start), (self.total_steps - 1, start, final)]
        return [(rise, start, self.max_lr), (self.total_steps - 1, self.max_lr, final)]

    def __call__(self, step):
        phase_start = 0.0
        phases = self._phases()
        for index, (end, first, last) in enumerate(phases):
            if step <= end or index == len(phases) - 1:
                fraction = min((step - phase_start) / (end - phase_start), 1.0)
                if self.anneal_strategy == "cos":
                    return last + (first - last) * _cosine(fraction)
                return first + (last - first) * fraction
            phase_start = end

    def get_config(self):
        return {"max_lr": self.max_lr, "total_steps": self.total_steps, "pct_start": self.pct_start,
                "anneal_strategy": self.anneal_strategy, "div_factor": self.div_factor,
                "final_div_factor": self.final_div_factor, "three_phase": self.three_phase}


def get(spec) -> Schedule:
    """A schedule from an instance, a class, a config dict or a registered name."""
    return registry.get(spec)


def deserialize(config: dict) -> Schedule:
    """Keras' ``schedules.deserialize``: a schedule from ``{"class_name": ..., "config": ...}``."""
    return registry.from_config(config)
