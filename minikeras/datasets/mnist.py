"""MNIST from its official IDX files (LeCun, Cortes & Burges)."""
from __future__ import annotations

import gzip
import math
import pathlib
import zlib

import numpy as np

from ..files import open_regular
from ._files import DatasetFormatError, data_home, fetch

MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/",
           "https://storage.googleapis.com/cvdf-datasets/mnist/"]
FILES = {
    "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049  # 0x0803: unsigned bytes, 3 dims; 0x0801: unsigned bytes, 1 dim
IMAGE_SHAPE = (28, 28)
MAX_SAMPLES = 60_000  # the training set's size: no official file holds more
MAX_GZIP_BYTES = 16 * 1024 * 1024  # the largest official file, train-images-idx3-ubyte.gz, has 9.9 MB


def load_data(path=None):
    """``((x_train, y_train), (x_test, y_test))``: uint8 images ``(N, 28, 28)``, uint8 labels ``(N,)``.

    `path` is the folder holding the four ``.gz`` files; by default ``$MINIKERAS_DATA/mnist``
    (else ``~/.minikeras/datasets/mnist``), where missing files are downloaded.
    """
    folder = pathlib.Path(path) if path is not None else data_home() / "mnist"
    files = {name: fetch(name, folder, [m + name for m in MIRRORS], sha, download=path is None)
             for name, sha in FILES.items()}
    train = _pair(files["train-images-idx3-ubyte.gz"], files["train-labels-idx1-ubyte.gz"])
    test = _pair(files["t10k-images-idx3-ubyte.gz"], files["t10k-labels-idx1-ubyte.gz"])
    return train, test


def _pair(images_path, labels_path):
    images = read_idx(images_path, IMAGE_MAGIC)
    labels = read_idx(labels_path, LABEL_MAGIC)
    if images.shape[0] != labels.shape[0]:
        raise DatasetFormatError(f"{images_path} holds {images.shape[0]} images but {labels_path} holds "
                                 f"{labels.shape[0]} labels.")
    if labels.size and labels.max() > 9:
        raise DatasetFormatError(f"{labels_path} holds label {labels.max()}; MNIST labels are 0..9.")
    return images, labels


def read_idx(path, magic: int) -> np.ndarray:
    """The array in a gzipped IDX file, checking its magic number and size.

    Decompression is streamed: the header is read first, its promised size checked against the
    largest official file, then exactly that many bytes are read (and one more, to see that the
    file ends there), so a small file that inflates to gigabytes is refused after at most 47 MB.
    """
    header_size = 4 + 4 * (magic & 0xFF)
    try:
        with open_regular(path, MAX_GZIP_BYTES, "an MNIST IDX .gz file", DatasetFormatError) as raw, \
                gzip.GzipFile(fileobj=raw) as f:
            header = f.read(header_size)
            body = f.read(_declared_size(header, magic, str(path)) + 1)
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetFormatError(f"{path} is not a readable gzip file (truncated or corrupt?): {error}") from None
    return parse_idx(header + body, magic, str(path))


def _declared_size(header: bytes, magic: int, name: str) -> int:
    """Bytes of data the header promises, refused above the official maximum (Python integers: no overflow)."""
    shape = _header_shape(header, magic, name)
    if magic == IMAGE_MAGIC and shape[1:] != IMAGE_SHAPE:
        raise DatasetFormatError(f"{name} holds images of {shape[1:]} pixels; MNIST's are 28x28.")
    size = math.prod(shape)
    if shape[0] > MAX_SAMPLES or size > MAX_SAMPLES * math.prod(IMAGE_SHAPE):
        raise DatasetFormatError(f"{name} declares shape {shape} ({size:,} bytes); MNIST files hold at most "
                                 f"{MAX_SAMPLES:,} samples of 28x28 bytes.")
    return size


def _header_shape(raw: bytes, magic: int, name: str) -> tuple[int, ...]:
    if len(raw) < 4:
        raise DatasetFormatError(f"{name} is too short to be an IDX file ({len(raw)} bytes).")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DatasetFormatError(f"{name} has magic number {found:#010x}; expected {magic:#010x}.")
    ndim = magic & 0xFF
    if len(raw) < 4 + 4 * ndim:
        raise DatasetFormatError(f"{name} ends inside its header ({len(raw)} bytes).")
    return tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))


def parse_idx(raw: bytes, magic: int, name: str = "IDX data") -> np.ndarray:
    """Parse IDX bytes: a big-endian int32 magic ``0x08 << 8 | ndim``, ndim int32 sizes, then uint8 data."""
    shape = _header_shape(raw, magic, name)
    header = 4 + 4 * len(shape)
    expected = header + math.prod(shape)
    if len(raw) != expected:
        raise DatasetFormatError(f"{name} declares shape {shape} ({expected} bytes) but has {len(raw)} bytes.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape).copy()
