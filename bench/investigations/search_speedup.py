"""Speed-up of an 8-trial lambda search with 2 process workers and with Dask over sequential.

    python -m bench.investigations.search_speedup [--trials 8] [--samples 10000] [--epochs 3]

Each trial trains the CIFAR seed network (3072-50-50-10, BatchNorm, cyclical rate) for a few
epochs on CIFAR-shaped random data with its own L2 strength, and reports its validation
accuracy. The three backends run the same trials, one after the other, in this run; the
results must agree, the wall times are compared.
"""
from __future__ import annotations

import argparse
import functools
import json
import os
import time

import numpy as np

import minikeras as mk
from minikeras import search

_DATA = {}


def lambda_trial(params, samples=10000, epochs=3):
    """One trial (module level, so worker processes can import it)."""
    if samples not in _DATA:
        rng = np.random.default_rng(0)
        _DATA[samples] = (rng.standard_normal((samples, 3072), dtype=np.float32), rng.integers(0, 10, samples))
    x, y = _DATA[samples]
    model = mk.Model(input_dim=3072, seed=params["seed"])
    model.add_layer(50, "relu", batch_norm=True, l2=params["l2"])
    model.add_layer(50, "relu", batch_norm=True, l2=params["l2"])
    model.add_layer(10, "softmax", l2=params["l2"])
    model.compile(optimizer=mk.optimizers.SGD(mk.schedules.CyclicLR(1e-5, 1e-1, step_size=200)), metrics=["accuracy"])
    split = samples * 9 // 10
    model.fit(x[:split], y[:split], epochs=epochs, batch_size=100, verbose=0)
    return {"val_accuracy": model.evaluate(x[split:], y[split:], verbose=0, return_dict=True)["accuracy"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--samples", type=int, default=10000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    # Refer to the trial through its module, never as __main__.lambda_trial: Dask would pickle a
    # __main__ function by value, with the data its module caches.
    from bench.investigations.search_speedup import lambda_trial as importable_trial
    trial = functools.partial(importable_trial, samples=args.samples, epochs=args.epochs)
    space = {"l2": search.LogUniform(1e-5, 1e-1)}
    os.environ.setdefault("PYTHONPATH", os.getcwd())  # Dask workers import this module
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}, {os.cpu_count()} cores, "
          f"{args.trials} trials of {args.epochs} epochs on {args.samples} samples")
    seconds, results = {}, {}
    for backend in ("sequential", "process", "dask"):
        start = time.perf_counter()
        records = search.random_search(trial, space, args.trials, seed=0, backend=backend, workers=args.workers)
        seconds[backend] = time.perf_counter() - start
        results[backend] = [round(r["metrics"]["val_accuracy"], 6) for r in records]
        print(f"{backend:10s} {seconds[backend]:7.1f} s   speed-up {seconds['sequential'] / seconds[backend]:.2f}x")
    # Workers run one BLAS thread, the sequential run two: products sum in another order, so the
    # parallel runs agree with each other exactly and with the sequential one to rounding.
    agree = results["process"] == results["dask"]
    gap = max(abs(a - b) for a, b in zip(results["sequential"], results["process"]))
    print(f"process and dask report identical trial results: {agree}; largest difference from the "
          f"sequential run: {gap:.4f} validation accuracy")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"seconds": seconds, "results": results, "parallel_agree": agree, "sequential_gap": gap,
                       **vars(args)}, f, indent=1)
    return seconds, agree


if __name__ == "__main__":
    main()
