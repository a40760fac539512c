"""Every ```python block of the README and of docs/ runs, page by page, on small data.

The data are small files in the official formats (tests/datasets/conftest.py) placed under
$MINIKERAS_DATA, so the tutorials go through the real loaders.
"""
import pathlib
import re

import pytest

from tests.datasets.conftest import cifar_files, write_cifar_archive, write_mnist

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def python_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def small_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    write_mnist(folder / "mnist")
    write_cifar_archive(folder / "cifar-10-python.tar.gz", cifar_files(n=200))
    return folder


@pytest.mark.parametrize("path", [p for p in DOCUMENTS if python_blocks(p)], ids=lambda p: p.name)
def test_code_blocks_run(path, small_data, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the examples write land in a temporary folder
    monkeypatch.setenv("MINIKERAS_DATA", str(small_data))
    namespace: dict = {}
    for block in python_blocks(path):
        exec(compile(block, str(path), "exec"), namespace)


def test_the_site_builds_strictly(tmp_path):
    """`mkdocs build --strict`: every page in the nav, every link and image resolves."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "results" / "index.html").exists()
