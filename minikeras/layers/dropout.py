"""Random regularization layers: inverted dropout (Srivastava et al. 2014) and the base they share."""
from __future__ import annotations

import numpy as np

from .base import Layer, registry
from .windowed import Windowed


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
    x, y `(N, ...)`; the mask $m$ (0 or 1 per entry) has the shape of x, or Keras' `noise_shape`
    (the batch axis included; 1 on an axis shares a mask entry along it, None takes x's size).

    Backward
    --------
    $\partial L / \partial x = g \odot m / (1 - p)$.

    Examples
    --------
    >>> Dropout(0.5)
    Dropout(rate=0.5)
    """

    keras_class = "Dropout"
    keras_arguments: tuple[str, ...] = ("rate", "noise_shape", "seed")

    def __init__(self, rate: float, noise_shape=None, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        self.rate = check_rate(type(self).__name__, rate)
        if noise_shape is not None and (isinstance(noise_shape, (str, bytes)) or not all(
                d is None or (isinstance(d, (int, np.integer)) and d >= 1) for d in noise_shape)):
            raise ValueError(f"noise_shape must be a sequence of ints >= 1 or None, one per axis of x (the batch "
                             f"axis first); got {noise_shape!r}.")
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self._mask = None

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        """The mask's shape for inputs of `shape` (the batch axis included)."""
        if self.noise_shape is None:
            return shape
        if len(self.noise_shape) != len(shape) or any(d not in (None, 1, size) for d, size in
                                                       zip(self.noise_shape, shape)):
            raise ValueError(f"{type(self).__name__} noise_shape {self.noise_shape} does not broadcast to inputs of "
                             f"shape {shape}.")
        return tuple(size if d is None else d for d, size in zip(self.noise_shape, shape))

    def _active(self):
        return self.rate > 0.0

    def _noisy_forward(self, x):
        shape = self._mask_shape(x.shape)
        mask = self._rng.random(shape, dtype=self.dtype, out=self._buffer("mask", shape))
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        self._mask = mask
        return np.multiply(x, mask, out=self._buffer("y", x.shape))

    def _noisy_backward(self, grad_out):
        return np.multiply(grad_out, self._mask, out=self._buffer("dx", grad_out.shape))

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {"rate": self.rate, **({"noise_shape": noise_shape} if noise_shape else {}), **super().get_config()}


class SpatialDropout(Windowed, Dropout):
    """Dropout of whole channels: one mask entry per sample and channel, shared over positions."""

    keras_arguments = ("rate", "seed")
    rank = 2

    def __init__(self, rate: float, data_format=None, seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(rate, seed=seed, name=name, **kwargs)
        self.check_data_format(data_format)

    def output_shape(self, input_shape):
        self.image_shape(input_shape)  # checks the rank
        return tuple(input_shape)

    def _mask_shape(self, shape):
        return (shape[0], *(1,) * self.rank, shape[-1])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        return config


@registry.register()
class SpatialDropout2D(SpatialDropout):
    """Keras' SpatialDropout2D: each of an image's channels ``(N, H, W, C)`` dropped whole with
    probability `rate` (the rest scaled by ``1 / (1 - rate)``), as neighbouring pixels are too
    correlated for per-pixel dropout to regularize."""

    keras_class = "SpatialDropout2D"


@registry.register()
class SpatialDropout1D(SpatialDropout):
    """Keras' SpatialDropout1D: each of a sequence's channels ``(N, L, C)`` dropped whole."""

    keras_class = "SpatialDropout1D"
    rank = 1
