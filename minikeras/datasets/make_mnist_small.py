"""Regenerate the embedded MNIST subset: ``python -m minikeras.datasets.make_mnist_small MNIST_FOLDER``.

Draws 600 training and 100 test images of every digit (seed 0) from the official IDX files and
writes them, compressed, to ``minikeras/datasets/data/mnist_small.npz``.
"""
from __future__ import annotations

import pathlib
import sys

import numpy as np

from . import mnist
from .mnist_small import FILE

TRAIN_PER_CLASS, TEST_PER_CLASS = 600, 100
SEED = 0


def stratified_subset(x, y, per_class: int, rng: np.random.Generator):
    """`per_class` random samples of every class, in a random order."""
    picked = np.concatenate([rng.choice(np.flatnonzero(y == label), per_class, replace=False)
                             for label in np.unique(y)])
    picked = rng.permutation(picked)
    return x[picked], y[picked]


def build(source_folder, out_file=FILE) -> pathlib.Path:
    """Write the subset from the official MNIST files in `source_folder`."""
    (x_train, y_train), (x_test, y_test) = mnist.load_data(source_folder)
    rng = np.random.default_rng(SEED)
    x_train, y_train = stratified_subset(x_train, y_train, TRAIN_PER_CLASS, rng)
    x_test, y_test = stratified_subset(x_test, y_test, TEST_PER_CLASS, rng)
    np.savez_compressed(out_file, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return pathlib.Path(out_file)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(sys.argv[1]))
