"""Where dataset files live, and fetching them: cache folder, download, checksum.

Files are looked for in the folder a loader is given, else under ``$MINIKERAS_DATA``, else
``~/.minikeras/datasets``. Missing files are downloaded into that folder from the official
locations, with a progress bar, and kept only if their SHA-256 matches.
"""
from __future__ import annotations

import hashlib
import os
import pathlib
import urllib.error
import urllib.request

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

DATA_ENV = "MINIKERAS_DATA"
CHUNK = 1 << 20


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is neither on disk nor downloadable (no network, or a bad download)."""


class DatasetFormatError(ValueError):
    """A dataset file exists but is not in the expected format (or is truncated)."""


def data_home() -> pathlib.Path:
    """``$MINIKERAS_DATA`` if set, else ``~/.minikeras/datasets``."""
    return pathlib.Path(os.environ.get(DATA_ENV) or pathlib.Path.home() / ".minikeras" / "datasets")


def sha256_of(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(name: str, folder: pathlib.Path, urls: list[str], sha256: str, download: bool = True) -> pathlib.Path:
    """``folder/name``, downloaded from the first working URL of `urls` if it is missing.

    Raises DatasetNotFoundError naming the place looked in and every download error.
    """
    target = folder / name
    if target.exists():
        return target
    errors = []
    if download:
        for url in urls:
            try:
                return _download(url, target, sha256)
            except (urllib.error.URLError, OSError, ValueError) as error:
                errors.append(f"{url}: {error}")
    tried = "; ".join(errors) if errors else "downloading was not attempted"
    raise DatasetNotFoundError(f"{name} is not in {folder} ({tried}). Put the official file there, "
                               f"or point ${DATA_ENV} at a folder that holds it.")


def _download(url: str, target: pathlib.Path, sha256: str) -> pathlib.Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=30) as response, open(partial, "wb") as out, _progress() as bar:
        task = bar.add_task(target.name, total=int(response.headers.get("Content-Length") or 0) or None)
        for chunk in iter(lambda: response.read(CHUNK), b""):
            out.write(chunk)
            digest.update(chunk)
            bar.advance(task, len(chunk))
    if digest.hexdigest() != sha256:
        partial.unlink()
        raise ValueError(f"checksum mismatch: SHA-256 {digest.hexdigest()}, expected {sha256}")
    os.replace(partial, target)
    return target


def _progress() -> Progress:
    return Progress(TextColumn("Downloading {task.description}"), BarColumn(), DownloadColumn(),
                    TransferSpeedColumn())
