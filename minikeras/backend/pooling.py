r"""Max and average pooling over padded channels-last images ``(N, H, W, C)``, offset by offset:
what the pooling layers and ``ops.max_pool``/``ops.average_pool`` compute.

For each offset $(i, j)$ of a ``ph x pw`` pool, the windows read the strided slice `part`
``(N, Ho, Wo, C)`` of the input starting at $(i, j)$ with the strides' steps (a view). Max
pooling is the elementwise maximum of the parts; its backward sends each output's gradient to
the first offset holding the maximum (each part claims the outputs it equals and no earlier
part claimed). Average pooling is the parts' sum over the number of input pixels each window
covers (fewer at a ``"same"`` border: the padding is not counted, as Keras' TensorFlow and JAX
backends do); its backward spreads each output's gradient evenly. Both backward passes add each
part's gradient into its slice: ``ph pw`` vectorized additions.
"""
from __future__ import annotations

import numpy as np

from .convolution import offsets


def parts(source: np.ndarray, pool: tuple[int, int], strides: tuple[int, int],
          out_hw: tuple[int, int]) -> list[np.ndarray]:
    """The strided view ``(N, Ho, Wo, C)`` that each offset of the pool reads, in offset order."""
    return [source[:, rows, columns, :] for _, _, (rows, columns) in offsets(out_hw, pool, strides)]


def max_pool(views: list[np.ndarray]) -> np.ndarray:
    """The elementwise maximum of the parts (a new array)."""
    largest = views[0].copy()
    for part in views[1:]:
        np.maximum(largest, part, out=largest)
    return largest


def max_pool_part_grads(views: list[np.ndarray], largest: np.ndarray, grad: np.ndarray):
    """Each part's gradient, in offset order: `grad` where the part is its window's first maximum."""
    free, hit = np.ones(largest.shape, dtype=bool), np.empty(largest.shape, dtype=bool)
    for part in views:
        np.logical_and(np.equal(part, largest, out=hit), free, out=hit)
        np.logical_xor(free, hit, out=free)
        yield grad * hit


def window_counts(views_of_ones: list[np.ndarray]) -> np.ndarray:
    """How many input pixels each window covers ``(Ho, Wo, 1)``, from the parts of padded ones."""
    return np.sum(views_of_ones, axis=0)[0]


def add_parts(part_grads, shape: tuple[int, ...], pool: tuple[int, int], strides: tuple[int, int],
              out_hw: tuple[int, int], dtype) -> np.ndarray:
    """The padded input's gradient (of `shape`) from each part's gradient, in offset order."""
    grad = np.zeros(shape, dtype=dtype)
    for part_grad, (_, _, (rows, columns)) in zip(part_grads, offsets(out_hw, pool, strides)):
        grad[:, rows, columns, :] += part_grad
    return grad
