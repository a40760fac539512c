"""Seed experiment 3: sensitivity to initialization, with and without BatchNorm.

    python examples/cifar_init.py [--data DIR] [--out runs/cifar_init]

The 3-layer [50, 50] net of cifar_kdeep.py with every weight matrix drawn from N(0, sigma),
sigma in 1e-1, 1e-3, 1e-4; L2 0.005; batch 100; cyclical rate 1e-5..1e-1 with step size
n_s = 2 * 450 = 900 and two cycles (8 epochs), on the 45,000 / 5,000 / 10,000 split.
"""
from __future__ import annotations

import minikeras as mk
from examples import experiment
from examples.cifar_kdeep import deep_net, train_cyclic

SIGMAS = (1e-1, 1e-3, 1e-4)
PUBLISHED = {"sigma 0.1": 0.5296, "sigma 0.1 + BN": 0.5378, "sigma 0.001": 0.10, "sigma 0.001 + BN": 0.536,
             "sigma 0.0001": 0.10, "sigma 0.0001 + BN": 0.536}
STEP_SIZE = 900


def main(argv=None):
    parser = experiment.arguments(__doc__)
    parser.add_argument("--step-size", type=int, default=STEP_SIZE)
    args = parser.parse_args(argv)
    out = experiment.output_folder(args.out, "cifar_init")
    data = experiment.cifar_splits("all", args.data)
    results = []
    for sigma in SIGMAS:
        for batch_norm in (False, True):
            name = f"sigma {sigma:g}" + (" + BN" if batch_norm else "")
            model = deep_net([50, 50], batch_norm, initializer=mk.initializers.Normal(sigma))
            results.append(train_cyclic(name, model, data, out, step_size=args.step_size))
    experiment.write_results(results, out, "cifar_init", PUBLISHED)
    experiment.print_table(results, "CIFAR-10, 3-layer [50, 50], weights N(0, sigma)")
    return results


if __name__ == "__main__":
    main()
