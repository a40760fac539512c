"""Seed experiment 1 (DD2424 assignment 1/2 style): a 2-layer net on one CIFAR-10 batch.

    python examples/cifar_2layer.py [--data DIR] [--out runs/cifar_2layer]

3072-50-10, ReLU, softmax; N(0, 0.01) init; L2 lambda 0.01 on both weight matrices; batch 100;
SGD with a triangular cyclical rate 1e-5..1e-1. Train data_batch_1, validate data_batch_2, test
test_batch; inputs standardized per pixel with the training mean and std.
(a) step size 500, 1 cycle; (b) step size 800, 3 cycles; (b') the same as (b) but trained on all
five batches minus 5,000 validation images, to test whether the published (b) numbers (validation
53.1%, close to training 53.7%) came from the larger training set.
"""
from __future__ import annotations

import minikeras as mk
from examples import experiment

CASES = {"(a) n_s 500, 1 cycle": ("one_batch", 500, 1), "(b) n_s 800, 3 cycles": ("one_batch", 800, 3),
         "(b') n_s 800, 3 cycles, 45,000 images": ("all", 800, 3)}
PUBLISHED = {"(a) n_s 500, 1 cycle": 0.4784, "(b) n_s 800, 3 cycles": 0.511,
             "(b') n_s 800, 3 cycles, 45,000 images": 0.511}
BATCH, LAMBDA = 100, 0.01


def two_layer_net(seed: int = 0) -> mk.Model:
    model = mk.Model(input_dim=3072, seed=seed)
    model.add_layer(50, "relu", kernel_initializer=mk.initializers.Normal(0.01), l2=LAMBDA)
    model.add_layer(10, "softmax", kernel_initializer=mk.initializers.Normal(0.01), l2=LAMBDA)
    return model


def main(argv=None):
    parser = experiment.arguments(__doc__)
    args = parser.parse_args(argv)
    out = experiment.output_folder(args.out, "cifar_2layer")
    results = []
    for name, (layout, step_size, cycles) in CASES.items():
        data = experiment.cifar_splits(layout, args.data)
        model = two_layer_net()
        model.compile(optimizer=experiment.cyclic_sgd(step_size), metrics=["accuracy"])
        updates, steps_per_epoch = cycles * 2 * step_size, len(data["train"][0]) // BATCH
        # A whole number of cycles: stop after exactly `updates` updates, mid-epoch if need be.
        epochs = -(-updates // steps_per_epoch)
        results.append(experiment.run(name, model, data, out, epochs=epochs, batch_size=BATCH,
                                      callbacks=[experiment.StopAfterUpdates(updates)]))
    experiment.write_results(results, out, "cifar_2layer", PUBLISHED)
    experiment.print_table(results, "CIFAR-10, 3072-50-10, one training batch")
    return results


if __name__ == "__main__":
    main()
