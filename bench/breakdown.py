"""Where one bench case's epoch goes: minikeras with one part of the step switched off at a time.

Each variant is the same model with one part skipped — the gather (an unshuffled epoch trains on
contiguous views), the optimizer update, the L2 gradient, the L2 penalty of the reported loss,
the metrics — and the part's cost is what skipping it saves, in µs per batch: the median over
turns of the whole step's epoch minus the variant's epoch of the same turn (epochs alternate).
What no variant removes (activations, BatchNorm, bias, loss, the calls' fixed costs) is the rest
between minikeras and the floor.

    python -m bench.breakdown [--case "CIFAR seed net, BN, batch 100"] [--repeats 7] [--samples N]
"""
from __future__ import annotations

import statistics


def _skip_update(model):
    model.optimizer._update = lambda *args: None


def _skip_l2_gradient(model):
    for layer in model._regularized:
        layer.kernel_regularizer.add_gradient = lambda *args: None


def _skip_penalty(model):
    for layer in model._regularized:
        layer.kernel_regularizer.penalty = lambda weights: 0.0


def _skip_metrics(model):
    model.metrics = []


PARTS = {"gather the shuffled batch": None, "optimizer update": _skip_update, "L2 gradient": _skip_l2_gradient,
         "L2 penalty of the loss": _skip_penalty, "metrics": _skip_metrics}


def main(argv=None) -> dict[str, float]:
    from threadpoolctl import threadpool_limits

    from bench.floor import MatmulFloor
    from bench.run import (alternate, case_experiment_parser, minikeras_model, parse_case_experiment,
                           random_data, timed)

    args, case = parse_case_experiment(case_experiment_parser(__doc__, repeats=7), argv)
    x, y = random_data(case)
    batches = case.samples // case.batch_size
    with threadpool_limits(limits=args.threads):
        floor = MatmulFloor(case.widths, case.batch_size)
        contenders = {"floor": lambda: floor.epoch_seconds(x)}
        for name, skip in {"minikeras": None, **PARTS}.items():
            model = minikeras_model(case)
            model.fit(x[:2 * case.batch_size], y[:2 * case.batch_size], batch_size=case.batch_size, verbose=0)
            if skip is not None:
                skip(model)
            shuffle = name != "gather the shuffled batch"
            contenders[name] = lambda model=model, shuffle=shuffle: timed(
                model.fit, x, y, epochs=1, batch_size=case.batch_size, shuffle=shuffle, verbose=0)
        times = alternate(contenders, args.repeats)
    per_batch = {name: statistics.median(seconds) / batches * 1e6 for name, seconds in times.items()}
    costs = {name: statistics.median(whole - without for whole, without in zip(times["minikeras"], times[name]))
             / batches * 1e6 for name in PARTS}
    costs["the rest"] = per_batch["minikeras"] - per_batch["floor"] - sum(costs.values())
    print(f"{case.name}, {case.samples:,} samples, {batches} batches; medians of {args.repeats} alternating epochs")
    print(f"minikeras {per_batch['minikeras']:.0f} µs per batch ({per_batch['minikeras'] / per_batch['floor']:.2f}x), "
          f"floor {per_batch['floor']:.0f}")
    print("| part | µs per batch |\n| --- | ---: |")
    for name, cost in costs.items():
        print(f"| {name} | {cost:.0f} |")
    return costs


if __name__ == "__main__":
    main()
