"""Arrays read batch by batch: memmaps, HDF5 datasets (h5py) and other array-likes that are not
in memory (``shape``, ``dtype`` and row indexing).

`fit`, `evaluate` and `predict` read such an array through a `RowReader`: the rows of each batch
only (shuffled batches with sorted indices, which HDF5 requires and disks prefer), converted to
the model's dtype then (integers a first `Rescaling` converts stay integers). The whole array is
never in memory, nor read for anything but the batches: `fit` and `evaluate` check each batch for
NaN and inf as it is read (a pass of its own would read a file larger than memory twice).

A memmap's rows are read from its file (`FileRows`, ``os.preadv`` straight into the batch), not
through its mapping: the pages a mapping touches count in the process's resident memory, so an
epoch over a large file would hold all of it. (A memmap whose rows are not contiguous in its file
is read through the mapping, whose pages are released every `RELEASE_BYTES`.) Once its reads wait
on the disk, the rows of the next batches are asked of the kernel ahead (`RowReader.read_soon`,
``posix_fadvise(WILLNEED)``), so that the disk serves many at once instead of one after another.
"""
from __future__ import annotations

import errno
import mmap
import os
import weakref

import numpy as np

from .checks import check_finite

RELEASE_BYTES = 64 << 20  # how much of a memmap is read between two releases of its pages


def is_out_of_core(x, dtype, keep_integers: bool) -> bool:
    """Whether `x` is read through a `RowReader`: a memmap, or an array-like with a numpy dtype
    that is not a numpy array (an HDF5 dataset)."""
    if isinstance(x, np.memmap):
        return True
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
        self._file = FileRows.of(source)
        self._mapping = None if self._file else _mapping(source)
        self._unreleased = 0
        self._checked_as: str | None = None

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index):
        """Rows `start:stop` (a slice), or at the positions of an integer array, as a new array."""
        if not isinstance(index, slice):
            return self.take(np.asarray(index))
        start, stop, step = index.indices(len(self))
        if step != 1:
            return self.take(np.arange(start, stop, step))
        if self._file is None:
            rows = self._converted(self.source[start:max(start, stop)])
        else:
            rows = self._file.read_range(start, max(start, stop))
            rows = rows if rows.dtype == self.dtype else rows.astype(self.dtype)
        return self._checked(rows, start)

    def take(self, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """The rows at `index` (distinct positions), read in increasing order, into `out`."""
        if out is None:
            out = np.empty((len(index), *self.shape[1:]), dtype=self.dtype)
        if self._file is None:
            order = np.argsort(index, kind="stable")
            out[order] = self._converted(self.source[index[order]])
        elif self._file.dtype == self.dtype:
            self._file.read(index, out)
        else:
            out[...] = self._file.read(index, np.empty(out.shape, dtype=self._file.dtype))
        return self._checked(out, index)

    def _converted(self, rows) -> np.ndarray:
        """`rows` read from the source, as `dtype`; a memmap's pages are released from resident
        memory once `RELEASE_BYTES` were read through its mapping."""
        rows = np.asarray(rows, dtype=self.dtype)
        self._unreleased += rows.nbytes
        if self._mapping is not None and self._unreleased >= RELEASE_BYTES:
            self._mapping.madvise(mmap.MADV_DONTNEED)
            self._unreleased = 0
        return rows

    def read_soon(self, index: slice | np.ndarray) -> None:
        """Rows a coming batch will read (a slice of rows in order, or their positions): asked of
        the kernel now, once reads of this file were seen waiting on the disk (else nothing)."""
        if self._file is not None and self._file.waits_on_disk:
            self._file.advise(slice(*index.indices(len(self))[:2]) if isinstance(index, slice) else np.sort(index))

    def check_as_read(self, what: str) -> None:
        """From now on, every read raises `NonFiniteError` naming its first non-finite entry and
        its row in the whole array (`what` names the array)."""
        self._checked_as = what

    def _checked(self, rows: np.ndarray, numbers) -> np.ndarray:
        """`rows` (numbered in the whole by `numbers`, see `check_finite`), checked if asked."""
        if self._checked_as is not None:
            check_finite(rows, self._checked_as, numbers)
        return rows


def _mapping(source):
    """The `mmap` behind a memmap, when the platform can release its pages (else None)."""
    mapping = getattr(source, "_mmap", None) if isinstance(source, np.memmap) else None
    return mapping if mapping is not None and hasattr(mapping, "madvise") and hasattr(mmap, "MADV_DONTNEED") else None


class FileRows:
    """The rows of a memmap read from its file with ``os.preadv`` (each straight into its place in
    the batch, in increasing file order), when every row is contiguous in the file."""

    def __init__(self, path, start: int, stride: int, dtype, shape: tuple):
        self.dtype, self._start, self._stride, self._shape = np.dtype(dtype), start, stride, shape
        self._row_bytes = self.dtype.itemsize * int(np.prod(shape[1:]))
        self.waits_on_disk = False  # whether a read found bytes outside the kernel's page cache
        self._no_wait = getattr(os, "RWF_NOWAIT", 0)  # the flag of reads that must not wait (0: none)
        self._fd = os.open(path, os.O_RDONLY)
        weakref.finalize(self, os.close, self._fd)

    @classmethod
    def of(cls, memmap) -> FileRows | None:
        """Rows of `memmap` (or of a row slice of one) read from its file, or None when its rows
        are not contiguous there or the platform has no ``preadv``. ValueError when the file is
        shorter than the memmap (truncated after mapping: reading the mapping would crash)."""
        mapping = getattr(memmap, "_mmap", None)
        if not (isinstance(memmap, np.memmap) and memmap.ndim and memmap.size and mapping is not None
                and hasattr(os, "preadv") and memmap.filename and memmap.strides[0] > 0
                and memmap[:1].flags.c_contiguous):
            return None
        # The mapping starts at the allocation boundary below the memmap's offset in its file.
        mapped_from = memmap.offset - memmap.offset % mmap.ALLOCATIONGRANULARITY
        start = mapped_from + memmap.ctypes.data - np.frombuffer(mapping, np.uint8).ctypes.data
        try:
            rows = cls(memmap.filename, start, memmap.strides[0], memmap.dtype, memmap.shape)
            size = os.fstat(rows._fd).st_size
        except OSError:
            return None
        end = start + (len(memmap) - 1) * memmap.strides[0] + memmap[:1].nbytes
        if size < end:
            raise ValueError(f"The file behind the memmap, {memmap.filename}, holds {size} bytes; its {len(memmap)} "
                             f"rows need {end}: it was truncated after being mapped.")
        first = rows.read(np.zeros(1, dtype=np.intp), np.empty((1, *memmap.shape[1:]), dtype=memmap.dtype))
        # Checked on the first row: the file is the one mapped, and the reads land where they should.
        return rows if first.tobytes() == np.ascontiguousarray(memmap[:1]).tobytes() else None

    def read(self, index: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Rows `index` into `out` (C-contiguous, of `dtype`)."""
        if len(index) and not (0 <= index.min() and index.max() < self._shape[0]):
            raise IndexError(f"rows {index.min()} to {index.max()} are out of range for a memmap of "
                             f"{self._shape[0]} rows")
        order = np.argsort(index, kind="stable")
        self._read(out, self._offsets(index[order]), (order * self._row_bytes).tolist(), self._row_bytes)
        return out

    def read_range(self, start: int, stop: int) -> np.ndarray:
        """Rows `start:stop` (within range) as a new array: one read when they follow each other."""
        out = np.empty((stop - start, *self._shape[1:]), dtype=self.dtype)
        if self._stride != self._row_bytes:  # rows with gaps between them
            return self.read(np.arange(start, stop), out)
        self._read(out, [self._start + start * self._stride], [0], out.nbytes)
        return out

    def advise(self, index: np.ndarray | slice) -> None:
        """Ask the kernel to start reading rows `index` (increasing positions: a call each; or a
        slice `start:stop` of rows that follow each other in the file: one call) from the disk
        (``posix_fadvise(WILLNEED)`` returns at once; a row already cached costs a lookup)."""
        if not hasattr(os, "posix_fadvise"):
            return
        if isinstance(index, slice) and self._stride == self._row_bytes:
            extent = [(self._start + index.start * self._stride, (index.stop - index.start) * self._stride)]
        else:
            index = np.arange(index.start, index.stop) if isinstance(index, slice) else index
            extent = [(offset, self._row_bytes) for offset in self._offsets(index)]
        for offset, size in extent:
            os.posix_fadvise(self._fd, offset, size, os.POSIX_FADV_WILLNEED)

    def _offsets(self, index: np.ndarray) -> list:
        return (self._start + index.astype(np.int64) * self._stride).tolist()

    def _read(self, out: np.ndarray, offsets: list, destinations: list, size: int) -> None:
        """`read_rows` into `out`. Until one is seen waiting on the disk, the reads are tried without
        waiting first (``RWF_NOWAIT``, Linux), which fails when a byte is not in the page cache."""
        buffer = out.reshape(-1).view(np.uint8).data
        if self.waits_on_disk or not self._no_wait:
            return read_rows(self._fd, buffer, offsets, destinations, size)
        try:
            read_rows(self._fd, buffer, offsets, destinations, size, self._no_wait)
        except BlockingIOError:
            self.waits_on_disk = True
            read_rows(self._fd, buffer, offsets, destinations, size)
        except OSError as error:
            if error.errno not in (errno.EOPNOTSUPP, errno.EINVAL):  # else: a file system without it
                raise
            self._no_wait = 0
            read_rows(self._fd, buffer, offsets, destinations, size)


def read_rows(fd: int, buffer: memoryview, offsets, destinations, row_bytes: int, flags: int = 0) -> None:
    """Copy `row_bytes` at each of the file `offsets` to the same position of `destinations` in
    `buffer` (a read may return less than asked: read on; none past the end of the file)."""
    for offset, destination in zip(offsets, destinations):
        done = 0
        while done < row_bytes:
            got = os.preadv(fd, [buffer[destination + done:destination + row_bytes]], offset + done, flags)
            if got == 0:
                raise OSError(f"The file behind the memmap ends before byte {offset + row_bytes}: it was truncated "
                              f"after being mapped.")
            done += got
