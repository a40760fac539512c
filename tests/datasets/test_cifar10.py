import io
import os
import pickle

import numpy as np
import pytest

from minikeras.datasets import DatasetFormatError, DatasetNotFoundError, cifar10
from minikeras.datasets._files import sha256_of
from tests.datasets.conftest import cifar_files, write_cifar_archive


def _expected_images(batch):
    return batch[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)


def test_reads_the_archive_in_channel_last_layout(tmp_path):
    files = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    (x_train, y_train), (x_test, y_test) = cifar10.load_data(tmp_path / "cifar-10-python.tar.gz")
    assert x_train.shape == (60, 32, 32, 3) and x_train.dtype == np.uint8 and y_train.shape == (60,)
    np.testing.assert_array_equal(x_train[:12], _expected_images(files["data_batch_1"]))
    np.testing.assert_array_equal(x_train[48:], _expected_images(files["data_batch_5"]))
    np.testing.assert_array_equal(y_test, files["test_batch"][b"labels"])
    # pixel (0, 0) of image 0: channel-major rows hold R at 0, G at 1024, B at 2048
    row = files["data_batch_1"][b"data"][0]
    np.testing.assert_array_equal(x_train[0, 0, 0], [row[0], row[1024], row[2048]])


def test_folder_with_archive_extracted_folder_and_env(tmp_path, monkeypatch):
    files = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    (x_a, _), _ = cifar10.load_data(tmp_path)
    extracted = tmp_path / "other" / "cifar-10-batches-py"
    extracted.mkdir(parents=True)
    for name, obj in files.items():
        (extracted / name).write_bytes(pickle.dumps(obj))
    (x_b, _), _ = cifar10.load_data(tmp_path / "other")
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path / "other"))
    (x_c, _), _ = cifar10.load_data()
    np.testing.assert_array_equal(x_a, x_b)
    np.testing.assert_array_equal(x_a, x_c)


def test_python3_protocol_2_pickles(tmp_path):
    files = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", protocol=2)
    x, _ = cifar10.load_batch("data_batch_1", tmp_path)
    np.testing.assert_array_equal(x, _expected_images(files["data_batch_1"]))


def test_load_batch(tmp_path):
    files = write_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    x, y = cifar10.load_batch("data_batch_2", tmp_path)
    np.testing.assert_array_equal(x, _expected_images(files["data_batch_2"]))


class Exploit:
    """Unpickling this would call os.system: the classic pickle attack."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_a_crafted_pickle_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "pwned"
    evil = pickle.dumps({b"data": Exploit(marker), b"labels": []})
    write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", payloads={"data_batch_1": evil})
    refused = r"data_batch_1 is not a valid CIFAR-10 batch: refusing to load (posix|os)\.system"
    with pytest.raises(DatasetFormatError, match=refused):
        cifar10.load_data(tmp_path)
    assert not marker.exists()


def test_other_globals_are_refused():
    raw = pickle.dumps({b"data": np.zeros((1, 3072), np.uint8), b"labels": [0], b"x": pickle.loads})
    with pytest.raises(DatasetFormatError, match="refusing to load _pickle.loads"):
        cifar10.unpickle_batch(raw, "b")


@pytest.mark.parametrize("change, message", [
    (lambda b: b.update({b"data": np.zeros((12, 100), np.uint8)}), r"uint8 array of shape \(N, 3072\)"),
    (lambda b: b.update({b"data": np.zeros((12, 3072), np.float32)}), r"uint8 array of shape \(N, 3072\)"),
    (lambda b: b.update({b"labels": [0] * 11}), "12 class ids in 0..9"),
    (lambda b: b.update({b"labels": [10] * 12}), "12 class ids in 0..9"),
    (lambda b: b.pop(b"data"), r"uint8 array of shape \(N, 3072\); got None"),
])
def test_wrong_contents(tmp_path, change, message):
    files = cifar_files()
    change(files["data_batch_3"])
    write_cifar_archive(tmp_path / "cifar-10-python.tar.gz", files)
    with pytest.raises(DatasetFormatError, match=f"data_batch_3: .*{message}"):
        cifar10.load_data(tmp_path)


def test_not_a_dict_and_garbage_pickles(tmp_path):
    write_cifar_archive(tmp_path / "a.tar.gz", payloads={"test_batch": pickle.dumps([1, 2])})
    with pytest.raises(DatasetFormatError, match="holds a list; expected a dict"):
        cifar10.load_data(tmp_path / "a.tar.gz")
    write_cifar_archive(tmp_path / "b.tar.gz", payloads={"test_batch": b"\x80\x04garbage"})
    with pytest.raises(DatasetFormatError, match="test_batch is not a valid CIFAR-10 batch"):
        cifar10.load_data(tmp_path / "b.tar.gz")


def test_truncated_archive_and_missing_member(tmp_path):
    path = tmp_path / "cifar-10-python.tar.gz"
    write_cifar_archive(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetFormatError, match="not a readable tar.gz"):
        cifar10.load_data(tmp_path)
    files = cifar_files()
    del files["data_batch_4"]
    write_cifar_archive(path, files)
    with pytest.raises(DatasetFormatError, match="no member cifar-10-batches-py/data_batch_4"):
        cifar10.load_data(tmp_path)


def test_download_and_offline_error(tmp_path, http_folder, monkeypatch):
    served, url = http_folder
    write_cifar_archive(served / "cifar-10-python.tar.gz")
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path / "home"))
    monkeypatch.setattr(cifar10, "URL", "http://127.0.0.1:9/cifar-10-python.tar.gz")
    with pytest.raises(DatasetNotFoundError, match=f"cifar-10-python.tar.gz is not in {tmp_path / 'home'}"):
        cifar10.load_data()
    monkeypatch.setattr(cifar10, "URL", url + "cifar-10-python.tar.gz")
    monkeypatch.setattr(cifar10, "SHA256", sha256_of(served / "cifar-10-python.tar.gz"))
    (x_train, _), _ = cifar10.load_data()
    assert x_train.shape == (60, 32, 32, 3)


class _CallsNdarray:
    def __reduce__(self):
        return np.ndarray, ((4, 3072), "u1")


class _HugeReconstruct:
    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct
        return _reconstruct, (np.ndarray, (700000, 3072), b"b")


@pytest.mark.parametrize("payload, message", [
    (_CallsNdarray(), "refusing to call numpy.ndarray"),
    (_HugeReconstruct(), r"refusing _reconstruct with arguments numpy never writes"),
])
def test_the_unpickler_allocates_nothing_it_is_told_to(payload, message):
    import pickle

    from minikeras.datasets import cifar10
    raw = pickle.dumps({b"data": payload, b"labels": [0] * 4}, protocol=2)
    with pytest.raises(cifar10.DatasetFormatError, match=message):
        cifar10.unpickle_batch(raw, "data_batch_1")


def test_nested_shared_label_lists_are_refused_at_once():
    import pickle

    from minikeras.datasets import cifar10
    shared = [0] * 100_000
    # 10^8 labels in a 3 MB pickle: refused by the list check, before any array is made of them.
    raw = pickle.dumps({b"data": np.zeros((1000, 3072), np.uint8), b"labels": [shared] * 1000}, protocol=2)
    assert len(raw) < 5_000_000
    with pytest.raises(cifar10.DatasetFormatError, match="must be a list of 1000 class ids"):
        cifar10._batch_arrays(raw, "data_batch_1")


class _Zeros(io.RawIOBase):
    """`size` zero bytes, made as they are read (a member far larger than the test's memory needs)."""

    def __init__(self, size):
        self.left = size

    def readable(self):
        return True

    def readinto(self, buffer):
        n = min(len(buffer), self.left)
        buffer[:n] = bytes(n)
        self.left -= n
        return n


def _bomb(path, name, size):
    import tarfile

    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
        info.size = size
        tar.addfile(info, io.BufferedReader(_Zeros(size)))


def test_a_batch_member_larger_than_the_official_one_is_refused_unread(tmp_path):
    from minikeras.datasets import cifar10
    _bomb(tmp_path / "c.tar.gz", "data_batch_1", 40 * 1024 * 1024)
    with pytest.raises(cifar10.DatasetFormatError, match=r"data_batch_1 declares 41,943,040 bytes"):
        cifar10.load_batch("data_batch_1", tmp_path / "c.tar.gz")


def test_an_archive_that_unpacks_beyond_the_official_size_is_refused(tmp_path):
    from minikeras.datasets import cifar10
    _bomb(tmp_path / "c.tar.gz", "readme.html", 250 * 1024 * 1024)
    assert (tmp_path / "c.tar.gz").stat().st_size < 2_000_000
    with pytest.raises(cifar10.DatasetFormatError, match="unpacks to more than the official archive"):
        cifar10.load_batch("data_batch_1", tmp_path / "c.tar.gz")
