"""What the fuzzer feeds: a valid file of each kind, and the loader each mutation goes through.

A loader may succeed or raise the project's own error class for that kind of file; anything
else (a traceback of another type, a hang, memory beyond the limit) is a bug.
"""
from __future__ import annotations

import gzip
import pathlib
import pickle
import tempfile

import numpy as np

import minikeras as mk
from minikeras import experiments
from minikeras.datasets import DatasetFormatError, cifar10, mnist

ALLOWED = {"model": (mk.ModelFileError,), "idx": (DatasetFormatError,), "cifar": (DatasetFormatError,),
           "toml": (experiments.ExperimentError,)}


def valid_model_bytes() -> bytes:
    model = mk.Sequential([mk.Input(shape=(5,)), mk.layers.Dense(4), mk.layers.BatchNormalization(),
                           mk.layers.Activation("relu"), mk.layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=mk.optimizers.Adam(mk.schedules.ExponentialDecay(0.01, 10, 0.9)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(np.ones((8, 5), "float32"), np.arange(8) % 3, verbose=0)
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "m.h5"
        model.save(path)
        return path.read_bytes()


def valid_idx_bytes() -> bytes:
    images = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    raw = mnist.IMAGE_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in images.shape)
    return gzip.compress(raw + images.tobytes())


def valid_cifar_bytes() -> bytes:
    data = np.arange(4 * 3072, dtype=np.uint8).reshape(4, 3072)
    return pickle.dumps({b"batch_label": b"fuzz", b"labels": [0, 1, 2, 3], b"data": data,
                         b"filenames": [b"a", b"b", b"c", b"d"]}, protocol=2)


VALID_TOML = """name = "fuzz"
seed = 1
[data]
dataset = "mnist_small"
validation = 0.2
[model]
hidden = [16, 8]
activation = "tanh"
l2 = 0.001
[compile]
optimizer = "sgd"
learning_rate = 0.05
[compile.schedule]
name = "cyclic"
eta_min = 0.001
eta_max = 0.1
step_size = 10
[fit]
batch_size = 20
epochs = 2
[search.space]
"model.l2" = { log_uniform = [1e-5, 1e-1] }
"""


def load(kind: str, data: bytes) -> None:
    """Put `data` where the loader of `kind` reads it, and load it."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "input"
        path.write_bytes(data)
        if kind == "model":
            mk.load_model(path)
        elif kind == "idx":
            mnist.read_idx(path, mnist.IMAGE_MAGIC)
        elif kind == "cifar":
            cifar10._batch_arrays(data, "data_batch_1")
        else:
            experiments.load_experiment(path)
