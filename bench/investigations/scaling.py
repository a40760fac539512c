"""Scaling checks: epoch time against N, predict memory against batch size, no copy of x in fit.

    python -m bench.investigations.scaling

1. Epoch time of a small net (784-64-10) for N = 10k, 100k, 1M rows: seconds per 10k rows should
   stay flat (linear scaling).
2. Peak memory that `predict` allocates (tracemalloc) on 200,000 rows for batch sizes 100 and
   10,000: it follows the batch size and the output, not the input.
3. Peak memory `fit` allocates on a float32 input: no full copy of x (a float64 input is
   converted once, a documented copy).
"""
from __future__ import annotations

import time
import tracemalloc

import numpy as np

import minikeras as mk


def small_model():
    model = mk.Model(input_dim=784, seed=0)
    model.add_layer(64, "relu")
    model.add_layer(10, "softmax")
    model.compile(optimizer="sgd", metrics=["accuracy"])
    return model


def peak_mib(function) -> float:
    tracemalloc.start()
    function()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((1_000_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    model = small_model()
    model.fit(x[:10000], y[:10000], epochs=1, verbose=0)
    print("1. epoch time against N (784-64-10, batch 100)")
    for n in (10_000, 100_000, 1_000_000):
        start = time.perf_counter()
        model.fit(x[:n], y[:n], epochs=1, batch_size=100, verbose=0)
        seconds = time.perf_counter() - start
        print(f"   N={n:>9,}  {seconds:7.2f} s   {seconds / (n / 10_000):.3f} s per 10k rows")
    print(f"2. predict on 200,000 rows (input {x[:200_000].nbytes / 2**20:.0f} MiB, output "
          f"{200_000 * 10 * 4 / 2**20:.1f} MiB)")
    for batch in (100, 10_000):
        peak = peak_mib(lambda size=batch: model.predict(x[:200_000], batch_size=size, verbose=0))
        print(f"   batch {batch:>6,}: peak {peak:.1f} MiB")
    print(f"3. fit on 100,000 rows (input {x[:100_000].nbytes / 2**20:.0f} MiB)")
    print(f"   float32 input: peak {peak_mib(lambda: model.fit(x[:100_000], y[:100_000], verbose=0)):.1f} MiB")
    x64 = x[:100_000].astype(np.float64)
    print(f"   float64 input: peak {peak_mib(lambda: model.fit(x64, y[:100_000], verbose=0)):.1f} MiB "
          f"(converted once to float32)")


if __name__ == "__main__":
    main()
