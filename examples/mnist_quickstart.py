"""The first run: train an MLP on the MNIST subset shipped with minikeras (no download).

    python examples/mnist_quickstart.py [--epochs 15] [--out runs/quickstart]

Trains 784-256-128-10 (ReLU, BatchNorm, dropout, Adam) on 6,000 digits, prints the test
accuracy on 1,000 others, saves the model, reloads it, checks that the reloaded model gives the
same predictions, and writes a learning-curve PNG.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minikeras as mk
from minikeras import plot
from minikeras.datasets import mnist_small
from minikeras.preprocessing import Standardize, flatten_images


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--out", default=os.path.join("runs", "quickstart"))
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)

    (x_train, y_train), (x_test, y_test) = mnist_small.load_data()
    scaler = Standardize(per="global").fit(flatten_images(x_train))
    x_train, x_test = scaler.transform(flatten_images(x_train)), scaler.transform(flatten_images(x_test))

    model = mk.Model(input_dim=784, seed=0)
    model.add_layer(256, "relu", batch_norm=True, dropout=0.3)
    model.add_layer(128, "relu", batch_norm=True, dropout=0.3)
    model.add_layer(10, "softmax")
    model.compile(optimizer=mk.optimizers.Adam(1e-3), loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=64, validation_split=0.1, verbose=1,
                        callbacks=[mk.callbacks.EarlyStopping(patience=5, restore_best_weights=True)])

    test = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
    print(f"test accuracy: {test['accuracy']:.4f} (loss {test['loss']:.4f})")
    path = os.path.join(args.out, "mnist_mlp.h5")
    model.save(path)
    reloaded = mk.load_model(path)
    same = np.array_equal(reloaded.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"saved {path}; reloaded model predicts identically: {same}")
    curves = os.path.join(args.out, "learning_curves.png")
    plot.learning_curves(history, curves, title="MNIST subset, 784-256-128-10")
    print(f"learning curves: {curves}")
    return test


if __name__ == "__main__":
    main()
