"""Arrays read batch by batch: HDF5 datasets (h5py), memmaps of another dtype than the model's,
and other array-likes that are not in memory (``shape``, ``dtype`` and row indexing).

`fit`, `evaluate` and `predict` read such an array through a `RowReader`: the rows of each batch
only (shuffled batches with sorted indices, which HDF5 requires and disks prefer), converted to
the model's dtype then; the finiteness check reads it in chunks of a few megabytes. The whole
array is never in memory. (A memmap already of the model's dtype, or of integers the first layer
converts, is used as the array it is: numpy reads its rows itself.)
"""
from __future__ import annotations

import numpy as np

CHUNK_BYTES = 4 << 20  # the rows read at a time by `RowReader.check_finite`


def is_out_of_core(x, dtype, keep_integers: bool) -> bool:
    """Whether `x` is read through a `RowReader`: an array-like that is not a numpy array, or a
    memmap that would otherwise be converted (copied) whole."""
    if isinstance(x, np.memmap):
        return not (x.dtype == np.dtype(dtype) or (keep_integers and x.dtype.kind in "ui"))
    array_like = all(hasattr(x, name) for name in ("shape", "dtype", "__getitem__"))
    if isinstance(x, (np.ndarray, list, tuple)) or not array_like:
        return False
    try:  # a numpy dtype (h5py, zarr): another library's tensor is not read this way
        np.dtype(x.dtype)
    except TypeError:
        return False
    return True


class RowReader:
    """The rows of `source` on demand, as `dtype` (``shape``, ``ndim``, ``len``, slicing, `take`)."""

    def __init__(self, source, dtype):
        self.source = source
        self.dtype = np.dtype(dtype)
        self.shape = tuple(int(d) for d in source.shape)
        self.ndim = len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        """Rows `start:stop` (a slice), or at the positions of an integer array, as a new array."""
        if isinstance(index, slice):
            return np.asarray(self.source[index], dtype=self.dtype)
        return self.take(np.asarray(index))

    def take(self, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The rows at `index` (distinct positions), read in increasing order, into `out`."""
        order = np.argsort(index, kind="stable")
        rows = np.asarray(self.source[index[order]])
        if out is None:
            out = np.empty((len(index), *self.shape[1:]), dtype=self.dtype)
        out[order] = rows
        return out

    def check_finite(self, what: str) -> None:
        """ValueError naming the first non-finite entry (its row in the whole array), read in
        chunks of at most `CHUNK_BYTES`."""
        if self.dtype.kind != "f":
            return
        itemsize = max(self.dtype.itemsize, np.dtype(self.source.dtype).itemsize)
        step = max(1, CHUNK_BYTES // max(1, int(np.prod(self.shape[1:])) * itemsize))
        for start in range(0, len(self), step):
            chunk = self[start:start + step]
            bad = np.argwhere(~np.isfinite(chunk))
            if bad.size:
                row, *position = (int(i) for i in bad[0])
                raise ValueError(f"{what} holds {chunk[tuple(bad[0])]} at row {start + row}, position "
                                 f"{tuple(position) if len(position) > 1 else position[0]}: remove or replace NaN "
                                 f"and inf before training.")
