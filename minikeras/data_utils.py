"""Checking and arranging training data: inputs, per-sample weights, validation splits, batches."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .checks import check_finite
from .prefetch import prefetched
from .row_readers import RowReader, is_out_of_core
from .structures import first_array, rows
from .targets import class_ids

SPLIT_MODES = ("stratified", "random", "last")
READ_AHEAD = 3  # batches of data read from files prepared ahead while one trains
ASK_AHEAD = 4  # how many batches ahead of the one being read the disk is asked for rows


@dataclass
class Dataset:
    """Inputs (in the model dtype, or integers the first layer converts), prepared targets and
    optional per-sample loss weights; each a tuple of arrays for a model of several inputs or
    outputs.

    `rows` selects the samples this data set uses (None: all of them), so that a validation
    split never copies the inputs.
    """

    x: np.ndarray | tuple
    targets: np.ndarray | tuple | None  # (None: inputs alone, to predict)
    weights: np.ndarray | tuple | None = None
    rows: np.ndarray | None = None

    def __len__(self) -> int:
        return rows(self.x) if self.rows is None else self.rows.shape[0]

    def subset(self, index: np.ndarray) -> Dataset:
        """The samples at positions `index` of this data set (no copy of x)."""
        rows = index if self.rows is None else self.rows[index]
        return Dataset(self.x, self.targets, self.weights, rows)

    def sample_ids(self) -> np.ndarray:
        """Class ids of the samples in use (of the first output's targets)."""
        ids = class_ids(first_array(self.targets))
        return ids if self.rows is None else ids[self.rows]


class FitPosition(NamedTuple):
    """A point in a `fit` run: `epoch` under way (0-based), its first `batch` batches applied, and
    its sample `order` (None: data order). `BackupAndRestore` saves one and resumes from it."""

    epoch: int
    batch: int = 0
    order: np.ndarray | None = None


def check_inputs(x, input_shape: tuple[int, ...], dtype, what: str = "x", keep_integers: bool = False) -> Any:
    """`x` as an array of the model dtype with per-sample shape `input_shape`.

    An array already of the model dtype is used as it is (no copy), and so is an integer array
    when `keep_integers` (the first layer converts each batch); any other dtype is converted
    once, which copies it. An HDF5 dataset (or a memmap of another dtype) is read batch by batch
    instead (`minikeras.row_readers.RowReader`).
    """
    if isinstance(x, (list, tuple)):
        x = np.asarray(x)
    out_of_core = is_out_of_core(x, dtype, keep_integers)
    if not isinstance(x, np.ndarray) and not out_of_core:
        raise TypeError(f"{what} must be a numpy array (or an HDF5 dataset, a memmap); got {type(x).__name__}.")
    if np.dtype(x.dtype).kind not in "fiub":
        raise TypeError(f"{what} must hold numbers; got dtype {x.dtype}.")
    if len(x.shape) < 2 or tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(f"{what} must have shape (N, {', '.join(map(str, input_shape))}) for this model; "
                         f"got shape {x.shape}.")
    if x.shape[0] == 0:
        raise ValueError(f"{what} is empty: it has shape {x.shape}, with no samples.")
    if keep_integers and np.dtype(x.dtype).kind in "ui":
        return RowReader(x, x.dtype) if out_of_core else x
    return RowReader(x, dtype) if out_of_core else np.asarray(x, dtype=dtype)


def check_same_length(x: np.ndarray, other, what: str) -> None:
    if len(other) != x.shape[0]:
        raise ValueError(f"x has {x.shape[0]} samples but {what} has {len(other)}; they must match.")


def sample_weights(targets: np.ndarray, n_classes: int, sample_weight=None, class_weight=None, dtype="float64"):
    """Per-sample loss weights: ``sample_weight * class_weight[class]``, or None when both are None.
    Their total must be finite in the model's `dtype` (a weighted mean divides by it).

    `class_weight` is a dict ``{class_id: weight}`` (missing classes weigh 1) or ``"balanced"``:
    ``n_samples / (n_present_classes * count(class))``, as scikit-learn.
    """
    weights = None
    if sample_weight is not None:
        try:
            weights = np.asarray(sample_weight, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"sample_weight must be an array of numbers, one per sample; got "
                            f"{type(sample_weight).__name__}.") from None
        if weights.shape != (targets.shape[0],):
            raise ValueError(f"sample_weight must have shape ({targets.shape[0]},), one weight per sample; "
                             f"got shape {weights.shape}.")
        check_finite(weights, "sample_weight")
        if np.any(weights < 0):
            raise ValueError(f"sample_weight must hold values >= 0; got {weights.min()} at row "
                             f"{int(weights.argmin())}.")
    if class_weight is not None:
        ids = class_ids(targets)
        per_class = _class_weight_table(class_weight, ids, n_classes)
        weights = per_class[ids] if weights is None else weights * per_class[ids]
    if weights is not None:
        with np.errstate(over="ignore"):  # an overflow is what is looked for
            total = np.sum(weights.astype(dtype), dtype=dtype)
        if not np.isfinite(total):
            raise ValueError(f"The sample weights (sample_weight times class_weight) add up to {total}, beyond what "
                             f"{np.dtype(dtype).name} holds, so every weighted loss would be NaN; scale them down "
                             f"(only their ratios matter).")
    return weights


def _class_weight_table(class_weight, ids: np.ndarray, n_classes: int) -> np.ndarray:
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced'; got {class_weight!r}.")
        counts = np.bincount(ids, minlength=n_classes)
        table = np.ones(n_classes)
        present = counts > 0
        table[present] = ids.shape[0] / (present.sum() * counts[present])
        return table
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict {{class_id: weight}} or 'balanced'; "
                        f"got {type(class_weight).__name__}.")
    table = np.ones(n_classes)
    for key, value in class_weight.items():
        if not isinstance(key, (int, np.integer)) or not 0 <= key < n_classes:
            raise ValueError(f"class_weight keys must be class ids in [0, {n_classes}); got {key!r}.")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"class_weight values must be finite and >= 0; got {value!r} for class {key}.")
        table[key] = value
    return table


def split_validation(data: Dataset, fraction: float, mode: str, rng: np.random.Generator):
    """(train, validation) with about `fraction` of the samples held out.

    Modes: ``"stratified"`` (default) draws the fraction from each class at random, so every
    class appears in both parts; ``"random"`` draws samples at random regardless of class;
    ``"last"`` holds out the last samples as they come (what Keras does).
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0.0 < fraction < 1.0:
        raise ValueError(f"validation_split must be a fraction in (0, 1); got {fraction!r}.")
    if mode not in SPLIT_MODES:
        raise ValueError(f"Unknown validation_split_mode {mode!r}. Expected one of: {', '.join(SPLIT_MODES)}.")
    n = len(data)
    if mode == "stratified":
        held_out = _stratified_indices(data.sample_ids(), fraction, rng)
    else:
        n_val = n - int(n * (1.0 - fraction))
        held_out = rng.permutation(n)[:n_val] if mode == "random" else np.arange(n - n_val, n)
    if not 0 < held_out.size < n:
        raise ValueError(f"validation_split={fraction} of {n} samples leaves an empty training or "
                         f"validation set.")
    is_val = np.zeros(n, dtype=bool)
    is_val[held_out] = True
    return data.subset(np.flatnonzero(~is_val)), data.subset(np.flatnonzero(is_val))


def _stratified_indices(ids: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    picked = []
    for label in np.unique(ids):
        members = np.flatnonzero(ids == label)
        count = int(round(fraction * members.size))
        picked.append(rng.permutation(members)[:count])
    return np.sort(np.concatenate(picked))


class BatchGatherer:
    """Yields ``(x_batch, targets_batch, weights_batch)`` for each mini-batch of an epoch.

    Shuffled batches (or those of a subset) are gathered into preallocated buffers with
    ``np.take(..., out=)``; batches of a whole data set in order are views of it. Yielded
    arrays are overwritten by a later batch. The batches of data read from files (a memmap, an
    HDF5 dataset) are read `READ_AHEAD` ahead by a background thread (`prefetch.prefetched`),
    each into its own buffers of a ring; their disk is asked for rows `ASK_AHEAD` batches ahead of
    the one being read (`RowReader.read_soon`).
    """

    streamed = False  # (`data_streams.StreamBatches` is the streamed kind)

    def __init__(self, data: Dataset, batch_size: int):
        self.data = data
        self.batch_size = batch_size
        self.reads_files = any(isinstance(array, RowReader) for array in _arrays((data.x, data.targets, data.weights)))
        # The consumer's batch, one being gathered and those queued must not share buffers (each
        # set is allocated at its first use: batches that are views need none).
        self._ring: list[list] = [[] for _ in range(READ_AHEAD + 2 if self.reads_files else 1)]
        self._turn = 0

    def __len__(self) -> int:
        return -(-len(self.data) // self.batch_size)

    def batches(self, order: np.ndarray | None = None, first: int = 0):
        """Batches in `order` (a permutation of ``range(len(data))``), or in data order if None,
        from batch number `first` on."""
        batches = self._batches(order, first)
        return prefetched(batches, READ_AHEAD, "x") if self.reads_files else batches

    def _batches(self, order, first: int):
        data = self.data
        rows = data.rows if order is None else (order if data.rows is None else data.rows[order])
        for start in range(first * self.batch_size, len(data), self.batch_size):
            stop = min(start + self.batch_size, len(data))
            if self.reads_files:
                self._read_soon(rows, start + ASK_AHEAD * self.batch_size)
            if rows is None:
                yield _part(data.x, start, stop), _part(data.targets, start, stop), _part(data.weights, start, stop)
            else:
                yield self._gather(rows[start:stop])

    def _read_soon(self, rows, start: int) -> None:
        """Let the readers of files ask the disk for the rows of the batch at `start` now."""
        if start < len(self.data):
            index = slice(start, min(start + self.batch_size, len(self.data)))
            for array in _arrays((self.data.x, self.data.targets, self.data.weights)):
                if isinstance(array, RowReader):
                    array.read_soon(index if rows is None else rows[index])

    def _gather(self, index: np.ndarray):
        data, size = self.data, index.shape[0]
        fields = (data.x, data.targets, data.weights)
        buffers = self._ring[self._turn]
        self._turn = (self._turn + 1) % len(self._ring)
        if not buffers:
            n = min(self.batch_size, len(data))
            buffers.extend(_each(field, lambda array: np.empty((n, *array.shape[1:]), dtype=array.dtype))
                           for field in fields)
        # mode="clip" skips take's bounds-checking copy; the indices are valid by construction.
        return tuple(_take(field, index, buffer, size) for field, buffer in zip(fields, buffers))


def _arrays(fields):
    """The arrays of `fields` (each an array, a tuple of arrays, or None)."""
    for field in fields:
        yield from (field if isinstance(field, tuple) else (field,))


def _each(field, function):
    """`function` of an array, of each array of a tuple (None stays None)."""
    if isinstance(field, tuple):
        return tuple(None if array is None else function(array) for array in field)
    return None if field is None else function(field)


def _take(field, index: np.ndarray, buffer, size: int):
    if isinstance(field, tuple):
        return tuple(_take(array, index, out, size) for array, out in zip(field, buffer))
    if isinstance(field, RowReader):
        return field.take(index, out=buffer[:size])
    return None if field is None else np.take(field, index, axis=0, out=buffer[:size], mode="clip")


def _part(field, start: int, stop: int):
    if isinstance(field, tuple):
        return tuple(_part(array, start, stop) for array in field)
    return None if field is None else field[start:stop]
