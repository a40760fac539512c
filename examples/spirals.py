"""Three interleaved spirals: a first real training run that needs no data download.

    python examples/spirals.py [--epochs 60] [--out runs/spirals]

Trains a 2-64-64-3 ReLU network with Adam, prints the validation accuracy,
saves the model, reloads it and checks that the reloaded model predicts the same.
"""
from __future__ import annotations

import argparse
import os

import numpy as np

import minikeras as mk


def spirals(n_per_class: int = 600, classes: int = 3, noise: float = 0.15, seed: int = 0):
    """Points on `classes` interleaved spiral arms, with angular noise; x (N, 2), labels (N,)."""
    rng = np.random.default_rng(seed)
    radius = np.tile(np.linspace(0.05, 1.0, n_per_class), classes)
    labels = np.repeat(np.arange(classes), n_per_class)
    angle = labels * 2 * np.pi / classes + 3.0 * np.pi * radius + rng.normal(0, noise, radius.size)
    x = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return x.astype("float32"), labels


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--out", default=os.path.join("runs", "spirals"))
    args = parser.parse_args(argv)

    x, y = spirals()
    model = mk.Model(input_dim=2, seed=0)
    model.add_layer(64, "relu")
    model.add_layer(64, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()
    # The samples come sorted by class: hold out 20% of each class, not the last 20% (Keras' default).
    history = model.fit(x, y, epochs=args.epochs, batch_size=64, validation_split=0.2,
                        validation_split_mode="stratified", verbose=2)
    print(f"validation accuracy: {history.history['val_accuracy'][-1]:.4f}")

    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "spirals.h5")
    model.save(path)
    reloaded = mk.load_model(path)
    same = np.array_equal(reloaded.predict(x, verbose=0), model.predict(x, verbose=0))
    print(f"saved {path}; reloaded model predicts identically: {same}")
    return history


if __name__ == "__main__":
    main()
