"""Timing helpers shared by the suite and the investigations: alternating turns and ratios to the floor."""
from __future__ import annotations

import statistics
import time

import minikeras as mk


def timed(function, *args, **kwargs) -> float:
    start = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - start


def alternate(contenders: dict, repeats: int, both_orders: bool = False) -> dict[str, list[float]]:
    """Seconds of `repeats` runs of each contender (a function returning its seconds), taken in
    turns so that the machine's drift hits all alike, after one warm-up run each. With
    `both_orders` every other turn runs them in reverse, so that none profits from its place."""
    times = {name: [] for name in contenders}
    for run in contenders.values():  # warm-up: allocations, BLAS thread start
        run()
    for turn in range(repeats):
        order = list(contenders.items())
        for name, run in reversed(order) if both_orders and turn % 2 else order:
            times[name].append(run())
    return times


class _EpochTimer(mk.callbacks.Callback):
    """Times each epoch of a `fit` (shuffling, gathering, every batch, logging: the work an epoch
    does, not what a `fit` call does once) and calls `after(epoch, seconds)` at its end."""

    def __init__(self, after):
        super().__init__()
        self.after = after
        self._start = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.after(epoch, time.perf_counter() - self._start)


def alternate_with_fit(fit, others: dict, repeats: int) -> dict[str, list[float]]:
    """`alternate` for a training contender timed inside one multi-epoch run: ``fit(epochs,
    callbacks)`` trains `repeats` + 1 epochs (the first a warm-up, as for the others), and after
    each epoch every contender of `others` runs once, so the turns alternate as in `alternate`."""
    times: dict[str, list[float]] = {"minikeras": [], **{name: [] for name in others}}

    def after(epoch: int, seconds: float) -> None:
        turn = {"minikeras": seconds, **{name: run() for name, run in others.items()}}
        if epoch > 0:
            for name, value in turn.items():
                times[name].append(value)

    fit(repeats + 1, [_EpochTimer(after)])
    return times


def print_against_floor(times: dict[str, list[float]]) -> None:
    """One line per contender of `alternate`'s times: its fastest and median run, each also as a
    ratio to the fastest and median of the contender named "floor"."""
    fastest_floor, median_floor = min(times["floor"]), statistics.median(times["floor"])
    width = max(map(len, times))
    for name, values in times.items():
        fastest, median = min(values), statistics.median(values)
        print(f"{name:{width}s}  fastest {fastest:.3f} s ({fastest / fastest_floor:.2f}x)  "
              f"median {median:.3f} s ({median / median_floor:.2f}x)")

