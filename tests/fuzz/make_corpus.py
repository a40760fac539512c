"""Write the regression corpus of hostile files: ``python -m tests.fuzz.make_corpus``.

Each file is one of the attacks of the hardening issue, kept small; tests/fuzz/test_corpus.py
checks that every one is refused with the project's own error. Large attacks (a 2 GiB declared
array filled, a 4 GB gzip bomb) are made inside their tests instead.
"""
from __future__ import annotations

import gzip
import pathlib
import pickle

import h5py
import numpy as np

from minikeras.datasets import mnist
from tests.fuzz import targets

CORPUS = pathlib.Path(__file__).resolve().parent / "corpus"


def _model(name: str, edit) -> None:
    path = CORPUS / f"{name}.h5"
    path.write_bytes(targets.valid_model_bytes())
    with h5py.File(path, "a") as f:
        edit(f)


def _replace(name: str, make):
    def edit(f):
        del f[name]
        make(f, name)
    return edit


def _idx(name: str, dims: tuple, body: bytes = b"") -> None:
    header = mnist.IMAGE_MAGIC.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    (CORPUS / f"{name}.idx.gz").write_bytes(gzip.compress(header + body))


class _Call:
    def __init__(self, function, args):
        self.function, self.args = function, args

    def __reduce__(self):
        return self.function, self.args


def _cifar(name: str, data, labels) -> None:
    (CORPUS / f"{name}.cifar.pkl").write_bytes(pickle.dumps({b"data": data, b"labels": labels}, protocol=2))


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    kernel = "weights/dense/kernel"
    _model("external_storage_etc_passwd",
           _replace(kernel, lambda f, n: f.create_dataset(n, shape=(5, 4), dtype="f4",
                                                          external=[("/etc/passwd", 0, 80)])))
    _model("external_link", _replace(kernel, lambda f, n: f.__setitem__(n, h5py.ExternalLink("/etc/passwd.h5", "/x"))))
    _model("soft_link_loop", _replace("weights", lambda f, n: f.__setitem__(n, h5py.SoftLink("/weights"))))
    _model("weights_is_a_dataset", _replace("weights", lambda f, n: f.create_dataset(n, data=np.zeros(3))))
    _model("declared_2gib_kernel", _replace(kernel, lambda f, n: f.create_dataset(n, shape=(1 << 19, 1 << 10),
                                                                                dtype="f4", chunks=(1024, 1024))))
    _model("format_is_an_array", lambda f: f.attrs.__setitem__("format", np.array([b"minikeras", b"x"])))
    _model("epoch_1e400", lambda f: f.attrs.__setitem__("training_state", '{"epoch": 1e400, "split_seed": 1}'))
    _model("negative_iterations", lambda f: f["optimizer"].attrs.__setitem__("iterations", -1))
    _model("config_nested_20000_deep", lambda f: f.attrs.__setitem__("model_config", "[" * 20000 + "]" * 20000))
    _idx("dims_wrap_np_prod", (2 ** 16, 2 ** 24, 2 ** 24))
    _idx("images_20x7x112", (20, 7, 112), bytes(20 * 7 * 112))
    _idx("more_bytes_than_promised", (2, 28, 28), bytes(2 * 28 * 28 + 5000))
    _cifar("calls_ndarray", _Call(np.ndarray, ((4, 3072), "u1")), [0] * 4)
    from numpy._core.multiarray import _reconstruct
    _cifar("huge_reconstruct", _Call(_reconstruct, (np.ndarray, (700000, 3072), b"b")), [0] * 4)
    import os
    _cifar("runs_os_system", _Call(os.system, ("touch /tmp/minikeras-pwned",)), [0] * 4)
    shared = [0] * 1000
    _cifar("shared_label_lists", np.zeros((10, 3072), np.uint8), [shared] * 10)
    for name, text in {"name_escapes_runs": 'name = "../../../escaped"\n', "name_absolute": 'name = "/tmp/x"\n',
                       "batch_size_0": "[fit]\nbatch_size = 0\n", "hidden_10e12": "[model]\nhidden = [1000000000000]\n",
                       "learning_rate_inf": "[compile]\nlearning_rate = inf\n",
                       "arrays_nested_5000_deep": "x = " + "[" * 5000 + "]" * 5000 + "\n"}.items():
        (CORPUS / f"{name}.toml").write_text(text)
    (CORPUS / "not_utf8.toml").write_bytes(b"\x80name = 'x'\n")


if __name__ == "__main__":
    main()
