import gzip

import numpy as np
import pytest

from minikeras.datasets import DatasetFormatError, DatasetNotFoundError, mnist
from minikeras.datasets._files import sha256_of
from tests.datasets.conftest import idx_bytes, write_mnist


def test_reads_the_official_format(tmp_path):
    arrays = write_mnist(tmp_path)
    (x_train, y_train), (x_test, y_test) = mnist.load_data(tmp_path)
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(y_test, arrays["t10k-labels-idx1-ubyte.gz"])
    assert x_train.dtype == np.uint8 and x_train.shape == (30, 28, 28) and y_train.shape == (30,)


def test_default_folder_is_minikeras_data(tmp_path, monkeypatch):
    write_mnist(tmp_path / "mnist")
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path))
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (30, 28, 28)


@pytest.mark.parametrize("damage, message", [
    (lambda raw: (2052).to_bytes(4, "big") + raw[4:], "magic number 0x00000804; expected 0x00000803"),
    (lambda raw: raw[:-5], r"declares shape \(30, 28, 28\).*has 23531 bytes"),
    (lambda raw: raw[:10], "ends inside its header"),
    (lambda raw: raw[:2], "too short"),
])
def test_malformed_idx_is_refused(tmp_path, damage, message):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(damage(gzip.decompress(path.read_bytes()))))
    with pytest.raises(DatasetFormatError, match=message):
        mnist.load_data(tmp_path)


def test_truncated_gzip(tmp_path):
    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(DatasetFormatError, match="train-images-idx3-ubyte.gz is not a readable gzip"):
        mnist.load_data(tmp_path)


def test_label_count_and_range_checked(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(29, np.uint8))))
    with pytest.raises(DatasetFormatError, match="30 images but .* 29 labels"):
        mnist.load_data(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(np.full(30, 12, np.uint8))))
    with pytest.raises(DatasetFormatError, match="label 12"):
        mnist.load_data(tmp_path)


def test_missing_file_in_a_given_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError, match=f"train-images-idx3-ubyte.gz is not in {tmp_path}"):
        mnist.load_data(tmp_path)


def test_downloads_missing_files_with_checksums(tmp_path, http_folder, monkeypatch):
    served, url = http_folder
    arrays = write_mnist(served)
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/", url])  # first mirror is down
    monkeypatch.setattr(mnist, "FILES", {name: sha256_of(served / name) for name in mnist.FILES})
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path / "home"))
    (x_train, _), _ = mnist.load_data()
    np.testing.assert_array_equal(x_train, arrays["train-images-idx3-ubyte.gz"])
    assert sorted(p.name for p in (tmp_path / "home" / "mnist").iterdir()) == sorted(mnist.FILES)


def test_bad_checksum_keeps_nothing(tmp_path, http_folder, monkeypatch):
    served, url = http_folder
    write_mnist(served)
    monkeypatch.setattr(mnist, "MIRRORS", [url])
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path / "home"))
    with pytest.raises(DatasetNotFoundError, match="checksum mismatch"):
        mnist.load_data()
    assert list((tmp_path / "home" / "mnist").iterdir()) == []


def test_offline_error_names_the_places_looked_in(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/"])
    monkeypatch.setenv("MINIKERAS_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError) as error:
        mnist.load_data()
    message = str(error.value)
    assert str(tmp_path / "mnist") in message and "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert "MINIKERAS_DATA" in message


def _gz(path, raw: bytes):
    with gzip.open(path, "wb") as f:
        f.write(raw)
    return path


def _idx_header(magic, *dims):
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def test_a_header_whose_sizes_wrap_np_prod_is_refused(tmp_path):
    path = _gz(tmp_path / "x.gz", _idx_header(mnist.IMAGE_MAGIC, 2 ** 16, 2 ** 24, 2 ** 24))  # np.prod wraps to 0
    with pytest.raises(DatasetFormatError, match=r"\(16777216, 16777216\)"):
        mnist.read_idx(path, mnist.IMAGE_MAGIC)


def test_a_gzip_bomb_is_refused_after_the_promised_bytes(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb") as f:  # a valid header, then 400 MB of zeros (the official file has 47 MB)
        f.write(_idx_header(mnist.IMAGE_MAGIC, 60000, 28, 28))
        zeros = bytes(1 << 20)
        for _ in range(400):
            f.write(zeros)
    assert path.stat().st_size < 1_000_000
    with pytest.raises(DatasetFormatError, match=r"declares shape \(60000, 28, 28\) \(47040016 bytes\) but has "
                                                       r"47040017"):
        mnist.read_idx(path, mnist.IMAGE_MAGIC)


def test_images_must_be_28_by_28(tmp_path):
    images = _gz(tmp_path / "i.gz", _idx_header(mnist.IMAGE_MAGIC, 20, 7, 112) + bytes(20 * 7 * 112))
    labels = _gz(tmp_path / "l.gz", _idx_header(mnist.LABEL_MAGIC, 20) + bytes(np.zeros(20, np.uint8)))
    with pytest.raises(DatasetFormatError, match=r"images of \(7, 112\) pixels; MNIST's are 28x28"):
        mnist._pair(images, labels)
    with pytest.raises(DatasetFormatError, match="28x28"):
        mnist.read_idx(images, mnist.IMAGE_MAGIC)
