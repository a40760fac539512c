r"""Reshaping images ``(N, H, W, C)``: `ZeroPadding2D` adds rows and columns of zeros around,
`Cropping2D` removes some, `UpSampling2D` repeats each pixel (or interpolates bilinearly,
`backend.resampling`). Each backward pass is the adjoint of its forward: padding's backward
crops, cropping's pads with zeros, nearest up-sampling's adds the gradients of the copies of each
pixel, and bilinear up-sampling's is the resampling's transpose.
"""
from __future__ import annotations

import numpy as np

from ..backend.resampling import INTERPOLATIONS, Resampling, resize_coordinates
from .base import Layer, registry
from .windowed import Windowed


def _sides(value, what: str) -> tuple[tuple[int, int], tuple[int, int]]:
    """Keras' padding or cropping forms as ``((top, bottom), (left, right))``: an int, a pair
    ``(rows, columns)`` (each on both sides), or a pair of pairs."""
    def amount(v):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{what} must be an int >= 0, a pair of them, or a pair of pairs; got {value!r}.")
        return int(v)

    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (amount(value),) * 2, (amount(value),) * 2
    try:
        rows, columns = value
        return tuple(tuple(amount(v) for v in (side if isinstance(side, (tuple, list)) else (side, side)))
                     for side in (rows, columns))  # type: ignore[return-value]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be an int >= 0, a pair of them, or a pair of pairs; got {value!r}.") from None


class ImageReshaping(Windowed, Layer):
    """An image layer whose per-sample input is ``(H, W, C)``."""

    def output_shape(self, input_shape):
        height, width, channels = self.image_shape(input_shape)
        return self._output_hw(height, width) + (channels,)

    def _output_hw(self, height: int, width: int) -> tuple[int, int]:
        raise NotImplementedError


@registry.register()
class ZeroPadding2D(ImageReshaping):
    """Rows and columns of zeros around each image (Keras' `padding` forms).

    Examples
    --------
    >>> ZeroPadding2D(((1, 2), (0, 3))).output_shape((4, 4, 2))
    (7, 7, 2)
    """

    keras_class = "ZeroPadding2D"
    keras_arguments = ("padding",)

    def __init__(self, padding=(1, 1), data_format=None, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.check_data_format(data_format)
        self.padding = _sides(padding, "ZeroPadding2D padding")  # type: ignore[assignment]

    def _output_hw(self, height, width):
        return height + sum(self.padding[0]), width + sum(self.padding[1])

    def forward(self, x, training=False):
        return np.pad(x, ((0, 0), *self.padding, (0, 0)))

    def backward(self, grad_out):
        (top, bottom), (left, right) = self.padding
        return grad_out[:, top:grad_out.shape[1] - bottom, left:grad_out.shape[2] - right, :]

    def get_config(self):
        return {"padding": [list(side) for side in self.padding], **super().get_config()}

    def to_onnx(self, g, x):
        (top, bottom), (left, right) = self.padding
        return g.op("Pad", x, g.constant([0, top, left, 0, 0, bottom, right, 0], np.int64))


@registry.register()
class Cropping2D(ImageReshaping):
    """Rows and columns removed from the edges of each image (Keras' `cropping` forms)."""

    keras_class = "Cropping2D"
    keras_arguments = ("cropping",)

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, name: str | None = None, **kwargs):
        super().__init__(name, **kwargs)
        self.check_data_format(data_format)
        self.cropping = _sides(cropping, "Cropping2D cropping")

    def _output_hw(self, height, width):
        out = (height - sum(self.cropping[0]), width - sum(self.cropping[1]))
        if min(out) < 1:
            raise ValueError(f"Cropping2D cropping {self.cropping} leaves nothing of images of {height} x {width}.")
        return out

    def forward(self, x, training=False):
        (top, bottom), (left, right) = self.cropping
        return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right, :]

    def backward(self, grad_out):
        return np.pad(grad_out, ((0, 0), *self.cropping, (0, 0)))

    def get_config(self):
        return {"cropping": [list(side) for side in self.cropping], **super().get_config()}

    def to_onnx(self, g, x):
        (top, _), (left, _) = self.cropping
        height, width = self.output_shape(self.input_shape)[:2]
        return g.op("Slice", x, g.constant([top, left], np.int64), g.constant([top + height, left + width], np.int64),
                    g.constant([1, 2], np.int64))


@registry.register()
class UpSampling2D(ImageReshaping):
    """Images enlarged `size` ``(rows, columns)`` times: each pixel repeated
    (``interpolation="nearest"``), or interpolated between pixel centres (``"bilinear"``, as
    Keras' ``image.resize``: half-pixel centres, edges clamped).

    Examples
    --------
    >>> UpSampling2D(2).output_shape((7, 7, 16))
    (14, 14, 16)
    """

    keras_class = "UpSampling2D"
    keras_arguments = ("size", "interpolation")

    def __init__(self, size=(2, 2), data_format=None, interpolation: str = "nearest", name: str | None = None,
                 **kwargs):
        super().__init__(name, **kwargs)
        self.check_data_format(data_format)
        self.size = self.spatial(size, "size")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f"UpSampling2D interpolation must be one of {INTERPOLATIONS}; got {interpolation!r}.")
        self.interpolation = interpolation

    def _output_hw(self, height, width):
        return height * self.size[0], width * self.size[1]

    def forward(self, x, training=False):
        if self.interpolation == "bilinear":
            coordinates = resize_coordinates(x.shape[0], x.shape[1:3], self._output_hw(*x.shape[1:3]))
            self._resampling = Resampling(x.shape, *coordinates, "bilinear", "nearest")
            return self._resampling.forward(x)
        return x.repeat(self.size[0], axis=1).repeat(self.size[1], axis=2)

    def backward(self, grad_out):
        if self.interpolation == "bilinear":
            return self._resampling.backward(grad_out)
        n, height, width, channels = grad_out.shape
        return grad_out.reshape(n, height // self.size[0], self.size[0], width // self.size[1], self.size[1],
                                channels).sum(axis=(2, 4))

    def get_config(self):
        return {"size": self.size, "interpolation": self.interpolation, **super().get_config()}

    def to_onnx(self, g, x):
        scales = g.constant([1.0, float(self.size[0]), float(self.size[1]), 1.0], np.float32)
        if self.interpolation == "bilinear":
            return g.op("Resize", x, "", scales, mode="linear", coordinate_transformation_mode="half_pixel")
        return g.op("Resize", x, "", scales, mode="nearest")
