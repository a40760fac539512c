"""Preparing data for a model: standardization, labels, splits, flattening, augmentation."""
from __future__ import annotations

import numpy as np

from .data_utils import SPLIT_MODES, Dataset, split_validation
from .targets import one_hot

__all__ = ["Standardize", "to_categorical", "train_val_split", "flatten_images", "ImageAugmenter"]


class Standardize:
    """``(x - mean) / std`` with statistics fitted on training data only.

    ``per="feature"`` (default) keeps one mean and std per input column (per pixel, as the
    course experiments do); ``per="global"`` one for the whole array. A zero std is taken as 1.

    Examples
    --------
    >>> scaler = Standardize().fit(np.array([[0.0, 10.0], [2.0, 30.0]]))
    >>> scaler.transform(np.array([[1.0, 20.0]]))
    array([[0., 0.]], dtype=float32)
    """

    def __init__(self, per: str = "feature", dtype="float32"):
        if per not in ("feature", "global"):
            raise ValueError(f"per must be 'feature' or 'global'; got {per!r}.")
        self.per = per
        self.dtype = np.dtype(dtype)
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x) -> Standardize:
        x = np.asarray(x)
        axis = 0 if self.per == "feature" else None
        self.mean = x.mean(axis=axis, dtype=np.float64)
        std = x.std(axis=axis, dtype=np.float64)
        self.std = np.where(std > 0, std, 1.0)
        return self

    def transform(self, x) -> np.ndarray:
        if self.mean is None or self.std is None:
            raise ValueError("Standardize.transform called before fit.")
        x = np.asarray(x)
        if self.per == "feature" and x.shape[1:] != np.shape(self.mean):
            raise ValueError(f"Standardize was fitted on samples of shape {np.shape(self.mean)}; "
                             f"got samples of shape {x.shape[1:]}.")
        out = np.subtract(x, self.mean.astype(self.dtype), dtype=self.dtype)
        out /= self.std.astype(self.dtype)
        return out

    def fit_transform(self, x) -> np.ndarray:
        return self.fit(x).transform(x)


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot ``(N, num_classes)`` rows from class ids ``(N,)`` or ``(N, 1)``.

    Examples
    --------
    >>> to_categorical([0, 2], 3)
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
    """
    ids = np.asarray(y)
    if ids.ndim == 2 and ids.shape[1] == 1:
        ids = ids[:, 0]
    if ids.ndim != 1 or ids.dtype.kind not in "iu":
        raise ValueError(f"to_categorical expects integer class ids of shape (N,) or (N, 1); "
                         f"got {ids.dtype} of shape {np.shape(y)}.")
    num_classes = int(ids.max()) + 1 if num_classes is None else num_classes
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        raise ValueError(f"Class ids must be in [0, {num_classes}); got {ids.min()}..{ids.max()}.")
    return one_hot(ids, num_classes, dtype)


def train_val_split(x, y, val_fraction: float = 0.1, mode: str = "stratified", seed: int = 0):
    """``((x_train, y_train), (x_val, y_val))`` with `val_fraction` of the samples held out.

    Modes as `fit`'s ``validation_split_mode``: ``"stratified"`` (per class at random),
    ``"random"`` or ``"last"``.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} samples but y has {len(y)}; they must match.")
    if mode not in SPLIT_MODES:
        raise ValueError(f"Unknown mode {mode!r}. Expected one of: {', '.join(SPLIT_MODES)}.")
    ids = y.argmax(axis=1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y), -1)[:, 0]
    train, val = split_validation(Dataset(x, ids), val_fraction, mode, np.random.default_rng(seed))
    return (x[train.rows], y[train.rows]), (x[val.rows], y[val.rows])


def flatten_images(x, dtype="float32", scale: float | None = None) -> np.ndarray:
    """``(N, H, W[, C]) -> (N, H * W * C)`` in `dtype`, optionally multiplied by `scale` (e.g. 1/255)."""
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"flatten_images expects images of shape (N, H, W[, C]); got shape {x.shape}.")
    flat = x.reshape(x.shape[0], -1).astype(dtype)
    if scale is not None:
        flat *= scale
    return flat


class ImageAugmenter:
    """Random horizontal flips and small translations of image rows, for ``fit(augment=...)``.

    Works on flattened rows of images of `image_shape` ``(H, W, C)`` (channels last), in place on
    the batch `fit` gathers (never on your data). Draws from the model's generator, so runs
    are reproducible and resume exactly. Translated-in pixels are filled with `fill`.

    Parameters
    ----------
    flip : bool
        Mirror each image left-right with probability 1/2.
    max_shift : int
        Shift each image by ``dy, dx`` drawn uniformly from ``[-max_shift, max_shift]``.
    """

    def __init__(self, image_shape=(32, 32, 3), flip: bool = True, max_shift: int = 0, fill: float = 0.0):
        self.image_shape = tuple(image_shape)
        if len(self.image_shape) != 3:
            raise ValueError(f"image_shape must be (height, width, channels); got {image_shape!r}.")
        if max_shift < 0 or max_shift >= min(self.image_shape[:2]):
            raise ValueError(f"max_shift must be in [0, {min(self.image_shape[:2])}); got {max_shift!r}.")
        self.flip = bool(flip)
        self.max_shift = int(max_shift)
        self.fill = fill

    def __call__(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        images = batch.reshape(batch.shape[0], *self.image_shape)
        if self.flip:
            flipped = rng.random(batch.shape[0]) < 0.5
            images[flipped] = images[flipped, :, ::-1]
        if self.max_shift:
            shifts = rng.integers(-self.max_shift, self.max_shift + 1, size=(batch.shape[0], 2))
            for dy, dx in np.unique(shifts, axis=0):
                rows = np.flatnonzero((shifts[:, 0] == dy) & (shifts[:, 1] == dx))
                images[rows] = _shifted(images[rows], int(dy), int(dx), self.fill)
        return batch


def _shifted(images: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """Images moved down by dy and right by dx (negative: up/left), uncovered pixels = fill."""
    out = np.full_like(images, fill)
    h, w = images.shape[1:3]
    out[:, max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
        images[:, max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)]
    return out
