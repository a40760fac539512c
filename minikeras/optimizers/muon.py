"""Muon: orthogonalized momentum for matrices, AdamW for the rest."""
from __future__ import annotations

import math
import re

import numpy as np

from ..checks import check_positive
from .base import Optimizer, check_fraction, moving_average, moving_square_average, registry


def newton_schulz_orthogonalize(matrix: np.ndarray, steps: int, a: float, b: float, c: float) -> np.ndarray:
    """Muon's approximation of ``U V^T`` for ``matrix = U S V^T``: scaled to unit Frobenius norm,
    then `steps` quintic iterations ``A = X X^T;  X = a X + (b A + c A A) X`` on the wide
    orientation (a tall matrix is transposed first and back after)."""
    tall = matrix.shape[0] > matrix.shape[1]
    x = matrix.T if tall else matrix
    x = x / (np.linalg.norm(x) + 1e-7)
    for _ in range(steps):
        gram = x @ x.T
        x = a * x + (b * gram + c * gram @ gram) @ x
    return x.T if tall else x


@registry.register("muon")
class Muon(Optimizer):
    r"""Muon (Jordan et al. 2024) in Keras' form: each 2-D kernel follows the orthogonalized momentum,
    every other variable (biases, BatchNorm's, and kernels whose path matches `exclude_layers`)
    AdamW with `adam_beta_1`, `adam_beta_2`, `epsilon` and the rate $\eta \cdot$ `adam_lr_ratio`.
    For a kernel, with $\mu$ = `momentum` and NS the Newton-Schulz iteration
    (`newton_schulz_orthogonalize`):

    $$
    m \leftarrow \mu m + g, \quad G = g + \mu m \ \text{(nesterov) or } m, \quad
    W \leftarrow W - \eta\, \mathrm{NS}(G) \sqrt{\max(\text{rows}, \text{cols})}\, r
    $$

    with $r$ = `rms_rate`.

    Weight decay: `weight_decay` on the Muon kernels, `adam_weight_decay` on the AdamW variables.
    A variable's shape and path (``"dense/kernel"``) decide which rule it follows.
    """

    slot_names = ("momentum", "velocity")

    def __init__(self, learning_rate=0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: float = 0.004, epsilon: float = 1e-7, weight_decay: float = 0.004,
                 exclude_layers=None, exclude_embeddings: bool = True, muon_a: float = 3.4445,
                 muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1.0,
                 momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True, rms_rate: float | None = 0.2,
                 **options):
        super().__init__(learning_rate, weight_decay=weight_decay, **options)
        self.adam_beta_1 = check_fraction("Muon adam_beta_1", adam_beta_1)
        self.adam_beta_2 = check_fraction("Muon adam_beta_2", adam_beta_2)
        self.adam_weight_decay = check_positive("Muon adam_weight_decay", adam_weight_decay, allow_zero=True,
                                                optional=True)
        self.epsilon = float(epsilon)
        if exclude_layers is not None and (isinstance(exclude_layers, str)
                                           or not all(isinstance(k, str) for k in exclude_layers)):
            raise ValueError(f"Muon exclude_layers must be a list of regular expressions; got {exclude_layers!r}.")
        self.exclude_layers = list(exclude_layers or [])
        self.exclude_embeddings = bool(exclude_embeddings)
        self.muon_a, self.muon_b, self.muon_c = float(muon_a), float(muon_b), float(muon_c)
        self.adam_lr_ratio = check_positive("Muon adam_lr_ratio", adam_lr_ratio, allow_zero=True)
        self.momentum = check_fraction("Muon momentum", momentum)
        if isinstance(ns_steps, bool) or not isinstance(ns_steps, int) or ns_steps < 0:
            raise ValueError(f"Muon ns_steps must be an int >= 0; got {ns_steps!r}.")
        self.ns_steps = ns_steps
        self.nesterov = bool(nesterov)
        self.rms_rate = check_positive("Muon rms_rate", rms_rate, allow_zero=True, optional=True)

    def uses_adamw(self, shape, path) -> bool:
        """Whether the variable of `shape` at `path` (``"dense/kernel"``, or None) takes AdamW steps."""
        if len(shape) != 2:
            return True
        path = path or ""
        return (self.exclude_embeddings and "embedding" in path.lower()) or any(
            re.search(pattern, path) for pattern in self.exclude_layers)

    def _decay(self, values, learning_rate, variables) -> None:
        for value, variable in zip(values, variables):
            decay = self.adam_weight_decay if self.uses_adamw(variable.shape, variable.path) else self.weight_decay
            if decay:
                value -= value * (decay * learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        t = self.iterations + 1
        weights, m, v = variable.value, self.slot(variable, "momentum").value, self.slot(variable, "velocity").value
        if self.uses_adamw(variable.shape, variable.path):
            scratch = self._scratch[:variable.size].reshape(variable.shape)
            moving_average(m, gradient, self.adam_beta_1, scratch)
            moving_square_average(v, gradient, self.adam_beta_2, scratch)
            correction = math.sqrt(1.0 - self.adam_beta_2 ** t) / (1.0 - self.adam_beta_1 ** t)
            rate = learning_rate * self.adam_lr_ratio * correction
            weights -= rate * m / (np.sqrt(v) + self.epsilon)
            return
        m += gradient + m * (self.momentum - 1.0)
        direction = gradient + self.momentum * m if self.nesterov else m
        update = newton_schulz_orthogonalize(direction, self.ns_steps, self.muon_a, self.muon_b, self.muon_c)
        if self.rms_rate is not None:
            update = update * (math.sqrt(max(variable.shape)) * self.rms_rate)
        weights -= learning_rate * update

    def get_config(self):
        return {**super().get_config(), "adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2,
                "epsilon": self.epsilon, "exclude_layers": self.exclude_layers, "muon_a": self.muon_a,
                "muon_b": self.muon_b, "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio,
                "momentum": self.momentum, "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                "rms_rate": self.rms_rate}
