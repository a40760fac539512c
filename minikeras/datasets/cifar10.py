"""CIFAR-10 (Krizhevsky 2009) from its official "python version" files, unpickled safely."""
from __future__ import annotations

import pathlib
import tarfile
import zlib

import numpy as np

from ..files import open_regular
from . import batch_pickle
from ._files import DatasetFormatError, DatasetNotFoundError, data_home, fetch

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
ARCHIVE, FOLDER = "cifar-10-python.tar.gz", "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
# The official files: each batch pickle is about 31 MB; the archive unpacks to about 178 MB.
MAX_BATCH_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

def unpickle_batch(raw: bytes, name: str) -> dict:
    """The dict of one batch file, read by `batch_pickle.load` (which constructs nothing) and checked."""
    try:
        batch = batch_pickle.load(raw)
    except batch_pickle.BatchPickleError as error:
        raise DatasetFormatError(f"{name} is not a valid CIFAR-10 batch: {error}") from None
    if not isinstance(batch, dict):
        raise DatasetFormatError(f"{name} holds a {type(batch).__name__}; expected a dict.")
    return batch


def load_data(path=None):
    """``((x_train, y_train), (x_test, y_test))``: uint8 ``(N, 32, 32, 3)`` images, uint8 labels ``(N,)``.

    `path` is a folder holding ``cifar-10-python.tar.gz`` or ``cifar-10-batches-py/``, or the
    tar.gz itself; by default ``$MINIKERAS_DATA`` (else ``~/.minikeras/datasets``), where the
    archive is downloaded if neither is there. Train: data_batch_1..5 in order; test: test_batch.
    """
    raw = _read_batches(path, [*TRAIN_BATCHES, "test_batch"])
    train = [_batch_arrays(raw[name], name) for name in TRAIN_BATCHES]
    x_train = np.concatenate([x for x, _ in train])
    y_train = np.concatenate([y for _, y in train])
    return (x_train, y_train), _batch_arrays(raw["test_batch"], "test_batch")


def load_batch(name: str, path=None):
    """``(x, y)`` of one batch file, e.g. ``"data_batch_1"`` (the DD2424 assignments' splits)."""
    return _batch_arrays(_read_batches(path, [name])[name], name)


def _read_batches(path, names: list[str]) -> dict[str, bytes]:
    """Raw bytes of the named batch files, from the extracted folder or the archive."""
    if path is not None and pathlib.Path(path).exists() and not pathlib.Path(path).is_dir():
        return _read_archive(pathlib.Path(path), names)  # checked to be a regular file when opened
    folder = pathlib.Path(path) if path is not None else data_home()
    if (folder / FOLDER).is_dir():
        return {name: _read_file(folder / FOLDER / name) for name in names}
    return _read_archive(fetch(ARCHIVE, folder, [URL], SHA256, download=path is None), names)


def _read_file(file: pathlib.Path) -> bytes:
    if not file.exists():
        raise DatasetNotFoundError(f"{file} is missing from the extracted CIFAR-10 folder.")
    with open_regular(file, MAX_BATCH_BYTES, "a CIFAR-10 batch file", DatasetFormatError) as f:
        return f.read()


def _read_archive(archive: pathlib.Path, names: list[str]) -> dict[str, bytes]:
    """One sequential pass over the tar.gz. Members are read into memory, never extracted to
    disk, so no path inside the archive is ever written."""
    wanted = {f"{FOLDER}/{name}": name for name in names}
    found = {}
    try:
        with open_regular(archive, MAX_ARCHIVE_BYTES, "the CIFAR-10 archive", DatasetFormatError) as raw, \
                tarfile.open(fileobj=raw, mode="r:gz") as tar:
            for member in tar:
                if member.offset_data + member.size > MAX_ARCHIVE_BYTES:
                    raise DatasetFormatError(f"{archive} unpacks to more than the official archive's "
                                             f"{MAX_ARCHIVE_BYTES:,} bytes (at {member.name!r}); refused.")
                if member.name in wanted and member.isfile():
                    if member.size > MAX_BATCH_BYTES:
                        raise DatasetFormatError(f"{archive}: {member.name} declares {member.size:,} bytes; a "
                                                 f"CIFAR-10 batch file has {MAX_BATCH_BYTES:,} at most.")
                    contents = tar.extractfile(member)
                    if contents is not None:
                        found[wanted[member.name]] = contents.read()
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise DatasetFormatError(f"{archive} is not a readable tar.gz (truncated or corrupt?): {error}") from None
    missing = [name for name in names if name not in found]
    if missing:
        raise DatasetFormatError(f"{archive} has no member {FOLDER}/{missing[0]}.")
    return found


def _batch_arrays(raw: bytes, name: str):
    batch = unpickle_batch(raw, name)
    data, labels = batch.get(b"data"), batch.get(b"labels")
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise DatasetFormatError(f"{name}: b'data' must be a uint8 array of shape (N, 3072); got {shape}.")
    # Checked as a plain list first: a list of shared sub-lists would otherwise become a huge array.
    if not isinstance(labels, list) or len(labels) != data.shape[0] or \
            not all(type(label) is int and 0 <= label <= 9 for label in labels):
        raise DatasetFormatError(f"{name}: b'labels' must be a list of {data.shape[0]} class ids in 0..9.")
    labels = np.asarray(labels)
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # channel-major rows -> (N, H, W, C)
    return np.ascontiguousarray(images), labels.astype(np.uint8)
