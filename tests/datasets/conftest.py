"""Small files in the official MNIST and CIFAR-10 formats, and a local HTTP server for downloads."""
import functools
import gzip
import http.server
import io
import pickle
import tarfile
import threading

import numpy as np
import pytest


def idx_bytes(array: np.ndarray) -> bytes:
    """IDX encoding: magic 0x0000080N (unsigned bytes, N dims), N big-endian sizes, then the data."""
    header = (0x0800 | array.ndim).to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_mnist(folder, n_train=30, n_test=10, seed=0):
    rng = np.random.default_rng(seed)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train).astype(np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test).astype(np.uint8),
    }
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        (folder / name).write_bytes(gzip.compress(idx_bytes(array)))
    return arrays


def cifar_batch(n, seed, label="batch"):
    rng = np.random.default_rng(seed)
    return {b"batch_label": label.encode(), b"labels": rng.integers(0, 10, n).tolist(),
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"filenames": [f"img_{i}.png".encode() for i in range(n)]}


def cifar_files(n=12):
    files = {f"data_batch_{i}": cifar_batch(n, i) for i in range(1, 6)}
    files["test_batch"] = cifar_batch(n, 9)
    files["batches.meta"] = {b"label_names": [b"airplane"] * 10, b"num_cases_per_batch": n, b"num_vis": 3072}
    return files


def write_cifar_archive(path, files=None, payloads=None, protocol=4):
    """A tar.gz laid out like the official one; `payloads` overrides raw member bytes."""
    files = cifar_files() if files is None else files
    raw = {name: pickle.dumps(obj, protocol=protocol) for name, obj in files.items()}
    raw.update(payloads or {})
    with tarfile.open(path, "w:gz") as tar:
        for name, data in raw.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return files


@pytest.fixture
def http_folder(tmp_path):
    """(folder, base_url): files put in folder are served at base_url by a local server."""
    folder = tmp_path / "served"
    folder.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
