"""The engine's fixed cost per training step: the CIFAR seed net (3072-50-BN-ReLU-10, SGD with
momentum) trained at a tiny batch, where the matrix products are negligible, so that the time per
step is mostly what the engine does around them. Three builds of it: the Sequential model, the
same stack as a functional model (also run as a chain), and with a skip connection (an `Add` of
the hidden layer and a second hidden layer: the graph path). Printed: µs per step, the median and
the minimum over turns that alternate the builds. To compare commits, run it in both checkouts
(``--builds sequential`` in one made before the functional API).

    python -m bench.investigations.step_overhead [--batch 4] [--steps 50] [--turns 15] [--builds sequential,...]

With ``--parts``, each build's step is split into the engine's public calls (forward and loss,
backward, the optimizer update), µs per batch, minimum and median over turns: where a
difference between two checkouts would come from.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

import minikeras as mk
from minikeras import layers

BUILDS = ("sequential", "functional chain", "functional with a skip")


def build(kind: str):
    """The seed net as `kind` (one of `BUILDS`), compiled."""
    if kind == "sequential":
        model = mk.Sequential([mk.Input(shape=(3072,)), layers.Dense(50), layers.BatchNorm(), layers.ReLU(),
                               layers.Dense(10, activation="softmax")], seed=0)
    else:
        inputs = mk.Input(shape=(3072,))
        hidden = layers.ReLU()(layers.BatchNorm()(layers.Dense(50)(inputs)))
        if kind == "functional with a skip":
            hidden = layers.Add()([hidden, layers.Dense(50, activation="relu")(hidden)])
        model = mk.Model(inputs, layers.Dense(10, activation="softmax")(hidden), seed=0)
    model.compile(optimizer=mk.optimizers.SGD(0.01, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def step_times(batch: int = 4, steps: int = 50, turns: int = 15, builds=BUILDS) -> dict[str, list[float]]:
    """µs per training step of each of `builds`, one list entry per turn (turns alternate the builds)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * steps, 3072)).astype("float32")
    y = rng.integers(0, 10, batch * steps)
    engines = {kind: build(kind).engine for kind in builds}
    data = {kind: engine.dataset(x, y) for kind, engine in engines.items()}
    times: dict[str, list[float]] = {kind: [] for kind in builds}
    with threadpool_limits(2):
        for _ in range(turns):
            for kind, engine in engines.items():
                started = time.perf_counter()
                for start in range(0, batch * steps, batch):
                    rows = slice(start, start + batch)
                    engine.train_step(data[kind].x[rows], data[kind].targets[rows], None)
                times[kind].append((time.perf_counter() - started) / steps * 1e6)
    return times


PARTS = ("forward and loss", "backward", "update")


def part_times(batch: int = 100, steps: int = 40, turns: int = 15, builds=BUILDS) -> dict[str, dict[str, list]]:
    """µs per batch of each part of the step (`PARTS`) for each of `builds`, one entry per turn."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch * steps, 3072)).astype("float32")
    y = rng.integers(0, 10, batch * steps)
    engines = {kind: build(kind).engine for kind in builds}
    data = {kind: engine.dataset(x, y) for kind, engine in engines.items()}
    times = {kind: {part: [] for part in PARTS} for kind in builds}
    with threadpool_limits(2):
        for _ in range(turns):
            for kind, engine in engines.items():
                spent = dict.fromkeys(PARTS, 0.0)
                for start in range(0, batch * steps, batch):
                    rows = slice(start, start + batch)
                    began = time.perf_counter()
                    _, gradient = engine.loss_and_metrics(data[kind].x[rows], data[kind].targets[rows], None,
                                                          training=True)
                    forward_done = time.perf_counter()
                    engine.backward(gradient)
                    backward_done = time.perf_counter()
                    engine.apply_gradients()
                    spent["forward and loss"] += forward_done - began
                    spent["backward"] += backward_done - forward_done
                    spent["update"] += time.perf_counter() - backward_done
                for part in PARTS:
                    times[kind][part].append(spent[part] / steps * 1e6)
    return times


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--turns", type=int, default=15)
    parser.add_argument("--builds", default=",".join(BUILDS), help=f"a comma-separated list of: {', '.join(BUILDS)}")
    parser.add_argument("--parts", action="store_true", help="time the step's parts separately")
    args = parser.parse_args(argv)
    builds = [kind.strip() for kind in args.builds.split(",")]
    unknown = sorted(set(builds) - set(BUILDS))
    if unknown:
        parser.error(f"unknown builds {unknown}; choose among {list(BUILDS)}")
    if args.parts:
        for kind, parts in part_times(args.batch, args.steps, args.turns, builds).items():
            shown = ", ".join(f"{part} {min(values):.1f} (median {statistics.median(values):.1f})"
                              for part, values in parts.items())
            print(f"{kind:24} batch {args.batch}, min µs per batch: {shown}")
        return
    for kind, values in step_times(args.batch, args.steps, args.turns, builds).items():
        print(f"{kind:24} batch {args.batch}: median {statistics.median(values):7.1f} µs/step, "
              f"min {min(values):7.1f}")


if __name__ == "__main__":
    main()
