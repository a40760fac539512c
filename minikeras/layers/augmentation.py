r"""Image augmentation layers (Keras' names and arguments): random in training, the identity at
inference, drawing from the model's generator (or their own `seed`), so that a resumed run draws
the same transformations. Images are ``(N, H, W, C)``.

- `RandomFlip`: each image, with probability 1/2, mirrored left-right (``"horizontal"``),
  upside-down (``"vertical"``), or both at once (``"horizontal_and_vertical"``, as Keras: one draw
  for both). Backward: the same flips of the gradient (a flip is its own inverse).
- `RandomContrast`: each image's channels pulled away from (or toward) their mean over the image,
  $y = \mathrm{clip}((x - \bar{x}) f + \bar{x})$ with $f$ uniform in ``[1 - lower, 1 + upper]``
  per image, clipped to `value_range`. Backward, with $g'$ the gradient where $y$ was not
  clipped: $\partial L / \partial x = f g' + (1 - f)\, \overline{g'}$ (bars: means over the image).
"""
from __future__ import annotations

import numpy as np

from .base import registry
from .dropout import RandomLayer
from .windowed import Windowed

FLIP_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


class ImageAugmentation(Windowed, RandomLayer):
    """A random image layer: per-sample inputs ``(H, W, C)``, the same shape out."""

    def output_shape(self, input_shape):
        return tuple(self.image_shape(input_shape))


@registry.register()
class RandomFlip(ImageAugmentation):
    """Mirror each image with probability 1/2 in training (see the module).

    Examples
    --------
    >>> RandomFlip("horizontal")
    RandomFlip(mode='horizontal')
    """

    keras_class = "RandomFlip"
    keras_arguments = ("mode", "seed")

    def __init__(self, mode: str = "horizontal_and_vertical", seed: int | None = None, data_format=None,
                 name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        if mode not in FLIP_MODES:
            raise ValueError(f"RandomFlip mode must be one of {FLIP_MODES}; got {mode!r}.")
        self.check_data_format(data_format)
        self.mode = mode
        self._axes = {"horizontal": (2,), "vertical": (1,), "horizontal_and_vertical": (1, 2)}[mode]

    def _flipped(self, x):
        out = x.copy()
        out[self._flips] = np.flip(x[self._flips], axis=self._axes)
        return out

    def _noisy_forward(self, x):
        self._flips = self._rng.random(x.shape[0]) <= 0.5
        return self._flipped(x)

    def _noisy_backward(self, grad_out):
        return self._flipped(grad_out)

    def get_config(self):
        return {"mode": self.mode, **super().get_config()}


@registry.register()
class RandomContrast(ImageAugmentation):
    """Change each image's contrast by a random factor in training (see the module). `factor`: a
    number ``f`` in [0, 1] (Keras' range ``[1, 1 + f]``) or a pair ``(lower, upper)`` (the range
    ``[1 - lower, 1 + upper]``), as Keras reads them."""

    keras_class = "RandomContrast"
    keras_arguments = ("factor", "value_range", "seed")

    def __init__(self, factor, value_range=(0, 255), seed: int | None = None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        self.factor = factor_range(factor, "RandomContrast factor", bounds=(0.0, 1.0))
        try:
            low, high = (float(v) for v in value_range)
        except (TypeError, ValueError):
            low, high = 1.0, 0.0
        if not low < high:
            raise ValueError(f"RandomContrast value_range must be a pair (low, high) with low < high; got "
                             f"{value_range!r}.")
        self.value_range = (low, high)

    def _noisy_forward(self, x):
        n = x.shape[0]
        self._contrast = self._rng.uniform(1.0 - self.factor[0], 1.0 + self.factor[1], (n, 1, 1, 1)).astype(x.dtype)
        mean = x.mean(axis=(1, 2), keepdims=True)
        out = (x - mean) * self._contrast + mean
        self._inside = (out >= self.value_range[0]) & (out <= self.value_range[1])
        return np.clip(out, *self.value_range, out=out)

    def _noisy_backward(self, grad_out):
        grad = grad_out * self._inside
        return grad * self._contrast + grad.mean(axis=(1, 2), keepdims=True) * (1.0 - self._contrast)

    def get_config(self):
        return {"factor": list(self.factor), "value_range": list(self.value_range), **super().get_config()}


def factor_range(factor, what: str, bounds: tuple[float, float] = (-1.0, 1.0),
                 lowest_exclusive: bool = False) -> tuple[float, float]:
    """Keras' reading of an augmentation factor as a range ``(lower, upper)``: a number ``f`` gives
    ``(max(-|f|, bounds[0]), |f|)``; a pair is sorted. Each number must lie in `bounds` (the
    lower bound excluded if `lowest_exclusive`); ValueError naming `what` otherwise."""
    low, high = bounds
    is_pair = isinstance(factor, (tuple, list))
    numbers = list(factor) if is_pair else [factor]

    def inside(v) -> bool:
        return bool(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
                    and (low < v if lowest_exclusive else low <= v) and v <= high)

    if len(numbers) != (2 if is_pair else 1) or not all(inside(v) for v in numbers):
        interval = f"({low:g}, {high:g}]" if lowest_exclusive else f"[{low:g}, {high:g}]"
        raise ValueError(f"{what} must be a number in {interval} or a pair of them; got {factor!r}.")
    if is_pair:
        lower, upper = sorted(float(v) for v in numbers)
        return lower, upper
    return max(-abs(float(factor)), low), abs(float(factor))
