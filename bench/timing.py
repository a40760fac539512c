"""Timing helpers shared by the suite and the investigations: alternating turns and ratios to the floor."""
from __future__ import annotations

import statistics
import time


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


def print_against_floor(times: dict[str, list[float]]) -> None:
    """One line per contender of `alternate`'s times: its fastest and median run, each also as a
    ratio to the fastest and median of the contender named "floor"."""
    fastest_floor, median_floor = min(times["floor"]), statistics.median(times["floor"])
    width = max(map(len, times))
    for name, values in times.items():
        fastest, median = min(values), statistics.median(values)
        print(f"{name:{width}s}  fastest {fastest:.3f} s ({fastest / fastest_floor:.2f}x)  "
              f"median {median:.3f} s ({median / median_floor:.2f}x)")

