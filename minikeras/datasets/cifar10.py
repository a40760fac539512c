"""CIFAR-10 (Krizhevsky 2009) from its official "python version" files, unpickled safely."""
from __future__ import annotations

import io
import pathlib
import pickle
import tarfile
import zlib

import numpy as np

from ._files import DatasetFormatError, DatasetNotFoundError, data_home, fetch

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
ARCHIVE, FOLDER = "cifar-10-python.tar.gz", "cifar-10-batches-py"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
# The official files: each batch pickle is about 31 MB; the archive unpacks to about 178 MB.
MAX_BATCH_BYTES = 32 * 1024 * 1024
MAX_ARCHIVE_BYTES = 200 * 1024 * 1024
CLASS_NAMES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

# The only globals a CIFAR batch pickle needs: numpy's array and scalar reconstruction, and the
# bytes encoding Python 3 writes into protocol-2 pickles. `numpy.ndarray` may appear only as the
# class argument of `_reconstruct`: called itself it would allocate uninitialised memory.
_RECONSTRUCT = {(module, "_reconstruct") for module in ("numpy.core.multiarray", "numpy._core.multiarray")}
_CALLABLE = _RECONSTRUCT | {(module, "scalar") for module in ("numpy.core.multiarray", "numpy._core.multiarray")}
_CALLABLE |= {("numpy", "dtype"), ("_codecs", "encode")}
_ALLOWED_GLOBALS = _CALLABLE | {("numpy", "ndarray")}


class RestrictedUnpickler(pickle._Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers, and nothing else.

    Every global is looked up in an allowlist; REDUCE may call only the allowed functions, and
    `_reconstruct` only with the arguments numpy writes (``ndarray, (0,), b'b'``), so that no array
    is allocated but from the bytes the file holds (``__setstate__`` checks their size). The
    opcodes that build arbitrary objects (NEWOBJ, INST, OBJ) are refused. It is the pure-Python
    unpickler, whose dispatch table can be narrowed; CIFAR batches are a few large byte strings.
    """

    dispatch = dict(pickle._Unpickler.dispatch)

    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR batch only holds "
                                         f"arrays, lists, bytes and numbers")
        return super().find_class(module, name)

    def load_reduce(self):
        args = self.stack.pop()
        function = self.stack[-1]
        key = (getattr(function, "__module__", None), getattr(function, "__name__", None))
        if key not in _CALLABLE:
            raise pickle.UnpicklingError(f"refusing to call {key[0]}.{key[1]}: a CIFAR batch only rebuilds "
                                         f"arrays and scalars")
        if key in _RECONSTRUCT and (len(args) != 3 or args[0] is not np.ndarray or tuple(args[1]) != (0,)):
            raise pickle.UnpicklingError(f"refusing _reconstruct{args!r}: numpy writes _reconstruct(ndarray, (0,), "
                                         f"b'b') and the data after it")
        self.stack[-1] = function(*args)

    def _refuse(self):
        raise pickle.UnpicklingError("refusing an opcode that builds arbitrary objects: a CIFAR batch holds none")

    dispatch[pickle.REDUCE[0]] = load_reduce
    for _opcode in (pickle.NEWOBJ, pickle.NEWOBJ_EX, pickle.INST, pickle.OBJ):
        dispatch[_opcode[0]] = _refuse
    del _opcode


def unpickle_batch(raw: bytes, name: str) -> dict:
    """The dict of one batch file, loaded with `RestrictedUnpickler` and checked."""
    try:
        batch = RestrictedUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as error:  # noqa: BLE001 (the bytes are untrusted: any way the parser fails is a format error)
        reason = error if isinstance(error, pickle.UnpicklingError) else f"{type(error).__name__}: {error}"
        raise DatasetFormatError(f"{name} is not a valid CIFAR-10 batch: {reason}") from None
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
    if path is not None and pathlib.Path(path).is_file():
        return _read_archive(pathlib.Path(path), names)
    folder = pathlib.Path(path) if path is not None else data_home()
    if (folder / FOLDER).is_dir():
        return {name: _read_file(folder / FOLDER / name) for name in names}
    return _read_archive(fetch(ARCHIVE, folder, [URL], SHA256, download=path is None), names)


def _read_file(file: pathlib.Path) -> bytes:
    if not file.exists():
        raise DatasetNotFoundError(f"{file} is missing from the extracted CIFAR-10 folder.")
    return file.read_bytes()


def _read_archive(archive: pathlib.Path, names: list[str]) -> dict[str, bytes]:
    """One sequential pass over the tar.gz. Members are read into memory, never extracted to
    disk, so no path inside the archive is ever written."""
    wanted = {f"{FOLDER}/{name}": name for name in names}
    found = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                if member.offset_data + member.size > MAX_ARCHIVE_BYTES:
                    raise DatasetFormatError(f"{archive} unpacks to more than the official archive's "
                                             f"{MAX_ARCHIVE_BYTES:,} bytes (at {member.name!r}); refused.")
                if member.name in wanted and member.isfile():
                    if member.size > MAX_BATCH_BYTES:
                        raise DatasetFormatError(f"{archive}: {member.name} declares {member.size:,} bytes; a "
                                                 f"CIFAR-10 batch file has {MAX_BATCH_BYTES:,} at most.")
                    found[wanted[member.name]] = tar.extractfile(member).read()
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
