"""Where one bench case's epoch goes: minikeras' training step with one part left out at a time.

Every variant trains the same model through the engine's public methods (`penalty`,
`loss_and_metrics`, `backward`, `add_penalty_gradients`, `apply_gradients`: the parts of
`Engine.train_step`) over shuffled batches, with one part left out — the gather (an unshuffled
epoch trains on contiguous views), the optimizer update, the L2 gradient, the L2 penalty of the
reported loss, the metrics (a model compiled without them). A part's cost is what leaving it out
saves, in µs per batch: the median over turns of the whole step's epoch minus the variant's epoch
of the same turn (epochs alternate). `fit` itself is timed too: what it adds to the bare loop of
whole steps is its own bookkeeping (callbacks, running means, logs). What no variant removes
(activations, BatchNorm, bias, loss, the calls' fixed costs) is the rest between the step and the floor.

    python -m bench.investigations.breakdown [--case "CIFAR seed net, BN, batch 100"] [--repeats 7] [--samples N]
"""
from __future__ import annotations

import statistics
import time

import numpy as np
from threadpoolctl import threadpool_limits

from bench.cases import minikeras_model, random_data
from bench.floor import MatmulFloor
from bench.options import case_experiment_parser, parse_case_experiment
from bench.timing import alternate, timed
from minikeras.data_utils import BatchGatherer

# What each variant leaves out, as arguments of `epoch_seconds`.
PARTS = {"gather the shuffled batch": {"shuffle": False}, "optimizer update": {"update": False},
         "L2 gradient": {"l2_gradient": False}, "L2 penalty of the loss": {"penalty": False},
         "metrics": {"metrics": False}}


def step(engine, x, targets, weights, penalty=True, l2_gradient=True, update=True) -> float:
    """`Engine.train_step` from its public parts, any of three left out; returns the reported loss."""
    penalty_value = engine.penalty() if penalty else 0.0
    loss, grad = engine.loss_and_metrics(x, targets, weights, training=True)
    engine.backward(grad)
    if l2_gradient:
        engine.add_penalty_gradients()
    if update:
        engine.apply_gradients()
    return float(loss + penalty_value)


def epoch_seconds(model, x, y, batch_size: int, seed: int = 0, shuffle=True, **step_parts) -> float:
    """Seconds of one epoch of `step` over (x, y) in batches of `batch_size`."""
    engine = model.engine
    gatherer = BatchGatherer(engine.dataset(x, y), batch_size)
    order = np.random.default_rng(seed).permutation(x.shape[0]) if shuffle else None
    start = time.perf_counter()
    for xb, tb, wb in gatherer.batches(order):
        step(engine, xb, tb, wb, **step_parts)
    return time.perf_counter() - start


def main(argv=None) -> dict[str, float]:
    args, case = parse_case_experiment(case_experiment_parser(__doc__, repeats=7), argv)
    x, y = random_data(case)
    batches = case.samples // case.batch_size
    with threadpool_limits(limits=args.threads):
        floor = MatmulFloor(case.widths, case.batch_size)
        fit_model = minikeras_model(case)
        contenders = {"floor": lambda: floor.epoch_seconds(x),
                      "fit": lambda: timed(fit_model.fit, x, y, epochs=1, batch_size=case.batch_size, verbose=0)}
        for name, left_out in {"the step": {}, **PARTS}.items():
            left_out = dict(left_out)
            model = minikeras_model(case, metrics=left_out.pop("metrics", True))
            contenders[name] = lambda model=model, left_out=left_out: epoch_seconds(model, x, y, case.batch_size,
                                                                                    **left_out)
        times = alternate(contenders, args.repeats)
    per_batch = {name: statistics.median(seconds) / batches * 1e6 for name, seconds in times.items()}
    costs = {name: statistics.median(whole - without for whole, without in zip(times["the step"], times[name]))
             / batches * 1e6 for name in PARTS}
    costs["the rest"] = per_batch["the step"] - per_batch["floor"] - sum(costs.values())
    costs["fit's bookkeeping"] = statistics.median(
        with_fit - bare for with_fit, bare in zip(times["fit"], times["the step"])) / batches * 1e6
    print(f"{case.name}, {case.samples:,} samples, {batches} batches; medians of {args.repeats} alternating epochs")
    print(f"fit {per_batch['fit']:.0f} µs per batch ({per_batch['fit'] / per_batch['floor']:.2f}x), "
          f"the bare loop of steps {per_batch['the step']:.0f}, floor {per_batch['floor']:.0f}")
    print("| part | µs per batch |\n| --- | ---: |")
    for name, cost in costs.items():
        print(f"| {name} | {cost:.0f} |")
    return costs


if __name__ == "__main__":
    main()
