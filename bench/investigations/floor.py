"""What one pass over a kernel-sized array costs inside the training loop, and the least any
shuffled epoch does.

    python -m bench.investigations.floor [--repeats 9] [--samples 45000] [--batch-size 100]

times, for the CIFAR seed network: the floor (bench/floor.py), the floor rewriting its first
kernel once per batch (``kernel *= 1``, the cheapest stand-in for an update), and that rewrite
alone; then the floor with each batch gathered, and with both the gather and that one pass per batch.
"""
from __future__ import annotations

from threadpoolctl import threadpool_limits

from bench.cases import random_data
from bench.floor import MatmulFloor
from bench.options import seed_net_experiment
from bench.timing import alternate, print_against_floor


def main(argv=None):
    args, case = seed_net_experiment(argv, __doc__, repeats=9)
    x, _ = random_data(case)
    floor = MatmulFloor(case.widths, case.batch_size)
    batches = case.samples // case.batch_size
    contenders = {"floor": lambda: floor.epoch_seconds(x),
                  "floor + a pass over the first kernel per batch": lambda: floor.epoch_seconds(x, rewrite_kernel=True),
                  f"that pass alone, {batches} times": lambda: floor.rewrite_seconds(batches),
                  "floor + gather": lambda: floor.epoch_seconds(x, shuffled=True),
                  "floor + gather + the pass": lambda: floor.epoch_seconds(x, shuffled=True, rewrite_kernel=True)}
    with threadpool_limits(limits=args.threads):
        times = alternate(contenders, args.repeats)
    print_against_floor(times)
    return times


if __name__ == "__main__":
    main()
