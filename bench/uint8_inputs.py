"""uint8 images straight into a model against the float32 copy most scripts make first.

    python -m bench.uint8_inputs [--repeats 7] [--samples 45000] [--threads 2]

The CIFAR seed network (3072-50-50-10, BatchNorm, batch 100) trained two ways on the same
random uint8 "images" of CIFAR-10's shape: the float32 case converts them first,
``(x - mean) / std`` as a float32 array (the seed experiments' preprocessing), and trains on
that; the uint8 case trains on the uint8 array itself, through a first `Normalization` layer
holding the same mean and std. Reported, both measured in this run:

- data memory: the peak memory (tracemalloc) of preparing the data and training one epoch,
  uint8 over float32;
- epoch time: medians of alternating epochs (both orders), uint8 over float32.
"""
from __future__ import annotations

import argparse
import os
import statistics
import tracemalloc

import numpy as np
from threadpoolctl import threadpool_limits

import minikeras as mk
from bench.cases import Case, minikeras_model
from bench.timing import alternate, timed

SEED_NET = [3072, 50, 50, 10]


def images(samples: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (samples, SEED_NET[0]), dtype=np.uint8), rng.integers(0, 10, samples)


def float32_preprocessed(raw: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """The float32 copy a script makes: ``(x - mean) / std`` per feature."""
    x = raw.astype(np.float32)
    x -= mean
    x /= std
    return x


def float32_model(case: Case) -> mk.Model:
    return minikeras_model(case)


def uint8_model(case: Case, mean: np.ndarray, std: np.ndarray) -> mk.Model:
    """The same network with a first Normalization layer (holding `mean` and `std`) taking uint8 rows."""
    return minikeras_model(case, first_layer=mk.layers.Normalization(mean=mean, variance=np.square(std)))


def peak_bytes(run) -> int:
    """Peak traced memory while `run()` runs."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--samples", type=int, default=45000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    case = Case("CIFAR seed net, BN, batch 100", SEED_NET, 100, args.samples)
    raw, labels = images(args.samples)
    mean, std = raw.mean(axis=0, dtype=np.float64), raw.std(axis=0, dtype=np.float64)
    with threadpool_limits(limits=args.threads):
        print(f"{args.samples} samples, {args.threads} BLAS threads, "
              f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
        memory = {
            "float32": peak_bytes(lambda: float32_model(case).fit(float32_preprocessed(raw, mean, std), labels,
                                                                   batch_size=100, epochs=1, verbose=0)),
            "uint8": peak_bytes(lambda: uint8_model(case, mean, std).fit(raw, labels, batch_size=100, epochs=1,
                                                                          verbose=0)),
        }
        x = float32_preprocessed(raw, mean, std)
        models = {"float32": float32_model(case), "uint8": uint8_model(case, mean, std)}
        inputs = {"float32": x, "uint8": raw}
        times = alternate({name: (lambda name=name: timed(models[name].fit, inputs[name], labels, batch_size=100,
                                                          epochs=1, verbose=0)) for name in models},
                          args.repeats, both_orders=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"data as loaded (uint8): {raw.nbytes / 1e6:.0f} MB; as float32: {x.nbytes / 1e6:.0f} MB")
    for name in ("float32", "uint8"):
        print(f"{name:8s} peak memory {memory[name] / 1e6:7.1f} MB   epoch median {medians[name]:.3f} s "
              f"(runs: {', '.join(f'{t:.3f}' for t in times[name])})")
    print(f"uint8 / float32: memory {memory['uint8'] / memory['float32']:.2f}x, "
          f"epoch time {medians['uint8'] / medians['float32']:.2f}x")
    return memory, medians


if __name__ == "__main__":
    main()
