"""A stratified MNIST subset shipped inside the package: 6,000 training and 1,000 test images.

It lets the README's first run, the tutorials and the tests train on real digits with no
download. Regenerate it from the official files with
`python -m minikeras.datasets.make_mnist_small PATH_TO_MNIST_FOLDER`.
"""
from __future__ import annotations

import pathlib

import numpy as np

FILE = pathlib.Path(__file__).resolve().parent / "data" / "mnist_small.npz"


def load_data():
    """``((x_train, y_train), (x_test, y_test))``: uint8 ``(6000, 28, 28)`` / ``(1000, 28, 28)``, labels ``(N,)``."""
    with np.load(FILE, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
