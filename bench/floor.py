"""The floor: only the matrix products that training an MLP cannot avoid, on preallocated arrays.

Per batch: one forward product per layer, one weight-gradient product per layer and one
input-gradient product per layer but the first. No activations, no normalization, no update:
whatever a framework adds on top of this is its overhead. The shuffled variant adds the one
other thing a shuffled epoch cannot avoid: gathering each batch's random rows.
(`python -m bench.investigations.floor` times the floor's variants against each other.)
"""
from __future__ import annotations

import time

import numpy as np


class MatmulFloor:
    """Preallocated operands for an MLP of the given widths (input first) and batch size."""

    def __init__(self, widths: list[int], batch_size: int, dtype=np.float32, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.batch_size = batch_size
        self.kernels = [rng.standard_normal((a, b)).astype(dtype) * 0.01 for a, b in zip(widths, widths[1:])]
        self.kernel_grads = [np.empty_like(k) for k in self.kernels]
        self.outputs = [np.empty((batch_size, b), dtype) for b in widths[1:]]
        self.output_grads = [rng.standard_normal((batch_size, b)).astype(dtype) for b in widths[1:]]
        self.input_grads = [np.empty((batch_size, a), dtype) for a in widths[1:-1]]

    def step(self, x: np.ndarray) -> None:
        inputs = [x, *self.outputs[:-1]]
        for inp, kernel, out in zip(inputs, self.kernels, self.outputs):
            np.matmul(inp, kernel, out=out)
        for i in reversed(range(len(self.kernels))):
            np.matmul(inputs[i].T, self.output_grads[i], out=self.kernel_grads[i])
            if i > 0:
                np.matmul(self.output_grads[i], self.kernels[i].T, out=self.input_grads[i - 1])

    def epoch_seconds(self, x: np.ndarray, shuffled: bool = False, rewrite_kernel: bool = False) -> float:
        """Time one pass over x in contiguous batches (views, no copies), or with `shuffled` in
        random batches gathered into one preallocated buffer first (what shuffling costs).
        `rewrite_kernel` adds one in-place pass over the first kernel per batch."""
        order = np.random.default_rng(0).permutation(x.shape[0]) if shuffled else None
        batch = np.empty((self.batch_size, x.shape[1]), dtype=x.dtype)
        one = x.dtype.type(1)
        start = time.perf_counter()
        for begin in range(0, x.shape[0] - self.batch_size + 1, self.batch_size):
            if order is None:
                self.step(x[begin:begin + self.batch_size])
            else:
                self.step(np.take(x, order[begin:begin + self.batch_size], axis=0, out=batch, mode="clip"))
            if rewrite_kernel:
                self.kernels[0] *= one
        return time.perf_counter() - start

    def rewrite_seconds(self, batches: int) -> float:
        """Time `batches` in-place passes over the first kernel alone (it stays in cache)."""
        one = self.kernels[0].dtype.type(1)
        start = time.perf_counter()
        for _ in range(batches):
            self.kernels[0] *= one
        return time.perf_counter() - start

    def predict_seconds(self, x: np.ndarray) -> float:
        """Time the forward products only, over x in batches (the floor of `predict`)."""
        start = time.perf_counter()
        for begin in range(0, x.shape[0] - self.batch_size + 1, self.batch_size):
            inputs = [x[begin:begin + self.batch_size], *self.outputs[:-1]]
            for inp, kernel, out in zip(inputs, self.kernels, self.outputs):
                np.matmul(inp, kernel, out=out)
        return time.perf_counter() - start
