"""Seed experiment 5: the best multi-layer perceptrons we can make with minikeras.

    python examples/best_mlps.py [--only mnist|cifar] [--data DIR] [--out runs/best_mlps]

MNIST: 784-512-512-10, BatchNorm + ReLU + dropout 0.3, Adam (1e-3, decayed 0.9 per epoch),
inputs standardized, random shifts of up to 2 pixels, 30 epochs, 10% held out for validation.
CIFAR-10: 3072-1024-512-256-10, BatchNorm + ReLU + dropout 0.2, L2 5e-4, SGD with momentum 0.9 and
a triangular cyclical rate 1e-3..5e-2 (step size 4 epochs, 5 cycles = 40 epochs), horizontal flips
and shifts of up to 2 pixels, on the 45,000 / 5,000 / 10,000 split.
"""
from __future__ import annotations

import minikeras as mk
from examples import experiment
from minikeras.preprocessing import ImageAugmenter

TARGETS = {"MNIST 784-512-512-10": 0.985, "CIFAR-10 3072-1024-512-256-10": 0.58}
MNIST_EPOCHS, CIFAR_EPOCHS = 30, 40


def mnist_run(data_path, out):
    data = experiment.mnist_splits(data_path=data_path, standardize=True)
    model = mk.Model(input_dim=784, seed=0)
    for units in (512, 512):
        model.add_layer(units, "relu", batch_norm=True, dropout=0.3)
    model.add_layer(10, "softmax")
    steps = -(-len(data["train"][0]) // 128)
    model.compile(optimizer=mk.optimizers.Adam(mk.schedules.ExponentialDecay(1e-3, steps, 0.9)),
                  metrics=["accuracy"])
    shifts = ImageAugmenter((28, 28, 1), flip=False, max_shift=2, fill=float(data["train"][0].min()))
    return experiment.run("MNIST 784-512-512-10", model, data, out, class_names=experiment.MNIST_NAMES,
                          epochs=MNIST_EPOCHS, batch_size=128, augment=shifts)


def cifar_run(data_path, out):
    data = experiment.cifar_splits("all", data_path)
    model = mk.Model(input_dim=3072, seed=0)
    for units in (1024, 512, 256):
        model.add_layer(units, "relu", batch_norm=True, dropout=0.2, l2=5e-4)
    model.add_layer(10, "softmax", l2=5e-4)
    steps = len(data["train"][0]) // 100
    model.compile(optimizer=experiment.cyclic_sgd(4 * steps, eta_min=1e-3, eta_max=5e-2, momentum=0.9),
                  metrics=["accuracy"])
    flips_and_shifts = ImageAugmenter((32, 32, 3), flip=True, max_shift=2)
    return experiment.run("CIFAR-10 3072-1024-512-256-10", model, data, out, epochs=CIFAR_EPOCHS, batch_size=100,
                          augment=flips_and_shifts)


def main(argv=None):
    parser = experiment.arguments(__doc__, "folder holding mnist/ and the CIFAR-10 files; default $MINIKERAS_DATA")
    parser.add_argument("--only", choices=["mnist", "cifar"])
    args = parser.parse_args(argv)
    out = experiment.output_folder(args.out, "best_mlps")
    mnist_path = None if args.data is None else f"{args.data}/mnist"
    results = []
    if args.only in (None, "mnist"):
        results.append(mnist_run(mnist_path, out))
    if args.only in (None, "cifar"):
        results.append(cifar_run(args.data, out))
    experiment.write_results(results, out, "best_mlps", TARGETS)
    experiment.print_table(results, "Best MLPs (published column: our target)")
    return results


if __name__ == "__main__":
    main()
