"""Seed experiment 2 (DD2424 assignment 3 style): k-layer nets with and without BatchNorm.

    python examples/cifar_kdeep.py [--data DIR] [--out runs/cifar_kdeep]

45,000 training / 5,000 validation images (the last 5,000 of the training batches), test_batch;
inputs standardized per pixel. He init, L2 lambda 0.005 on every weight matrix, batch 100, SGD
with a triangular cyclical rate 1e-5..1e-1, step size 5 * 45,000 / 100 = 2,250, two cycles
(20 epochs), shuffled every epoch. 3-layer [50, 50] and 9-layer [50, 30, 20, 20, 10, 10, 10, 10],
each without and with BatchNorm before every hidden ReLU.
"""
from __future__ import annotations

import minikeras as mk
from examples import experiment

NETS = {"3-layer": [50, 50], "9-layer": [50, 30, 20, 20, 10, 10, 10, 10]}
PUBLISHED = {"3-layer": 0.5311, "3-layer + BN": 0.5364, "9-layer": 0.5032, "9-layer + BN": 0.5297}
BATCH, LAMBDA, CYCLES = 100, 0.005, 2


def deep_net(hidden, batch_norm: bool, lam: float = LAMBDA, initializer="he", seed: int = 0) -> mk.Model:
    model = mk.Model(input_dim=3072, seed=seed)
    for units in hidden:
        model.add_layer(units, "relu", batch_norm=batch_norm, l2=lam, kernel_initializer=initializer)
    model.add_layer(10, "softmax", l2=lam, kernel_initializer=initializer)
    return model


def train_cyclic(name, model, data, out, cycles=CYCLES, step_size=None):
    """Two cycles with step size 5 epochs (n_s = 5 N / batch) unless given."""
    steps_per_epoch = len(data["train"][0]) // BATCH
    step_size = step_size or 5 * steps_per_epoch
    model.compile(optimizer=experiment.cyclic_sgd(step_size), metrics=["accuracy"])
    epochs = max(1, cycles * 2 * step_size // steps_per_epoch)
    return experiment.run(name, model, data, out, epochs=epochs, batch_size=BATCH)


def main(argv=None):
    parser = experiment.arguments(__doc__)
    args = parser.parse_args(argv)
    out = experiment.output_folder(args.out, "cifar_kdeep")
    data = experiment.cifar_splits("all", args.data)
    results = []
    for net, hidden in NETS.items():
        for batch_norm in (False, True):
            name = f"{net} + BN" if batch_norm else net
            results.append(train_cyclic(name, deep_net(hidden, batch_norm), data, out))
    experiment.write_results(results, out, "cifar_kdeep", PUBLISHED)
    experiment.print_table(results, "CIFAR-10, k-layer nets, 2 cycles of n_s = 2250")
    return results


if __name__ == "__main__":
    main()
