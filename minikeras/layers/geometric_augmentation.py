r"""Geometric image augmentation (Keras' names, arguments and transforms): `RandomTranslation`,
`RandomRotation`, `RandomZoom` move each image by its own random affine map in training (the
identity at inference); `RandomCrop` cuts a random window in training and the centred window of
the target's aspect ratio, resized, at inference. Images are ``(N, H, W, C)``; draws come from
the model's generator (or the layer's `seed`), so a resumed run draws the same.

Each affine map is Keras' ``[a0, a1, a2, b0, b1, b2]``: output pixel (column ``x``, row ``y``)
reads the input at column ``a0 x + a1 y + a2``, row ``b0 x + b1 y + b2``
(`backend.resampling`: bilinear or nearest, `fill_mode` outside the image), with per image

- translation by ``(dx, dy) = (u W, v H)``, ``u`` and ``v`` uniform in the factor ranges:
  ``[1, 0, -dx, 0, 1, -dy]``;
- rotation by ``θ = 2π u`` about the centre ``(cx, cy) = ((W - 1) / 2, (H - 1) / 2)``:
  ``[cos θ, -sin θ, cx - cx cos θ + cy sin θ, sin θ, cos θ, cy - cx sin θ - cy cos θ]``;
- zoom by ``(zx, zy) = (1 + u, 1 + v)`` about the centre (``z < 1`` zooms in):
  ``[zx, 0, cx (1 - zx), 0, zy, cy (1 - zy)]``.

Backward: the transpose of the resampling (its weights, added back where they read).
"""
from __future__ import annotations

import numpy as np

from ..backend.resampling import FILL_MODES, INTERPOLATIONS, Resampling, affine_coordinates, resize_coordinates
from ..checks import check_int
from .augmentation import ImageAugmentation, factor_range
from .base import registry


class AffineAugmentation(ImageAugmentation):
    """A random affine map per image; subclasses draw the maps (`_transforms`), the last batch's
    kept in `last_transforms` ``(N, 6)``."""

    last_transforms: np.ndarray | None = None

    def __init__(self, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format=None, name: str | None = None, **kwargs):
        super().__init__(seed, name, **kwargs)
        kind = type(self).__name__
        if fill_mode not in FILL_MODES:
            raise ValueError(f"{kind} fill_mode must be one of {FILL_MODES}; got {fill_mode!r}.")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"{kind} interpolation must be one of {INTERPOLATIONS}; got {interpolation!r}.")
        self.check_data_format(data_format)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def _transforms(self, n: int, height: int, width: int) -> np.ndarray:
        """Keras' affine maps ``(n, 6)`` for a batch of `n` images of `height` x `width`."""
        raise NotImplementedError

    def _noisy_forward(self, x):
        height, width = x.shape[1:3]
        self.last_transforms = self._transforms(x.shape[0], height, width)
        rows, columns = affine_coordinates(self.last_transforms, (height, width))
        self._resampling = Resampling(x.shape, rows, columns, self.interpolation, self.fill_mode, self.fill_value)
        return self._resampling.forward(x)

    def _noisy_backward(self, grad_out):
        return self._resampling.backward(grad_out)

    def get_config(self):
        return {"fill_mode": self.fill_mode, "interpolation": self.interpolation, "fill_value": self.fill_value,
                **super().get_config()}


@registry.register()
class RandomTranslation(AffineAugmentation):
    """Shift each image by a random fraction of its height and width in training (see the module).
    `height_factor`, `width_factor`: a number ``f`` (the range ``[-f, f]``) or a pair
    ``(lower, upper)``, in [-1, 1]; positive moves down and right.

    Examples
    --------
    >>> RandomTranslation(0.1, 0.2).width_factor
    (-0.2, 0.2)
    """

    keras_class = "RandomTranslation"
    keras_arguments = ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value")

    def __init__(self, height_factor, width_factor, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format=None, name: str | None = None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, **kwargs)
        self.height_factor = factor_range(height_factor, "RandomTranslation height_factor")
        self.width_factor = factor_range(width_factor, "RandomTranslation width_factor")

    def _transforms(self, n, height, width):
        dy = self._rng.uniform(*self.height_factor, n) * height
        dx = self._rng.uniform(*self.width_factor, n) * width
        ones, zeros = np.ones(n), np.zeros(n)
        return np.stack([ones, zeros, -dx, zeros, ones, -dy], axis=1)

    def get_config(self):
        return {"height_factor": list(self.height_factor), "width_factor": list(self.width_factor),
                **super().get_config()}


@registry.register()
class RandomRotation(AffineAugmentation):
    """Rotate each image about its centre by a random fraction of a full turn in training (see the
    module). `factor`: a number ``f`` (the range ``[-f, f]`` of turns) or a pair, in [-1, 1].

    Examples
    --------
    >>> RandomRotation(0.1).factor
    (-0.1, 0.1)
    """

    keras_class = "RandomRotation"
    keras_arguments = ("factor", "fill_mode", "interpolation", "seed", "fill_value")

    def __init__(self, factor, fill_mode: str = "reflect", interpolation: str = "bilinear", seed: int | None = None,
                 fill_value: float = 0.0, data_format=None, name: str | None = None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, **kwargs)
        self.factor = factor_range(factor, "RandomRotation factor")

    def _transforms(self, n, height, width):
        angle = self._rng.uniform(*self.factor, n) * 2 * np.pi
        cos, sin = np.cos(angle), np.sin(angle)
        cx, cy = (width - 1) / 2, (height - 1) / 2
        return np.stack([cos, -sin, cx - cx * cos + cy * sin, sin, cos, cy - cx * sin - cy * cos], axis=1)

    def get_config(self):
        return {"factor": list(self.factor), **super().get_config()}


@registry.register()
class RandomZoom(AffineAugmentation):
    """Zoom each image about its centre by a random factor in training (see the module).
    `height_factor`: a number ``f`` (the range ``[-f, f]``) or a pair, in (-1, 1]; negative zooms in
    (``-0.2``: up to 20% closer). `width_factor`: the same for the width, or None (default) to keep
    the aspect ratio (one draw for both).

    Examples
    --------
    >>> RandomZoom((-0.2, 0.1)).height_factor
    (-0.2, 0.1)
    """

    keras_class = "RandomZoom"
    keras_arguments = ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value")

    def __init__(self, height_factor, width_factor=None, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: int | None = None, fill_value: float = 0.0, data_format=None, name: str | None = None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, name, **kwargs)
        self.height_factor = factor_range(height_factor, "RandomZoom height_factor", lowest_exclusive=True)
        self.width_factor = None if width_factor is None else factor_range(
            width_factor, "RandomZoom width_factor", lowest_exclusive=True)

    def _transforms(self, n, height, width):
        zoom_y = 1.0 + self._rng.uniform(*self.height_factor, n)
        zoom_x = zoom_y if self.width_factor is None else 1.0 + self._rng.uniform(*self.width_factor, n)
        zeros = np.zeros(n)
        return np.stack([zoom_x, zeros, (width - 1) / 2 * (1 - zoom_x), zeros, zoom_y, (height - 1) / 2 * (1 - zoom_y)],
                        axis=1)

    def get_config(self):
        width = None if self.width_factor is None else list(self.width_factor)
        return {"height_factor": list(self.height_factor), "width_factor": width, **super().get_config()}


@registry.register()
class RandomCrop(ImageAugmentation):
    """Crop images to `height` x `width`. In training, when the images are larger in both
    dimensions: a window at a random position, the same for the whole batch (as Keras). Otherwise
    (inference, or smaller images): the largest centred window of the target's aspect ratio,
    resized to the target (bilinear, half-pixel centres) — what Keras documents. Backward: the
    window's gradient put back in place (or the resize's transpose).

    Examples
    --------
    >>> RandomCrop(24, 24).output_shape((32, 32, 3))
    (24, 24, 3)
    """

    keras_class = "RandomCrop"
    keras_arguments = ("height", "width", "seed")

    def __init__(self, height: int, width: int, seed: int | None = None, data_format=None, name: str | None = None,
                 **kwargs):
        super().__init__(seed, name, **kwargs)
        self.check_data_format(data_format)
        self.height = check_int("RandomCrop height", height, 1)
        self.width = check_int("RandomCrop width", width, 1)

    def output_shape(self, input_shape):
        return (self.height, self.width, self.image_shape(input_shape)[2])

    def centred_window(self, height: int, width: int) -> tuple[int, int, int, int]:
        """``(top, left, rows, columns)``: Keras' largest centred window of the target's aspect ratio."""
        rows = max(min(height, int(width * self.height / self.width)), 1)
        columns = max(min(width, int(height * self.width / self.height)), 1)
        return int((height - rows) / 2), int((width - columns) / 2), rows, columns

    def forward(self, x, training=False):
        n, height, width, _ = x.shape
        self._input_shape, self._resampling = x.shape, None
        if training and height > self.height and width > self.width:
            top, left = (int(self._rng.integers(0, size - target + 1))
                         for size, target in ((height, self.height), (width, self.width)))
            rows, columns = self.height, self.width
        else:
            top, left, rows, columns = self.centred_window(height, width)
        self._window = (slice(None), slice(top, top + rows), slice(left, left + columns))
        window = x[self._window]
        if (rows, columns) == (self.height, self.width):
            return window
        coordinates = resize_coordinates(n, (rows, columns), (self.height, self.width))
        self._resampling = Resampling(window.shape, *coordinates, "bilinear", "nearest")
        return self._resampling.forward(window)

    def backward(self, grad_out):
        grad = np.zeros(self._input_shape, dtype=grad_out.dtype)
        grad[self._window] = grad_out if self._resampling is None else self._resampling.backward(grad_out)
        return grad

    def get_config(self):
        return {"height": self.height, "width": self.width, **super().get_config()}

    def to_onnx(self, g, x):
        height, width = self.input_shape[:2]
        top, left, rows, columns = self.centred_window(height, width)
        y = g.op("Slice", x, g.constant([top, left], np.int64), g.constant([top + rows, left + columns], np.int64),
                 g.constant([1, 2], np.int64))
        if (rows, columns) == (self.height, self.width):
            return y
        scales = g.constant([1.0, self.height / rows, self.width / columns, 1.0], np.float32)
        return g.op("Resize", y, "", scales, mode="linear", coordinate_transformation_mode="half_pixel")
