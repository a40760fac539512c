"""Shared fixtures: small data sets and numeric-difference helpers."""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras, the oracle of several tests, on the PyTorch CPU build
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def blobs(n: int = 300, dim: int = 5, classes: int = 3, seed: int = 0, dtype="float32"):
    """Gaussian blobs around well separated centers: an easy, learnable classification set."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((classes, dim)) * 3
    y = rng.integers(0, classes, n)
    x = centers[y] + rng.standard_normal((n, dim))
    return x.astype(dtype), y


@pytest.fixture
def blob_data():
    return blobs()


def numeric_gradient(f, array: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Centered differences of the scalar function f() with respect to every entry of `array`."""
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + h
        plus = f()
        flat[i] = original - h
        minus = f()
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * h)
    return grad


def max_relative_error(analytic, numeric) -> float:
    return float((np.abs(analytic - numeric) / np.maximum(np.abs(analytic) + np.abs(numeric), 1e-6)).max())
