"""minikeras speed against the matrix-product floor, measured side by side in one run.

    python -m bench [--epochs 5] [--samples 45000] [--json results.json]

Each case alternates one minikeras epoch (`fit(epochs=1)`: shuffling, gathering, forward,
backward, update, logging) with one floor epoch (bench/floor.py) and reports medians and
their ratio. BLAS threads are pinned (default 2) on both sides.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import minikeras as mk
from bench.floor import MatmulFloor


def cifar_seed_model(hidden=(50, 50), batch_norm=True, seed=0):
    """3072-50-50-10 with BatchNorm + ReLU, L2 0.005, SGD with a cyclical rate (the DD2424 seed net)."""
    model = mk.Model(input_dim=3072, seed=seed)
    for units in hidden:
        model.add_layer(units, "relu", batch_norm=batch_norm, l2=0.005)
    model.add_layer(10, "softmax", l2=0.005)
    model.compile(optimizer=mk.optimizers.SGD(mk.schedules.CyclicLR(1e-5, 1e-1, step_size=2250)),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def measure(model, widths, n_samples, batch_size, epochs, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, widths[0]), dtype=np.float32)
    y = rng.integers(0, widths[-1], n_samples)
    floor = MatmulFloor(widths, batch_size)
    model.fit(x[:batch_size * 5], y[:batch_size * 5], epochs=1, batch_size=batch_size, verbose=0)  # warm-up
    floor.epoch_seconds(x[:batch_size * 5])
    ours, reference = [], []
    for _ in range(epochs):
        start = time.perf_counter()
        model.fit(x, y, epochs=1, batch_size=batch_size, verbose=0)
        ours.append(time.perf_counter() - start)
        reference.append(floor.epoch_seconds(x))
    return statistics.median(ours), statistics.median(reference)


def environment(threads: int) -> dict:
    blas = [{key: info.get(key) for key in ("internal_api", "version", "num_threads", "architecture")}
            for info in threadpool_info()]
    return {"python": platform.python_version(), "numpy": np.__version__, "machine": platform.machine(),
            "cpus": os.cpu_count(), "blas_threads": threads, "blas": blas,
            "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE", "(unset)")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=5, help="measured epochs per case (median)")
    parser.add_argument("--samples", type=int, default=45000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", help="write the results to this file")
    args = parser.parse_args(argv)
    with threadpool_limits(limits=args.threads):
        env = environment(args.threads)
        print(f"BLAS: {env['blas']}  OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}")
        cases = {"cifar 3072-50-50-10 BN, batch 100": (cifar_seed_model(), [3072, 50, 50, 10], 100)}
        results = []
        for name, (model, widths, batch_size) in cases.items():
            ours, floor = measure(model, widths, args.samples, batch_size, args.epochs)
            results.append({"case": name, "minikeras_s": ours, "floor_s": floor, "ratio": ours / floor})
            print(f"{name:40s} minikeras {ours:.3f} s/epoch  floor {floor:.3f} s/epoch  ratio {ours / floor:.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "results": results}, f, indent=2)
    return results


if __name__ == "__main__":
    main()
