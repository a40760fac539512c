"""Adafactor: factored second moments for matrices."""
from __future__ import annotations

import math

import numpy as np

from ..checks import check_positive
from . import schedules
from .base import Optimizer, registry


@registry.register("adafactor")
class Adafactor(Optimizer):
    r"""Adafactor (Shazeer & Stern 2018) in Keras' form, with $t$ the 1-based update count and
    $\operatorname{rms}(a) = \sqrt{\overline{a^2}}$:

    $$
    \rho = \min(\eta, 1 / \sqrt{t}), \quad \alpha = \max(\epsilon_2, \operatorname{rms}(w))\, \rho, \quad
    \beta = 1 - t^{d}, \quad G = g^2 + \epsilon_1
    $$

    with $d$ = `beta_2_decay`. For a matrix (the last two axes), row and column means of $G$:
    $r \leftarrow \beta r + (1 - \beta) \overline{G}_{\text{rows}}$,
    $c \leftarrow \beta c + (1 - \beta) \overline{G}_{\text{cols}}$, $v = (r / \bar{r})\, c^\top$; for any
    other variable $v \leftarrow \beta v + (1 - \beta) G$. Then $u = g / \sqrt{v}$ and
    $w \leftarrow w - \alpha\, u / \max(1, \operatorname{rms}(u) / c_{\text{clip}})$ for
    $c_{\text{clip}}$ = `clip_threshold`.

    With `relative_step` and a float rate, the rate itself is also capped at $1 / \sqrt{t}$. The
    factored statistics $r$ and $c$ are kept in slots shaped like the weights ($r$ in the first
    column, $c$ in the first row), so that they are saved and resumed as every slot; this gives up
    Adafactor's memory saving, not its updates.
    """

    slot_names = ("r", "c", "v")
    elementwise = False  # statistics per matrix

    def __init__(self, learning_rate=0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True, **options):
        super().__init__(learning_rate, **options)
        if not beta_2_decay < 0:
            raise ValueError(f"Adafactor beta_2_decay must be < 0; got {beta_2_decay!r}.")
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = check_positive("Adafactor epsilon_1", epsilon_1, allow_zero=True)
        self.epsilon_2 = check_positive("Adafactor epsilon_2", epsilon_2, allow_zero=True)
        self.clip_threshold = check_positive("Adafactor clip_threshold", clip_threshold)
        self.relative_step = bool(relative_step)

    def _update_arrays(self, param, grad, slots, lr, scratch):
        t = self.iterations + 1
        if self.relative_step and not isinstance(self.learning_rate, schedules.Schedule):
            lr = min(lr, 1.0 / math.sqrt(t))
        rho = min(lr, 1.0 / math.sqrt(t))
        beta = 1.0 - t ** self.beta_2_decay
        r_slot, c_slot, v = slots
        alpha = max(self.epsilon_2, math.sqrt(np.mean(np.square(param)))) * rho
        squared = np.square(grad) + self.epsilon_1
        if param.ndim >= 2:
            r, c = r_slot[..., 0], c_slot[..., 0, :]
            r[...] = beta * r + (1.0 - beta) * squared.mean(axis=-1)
            c[...] = beta * c + (1.0 - beta) * squared.mean(axis=-2)
            v[...] = (r / r.mean(axis=-1, keepdims=True))[..., None] * c[..., None, :]
        else:
            v[...] = beta * v + (1.0 - beta) * squared
        update = grad / np.sqrt(v)
        update /= max(1.0, math.sqrt(np.mean(np.square(update))) / self.clip_threshold)
        param -= alpha * update

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1,
                "epsilon_2": self.epsilon_2, "clip_threshold": self.clip_threshold,
                "relative_step": self.relative_step}
