"""Readers of files from elsewhere open regular files of bounded size only: a FIFO, a device or a
sparse giant is refused at once, never waited on or read whole (each case runs in a child process
with a time limit, so a hang fails the test instead of stalling the suite)."""
import os
import subprocess
import sys

import pytest

from minikeras.files import open_regular
from tests.datasets.conftest import write_cifar_archive, write_mnist

LOADERS = {
    "mnist": "from minikeras.datasets import mnist; mnist.load_data({folder!r})",
    "cifar folder": "from minikeras.datasets import cifar10; cifar10.load_batch('data_batch_1', {folder!r})",
    "cifar archive": "from minikeras.datasets import cifar10; cifar10.load_data({archive!r})",
    "experiment": "from minikeras import experiments; experiments.load_experiment({toml!r})",
}


def _outcome(code: str) -> str:
    script = f"try:\n    {code}\nexcept (ValueError, FileNotFoundError) as error:\n    print('refused:', error)\n"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _layout(tmp_path, replace):
    """The four inputs, with the file each loader reads first replaced by `replace(path)`."""
    write_mnist(tmp_path / "mnist")
    write_cifar_archive(tmp_path / "cifar-10-python.tar.gz")
    (tmp_path / "cifar" / "cifar-10-batches-py").mkdir(parents=True)
    (tmp_path / "exp.toml").write_text('name = "x"\n')
    targets = {"mnist": tmp_path / "mnist" / "train-images-idx3-ubyte.gz",
               "cifar folder": tmp_path / "cifar" / "cifar-10-batches-py" / "data_batch_1",
               "cifar archive": tmp_path / "cifar-10-python.tar.gz", "experiment": tmp_path / "exp.toml"}
    for target in targets.values():
        if target.exists():
            target.unlink()
        replace(target)
    return targets


@pytest.mark.parametrize("loader", sorted(LOADERS))
@pytest.mark.parametrize("kind", ["fifo", "device", "sparse giant"])
def test_a_reader_refuses_what_is_not_a_regular_file_of_its_size(tmp_path, loader, kind):
    def replace(target):
        if kind == "fifo":
            os.mkfifo(target)
        elif kind == "device":
            os.symlink("/dev/zero", target)
        else:
            with open(target, "wb") as f:
                f.truncate(3 << 30)  # 3 GB of holes: nothing on disk, everything to read
    targets = _layout(tmp_path, replace)
    folder = {"mnist": tmp_path / "mnist", "cifar folder": tmp_path / "cifar"}.get(loader, tmp_path)
    code = LOADERS[loader].format(folder=str(folder), archive=str(targets["cifar archive"]),
                                  toml=str(targets["experiment"]))
    output = _outcome(code)
    expected = "is not a regular file" if kind != "sparse giant" else "bytes;"
    assert output.startswith("refused:") and expected in output, output


def test_open_regular_reads_a_regular_file_and_names_what_it_must_be(tmp_path):
    (tmp_path / "ok.bin").write_bytes(b"12345")
    with open_regular(tmp_path / "ok.bin", 5, "a test file") as f:
        assert f.read() == b"12345"
    with pytest.raises(ValueError, match=r"holds 5 bytes; a test file has at most 4"):
        open_regular(tmp_path / "ok.bin", 4, "a test file")
    with pytest.raises(ValueError, match="is not a regular file .*; a test file must be one"):
        open_regular(tmp_path, 4, "a test file")
    with pytest.raises(FileNotFoundError):
        open_regular(tmp_path / "missing", 4, "a test file")
