"""Seed experiment 4 (TDT4265 style): LeCun's "tricks of the trade" and topology on MNIST.

    python examples/mnist_tricks.py [--data DIR] [--out runs/mnist_tricks]

784-64-10, softmax, batch 128, 15 epochs, the last 10% of the training set for validation,
pixels scaled to [0, 1]. The base is a sigmoid net initialized U(-1, 1), trained with SGD
(lr 0.5) without shuffling; each row adds one trick to the previous one: shuffling every epoch,
LeCun's improved sigmoid 1.7159 tanh(2x/3), fan-in normal init N(0, 1/sqrt(fan_in)), and
momentum 0.9 (lr 0.05). Then hidden sizes 5..128 and two hidden layers [60, 60] with the
shuffle + improved sigmoid + fan-in setting.
"""
from __future__ import annotations

import minikeras as mk
from examples import experiment

TRICKS = {  # name: (activation, initializer, shuffle, learning rate, momentum)
    "base": ("sigmoid", mk.initializers.Uniform(-1, 1), False, 0.5, 0.0),
    "+ shuffle": ("sigmoid", mk.initializers.Uniform(-1, 1), True, 0.5, 0.0),
    "+ improved sigmoid": ("scaled_tanh", mk.initializers.Uniform(-1, 1), True, 0.5, 0.0),
    "+ fan-in init": ("scaled_tanh", "fan_in", True, 0.5, 0.0),
    "+ momentum 0.9": ("scaled_tanh", "fan_in", True, 0.05, 0.9),
}
TOPOLOGIES = {"hidden 5": [5], "hidden 10": [10], "hidden 20": [20], "hidden 32": [32], "hidden 64": [64],
              "hidden 128": [128], "hidden [60, 60]": [60, 60]}
PUBLISHED = {"base": 0.935, "+ shuffle": 0.937, "+ improved sigmoid": 0.937, "+ fan-in init": 0.971,
             "+ momentum 0.9": 0.970, "hidden 5": 0.847, "hidden 10": 0.915, "hidden 20": 0.947,
             "hidden 32": 0.959, "hidden 64": 0.971, "hidden 128": 0.975, "hidden [60, 60]": 0.968}
EPOCHS, BATCH = 15, 128


def mlp(hidden, activation, initializer, seed: int = 0) -> mk.Model:
    model = mk.Model(input_dim=784, seed=seed)
    for units in hidden:
        model.add_layer(units, activation, kernel_initializer=initializer)
    model.add_layer(10, "softmax", kernel_initializer=initializer)
    return model


def train(name, hidden, setting, data, out):
    activation, initializer, shuffle, lr, momentum = setting
    model = mlp(hidden, activation, initializer)
    model.compile(optimizer=mk.optimizers.SGD(lr, momentum=momentum), metrics=["accuracy"])
    return experiment.run(name, model, data, out, class_names=experiment.MNIST_NAMES, epochs=EPOCHS,
                          batch_size=BATCH, shuffle=shuffle)


def main(argv=None):
    parser = experiment.arguments(__doc__, "folder of the MNIST .gz files; default $MINIKERAS_DATA/mnist")
    args = parser.parse_args(argv)
    out = experiment.output_folder(args.out, "mnist_tricks")
    data = experiment.mnist_splits(data_path=args.data)
    results = [train(name, [64], setting, data, out) for name, setting in TRICKS.items()]
    results += [train(name, hidden, TRICKS["+ fan-in init"], data, out) for name, hidden in TOPOLOGIES.items()]
    experiment.write_results(results, out, "mnist_tricks", PUBLISHED)
    experiment.print_table(results, "MNIST, tricks of the trade and topology (15 epochs)")
    return results


if __name__ == "__main__":
    main()
