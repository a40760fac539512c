"""Search spaces: distributions to sample hyper-parameters from, and their refinement.

A space is a dict ``{name: dimension}``; a dimension is `LogUniform`, `Uniform`, `IntUniform`,
`Choice`, or a plain list (a grid axis, same as `Choice`).
"""
from __future__ import annotations

import itertools
import math

import numpy as np


class Dimension:
    """One hyper-parameter: ``sample(rng)`` draws a value; ``narrowed(values)`` a smaller dimension
    around the given good values."""

    def sample(self, rng: np.random.Generator):
        raise NotImplementedError

    def narrowed(self, values: list, fraction: float):
        raise NotImplementedError


class Uniform(Dimension):
    """Real values uniform in ``[low, high]``."""

    def __init__(self, low: float, high: float):
        if not low < high:
            raise ValueError(f"{type(self).__name__} needs low < high; got {low!r} and {high!r}.")
        self.low, self.high = float(low), float(high)

    def _to_unit(self, value):  # the axis on which the dimension is uniform
        return value

    def _from_unit(self, value):
        return value

    def sample(self, rng):
        a, b = self._to_unit(self.low), self._to_unit(self.high)
        return float(self._from_unit(rng.uniform(a, b)))

    def narrowed(self, values, fraction=0.1):
        """The span of `values`, widened by `fraction` of the current width on each side, clipped."""
        a, b = self._to_unit(self.low), self._to_unit(self.high)
        margin = fraction * (b - a)
        points = [self._to_unit(v) for v in values]
        low, high = max(a, min(points) - margin), min(b, max(points) + margin)
        return type(self)(self._from_unit(low), self._from_unit(high))

    def __repr__(self):
        return f"{type(self).__name__}({self.low:g}, {self.high:g})"

    def __eq__(self, other):
        return type(self) is type(other) and (self.low, self.high) == (other.low, other.high)


class LogUniform(Uniform):
    """Values whose log10 is uniform in ``[log10 low, log10 high]`` (e.g. L2 strengths, rates)."""

    def __init__(self, low: float, high: float):
        if not 0 < low:
            raise ValueError(f"LogUniform needs 0 < low; got {low!r}.")
        super().__init__(low, high)

    def _to_unit(self, value):
        return math.log10(value)

    def _from_unit(self, value):
        return 10.0 ** value


class IntUniform(Uniform):
    """Integers uniform in ``[low, high]`` (both included)."""

    def __init__(self, low: int, high: int):
        super().__init__(int(low), int(high))

    def sample(self, rng):
        return int(rng.integers(int(self.low), int(self.high) + 1))

    def narrowed(self, values, fraction=0.1):
        wider = super().narrowed(values, fraction)
        low, high = int(math.floor(wider.low)), int(math.ceil(wider.high))
        return IntUniform(low, max(high, low + 1))


class Choice(Dimension):
    """One of a list of options (numbers, strings, ...)."""

    def __init__(self, options):
        options = list(options)
        if not options:
            raise ValueError("Choice needs at least one option.")
        self.options = options

    def sample(self, rng):
        return self.options[int(rng.integers(len(self.options)))]

    def narrowed(self, values, fraction=0.1):
        return Choice([option for option in self.options if option in values])

    def __repr__(self):
        return f"Choice({self.options!r})"

    def __eq__(self, other):
        return isinstance(other, Choice) and self.options == other.options


def dimension(spec) -> Dimension:
    """A Dimension from an instance, a list (grid axis), or a dict such as ``{"log_uniform": [a, b]}``."""
    if isinstance(spec, Dimension):
        return spec
    if isinstance(spec, (list, tuple)):
        return Choice(spec)
    kinds = {"log_uniform": LogUniform, "uniform": Uniform, "int_uniform": IntUniform, "choice": Choice}
    if isinstance(spec, dict) and len(spec) == 1 and next(iter(spec)) in kinds:
        kind, args = next(iter(spec.items()))
        return kinds[kind](args) if kind == "choice" else kinds[kind](*args)
    raise ValueError(f"A search dimension must be LogUniform/Uniform/IntUniform/Choice, a list, or a dict "
                     f"with one key of {sorted(kinds)}; got {spec!r}.")


def sample_trials(space: dict, n_trials: int, seed: int = 0) -> list[dict]:
    """`n_trials` parameter dicts drawn independently from `space` (reproducible for a seed)."""
    space = {name: dimension(spec) for name, spec in space.items()}
    rng = np.random.default_rng(seed)
    return [{name: dim.sample(rng) for name, dim in space.items()} for _ in range(n_trials)]


def grid_trials(space: dict) -> list[dict]:
    """Every combination of the options of `space` (each dimension a list or Choice)."""
    space = {name: dimension(spec) for name, spec in space.items()}
    for name, dim in space.items():
        if not isinstance(dim, Choice):
            raise ValueError(f"Grid search needs a list of values for {name!r}; got {dim!r}.")
    names = list(space)
    return [dict(zip(names, combo)) for combo in itertools.product(*(space[n].options for n in names))]


def ranked(records: list[dict], metric: str, mode: str = "max") -> list[dict]:
    """The finished trials that report `metric`, best first; ValueError when there is none."""
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min'; got {mode!r}.")
    finished = [r for r in records if r.get("status") == "ok" and metric in r.get("metrics", {})]
    if not finished:
        raise ValueError(f"No finished trial reports {metric!r}.")
    return sorted(finished, key=lambda r: r["metrics"][metric], reverse=mode == "max")


def refine(space: dict, trials: list[dict], metric: str, mode: str = "max", top: int = 3,
           fraction: float = 0.1) -> dict:
    """A narrower space around the `top` best finished trials (the course's coarse-to-fine search).

    Each real dimension becomes the span of the best trials' values, widened by `fraction` of the
    old width on each side (in log10 for LogUniform); a Choice keeps the options the best used.
    """
    best = ranked(trials, metric, mode)[:top]
    return {name: dimension(spec).narrowed([t["params"][name] for t in best], fraction)
            for name, spec in space.items()}
