"""Random regularization layers: inverted dropout (Srivastava et al. 2014) and the base they share."""
from __future__ import annotations

import numpy as np

from .base import Layer, registry


def check_rate(layer: str, rate) -> float:
    """`rate` as a float in [0, 1), or a ValueError naming `layer`."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0.0 <= rate < 1.0:
        raise ValueError(f"{layer} rate must be a number in [0, 1); got {rate!r}.")
    return float(rate)


class RandomLayer(Layer):
    """A layer that draws noise in training and is the identity at inference.

    `seed` (Keras) gives the layer its own generator; by default it draws from the model's, so
    that a saved model resumes with the same noise. Subclasses implement `_noisy_forward` and
    `_noisy_backward`, run only in training mode.
    """

    def __init__(self, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.seed = None if seed is None else int(seed)
        self._rng = None
        self._noisy = False

    def build(self, input_shape, rng, dtype=None):
        super().build(input_shape, rng, dtype)
        self._rng = rng if self.seed is None else np.random.default_rng(self.seed)

    def _active(self) -> bool:
        return True

    def forward(self, x, training=False):
        self._noisy = training and self._active()
        return self._noisy_forward(x) if self._noisy else x

    def backward(self, grad_out):
        return self._noisy_backward(grad_out) if self._noisy else grad_out

    def _noisy_forward(self, x):
        raise NotImplementedError

    def _noisy_backward(self, grad_out):
        raise NotImplementedError

    def get_config(self):
        return {"seed": self.seed, **super().get_config()}

    def to_onnx(self, g, x):
        return x  # the identity at inference


@registry.register("dropout")
class Dropout(RandomLayer):
    r"""Zero each activation with probability `rate` $p$ during training and scale the rest by
    $1 / (1 - p)$, so that inference is the identity.

    Shapes
    ------
    x, y `(N, ...)`; the mask $m$ (0 or 1 per entry) has the shape of x.

    Backward
    --------
    $\partial L / \partial x = g \odot m / (1 - p)$.

    Examples
    --------
    >>> Dropout(0.5)
    Dropout(rate=0.5)
    """

    keras_class = "Dropout"
    keras_arguments = ("rate", "noise_shape", "seed")

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        self.rate = check_rate("Dropout", rate)
        if noise_shape is not None:
            raise ValueError(f"noise_shape is not supported (masks are drawn per entry); got {noise_shape!r}.")
        self._mask = None

    def _active(self):
        return self.rate > 0.0

    def _noisy_forward(self, x):
        mask = self._rng.random(x.shape, dtype=self.dtype, out=self._buffer("mask", x.shape))
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        return np.multiply(x, mask, out=self._buffer("y", x.shape))

    def _noisy_backward(self, grad_out):
        return np.multiply(grad_out, self._mask, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        return {"rate": self.rate, **super().get_config()}
