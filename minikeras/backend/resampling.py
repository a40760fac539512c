r"""Images resampled at arbitrary source coordinates: what the geometric augmentation layers
(translation, rotation, zoom, crop) compute, as Keras' ``image.affine_transform`` and
``image.map_coordinates`` do.

Output pixel ``(n, p, q)`` reads the input at the (fractional) source position ``(r, c)``.
``"bilinear"``: the four neighbours ``(floor r + a, floor c + b)``, ``a, b`` in {0, 1}, weighted
``(1 - |r - i|)(1 - |c - j|)``; ``"nearest"``: the neighbour at ``round(r), round(c)`` (half to
even). A neighbour outside the image is, by `fill_mode`: ``"constant"``: `fill_value`;
``"nearest"``: the edge pixel; ``"wrap"``: the image tiled; ``"reflect"``: the image mirrored about
its edge (``d c b a | a b c d | d c b a``).

The output is linear in the input, ``y = S x`` with ``S`` sparse (at most four weights per
output pixel), so the input's gradient is ``S^T g``: each output gradient times its weights,
added to the pixels they were read from, with one `np.bincount` (no Python loop, no
`np.add.at`).
"""
from __future__ import annotations

import numpy as np

FILL_MODES = ("reflect", "wrap", "constant", "nearest")
INTERPOLATIONS = ("bilinear", "nearest")


def _in_range(index: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Out-of-image indices mapped inside as `fill_mode` says (clipped for ``"constant"``, whose
    weights are dropped instead)."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":
        index = index % (2 * size)
        return np.where(index >= size, 2 * size - 1 - index, index)
    return np.clip(index, 0, size - 1)


def _neighbours(coordinate: np.ndarray, interpolation: str):
    """``(index, weight)`` of each neighbour along one axis."""
    if interpolation == "nearest":
        return [(np.round(coordinate).astype(np.int64), 1.0)]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    index = lower.astype(np.int64)
    return [(index, 1.0 - upper_weight), (index + 1, upper_weight)]


class Resampling:
    """The resampling of images of `shape` ``(N, H, W, C)`` at source `rows` and `columns`
    ``(N, Ho, Wo)`` (one pair per output pixel): built once, applied with `forward`, its
    transpose with `backward`."""

    def __init__(self, shape: tuple[int, ...], rows: np.ndarray, columns: np.ndarray, interpolation: str = "bilinear",
                 fill_mode: str = "constant", fill_value: float = 0.0):
        n, height, width, _ = shape
        self.shape = tuple(shape)
        image = np.arange(n).reshape(n, 1, 1) * height
        self.pixels, self.weights = [], []  # per neighbour: flat input pixel (N, Ho, Wo), weight (N, Ho, Wo)
        for row, row_weight in _neighbours(rows, interpolation):
            for column, column_weight in _neighbours(columns, interpolation):
                weight = np.broadcast_to(row_weight * column_weight, rows.shape)
                if fill_mode == "constant":
                    weight = weight * ((row >= 0) & (row < height) & (column >= 0) & (column < width))
                self.pixels.append((image + _in_range(row, height, fill_mode)) * width
                                   + _in_range(column, width, fill_mode))
                self.weights.append(weight)
        # The weights outside the image, read as fill_value: what the kept ones leave of 1.
        outside = 1.0 - np.sum(self.weights, axis=0)
        self.fill = outside * fill_value if fill_mode == "constant" and fill_value else None

    def forward(self, images: np.ndarray) -> np.ndarray:
        """The resampled images ``(N, Ho, Wo, C)``."""
        flat = images.reshape(-1, images.shape[-1])
        out = sum(weight[..., None] * flat[pixels] for pixels, weight in zip(self.pixels, self.weights))
        if self.fill is not None:
            out = out + self.fill[..., None]
        return np.asarray(out, dtype=images.dtype)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """The input's gradient ``(N, H, W, C)`` from the output's `grad` ``(N, Ho, Wo, C)``."""
        channels = self.shape[-1]
        targets = np.concatenate([(pixels[..., None] * channels + np.arange(channels)).ravel()
                                  for pixels in self.pixels])
        values = np.concatenate([(weight[..., None] * grad).ravel() for weight in self.weights])
        total = np.bincount(targets, weights=values.astype(np.float64, copy=False),  # bincount adds in float64
                            minlength=int(np.prod(self.shape)))
        return total.reshape(self.shape).astype(grad.dtype, copy=False)


def affine_coordinates(transforms: np.ndarray, out_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Source ``(rows, columns)`` ``(N, Ho, Wo)`` of Keras' affine `transforms` ``(N, 6)``
    ``[a0, a1, a2, b0, b1, b2]``: output pixel at column ``x``, row ``y`` reads column
    ``a0 x + a1 y + a2``, row ``b0 x + b1 y + b2``."""
    y, x = np.meshgrid(np.arange(out_hw[0], dtype=np.float64), np.arange(out_hw[1], dtype=np.float64),
                       indexing="ij")
    a0, a1, a2, b0, b1, b2 = (transforms[:, k, None, None] for k in range(6))
    return b0 * x + b1 * y + b2, a0 * x + a1 * y + a2


def resize_coordinates(n: int, in_hw: tuple[int, int], out_hw: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Source ``(rows, columns)`` ``(n, Ho, Wo)`` resizing ``in_hw`` images to ``out_hw`` with
    half-pixel centres (as Keras' ``image.resize`` and ONNX's ``half_pixel``):
    ``r = (p + 1/2) H / Ho - 1/2``; with ``fill_mode="nearest"``, edges clamp."""
    rows, columns = ((np.arange(out) + 0.5) * size / out - 0.5 for size, out in zip(in_hw, out_hw))
    grid = np.meshgrid(rows, columns, indexing="ij")
    return np.broadcast_to(grid[0], (n, *out_hw)), np.broadcast_to(grid[1], (n, *out_hw))
