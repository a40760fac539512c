"""What the fuzzer feeds: a valid file of each kind, and the loader each mutation goes through.

A loader may succeed or raise the project's own error class for that kind of file; anything
else (a traceback of another type, a hang, memory beyond the limit) is a bug.
"""
from __future__ import annotations

import gzip
import io
import pathlib
import pickle
import tempfile
import zipfile

import numpy as np

import minikeras as mk
from minikeras import experiments
from minikeras.datasets import DatasetFormatError, cifar10, mnist

ALLOWED = {"model": (mk.ModelFileError,), "graph": (mk.ModelFileError,), "keras_graph": (mk.ModelFileError,),
           "idx": (DatasetFormatError,), "cifar": (DatasetFormatError,), "toml": (experiments.ExperimentError,)}


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


def _graph_model():
    """Two inputs, a shared layer, merge layers and two outputs."""
    left, right = mk.Input(shape=(4,), name="left"), mk.Input(shape=(3,), name="right")
    shared = mk.layers.Dense(4, activation="tanh", name="shared")
    h = mk.layers.Add()([shared(left), shared(mk.layers.Dense(4)(right))])
    h = mk.layers.Concatenate()([h, mk.layers.BatchNormalization()(right)])
    model = mk.Model([left, right], [mk.layers.Dense(2, activation="softmax", name="a")(h),
                                     mk.layers.Dense(1, name="b")(mk.layers.Dot(axes=1)([h, h]))], seed=0)
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"], metrics=[["accuracy"], []])
    model.fit([np.ones((8, 4), "float32"), np.ones((8, 3), "float32")], [np.arange(8) % 2, np.ones((8, 1))],
              verbose=0)
    return model


def _saved(model, name: str) -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / name
        model.save(path)
        return path.read_bytes()


def valid_graph_bytes() -> bytes:
    """minikeras' HDF5 file of a functional model."""
    return _saved(_graph_model(), "graph.h5")


def valid_keras_graph_parts() -> tuple[bytes, dict[str, bytes]]:
    """The config.json of a functional model's .keras file (what the fuzzer mutates) and its members."""
    with zipfile.ZipFile(io.BytesIO(_saved(_graph_model(), "graph.keras"))) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    return members["config.json"], members


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


KERAS_GRAPH_CONFIG, KERAS_GRAPH_MEMBERS = valid_keras_graph_parts()


def load(kind: str, data: bytes) -> None:
    """Put `data` where the loader of `kind` reads it, and load it."""
    with tempfile.TemporaryDirectory() as folder:
        path = pathlib.Path(folder) / "input"
        path.write_bytes(data)
        if kind in ("model", "graph"):
            mk.load_model(path)
        elif kind == "keras_graph":
            with zipfile.ZipFile(path, "w") as archive:
                for name, member in KERAS_GRAPH_MEMBERS.items():
                    archive.writestr(name, data if name == "config.json" else member)
            mk.load_model(path)
        elif kind == "idx":
            mnist.read_idx(path, mnist.IMAGE_MAGIC)
        elif kind == "cifar":
            cifar10._batch_arrays(data, "data_batch_1")
        else:
            experiments.load_experiment(path)
