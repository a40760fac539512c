"""Write a file so that readers only ever see the old version or the complete new one."""
from __future__ import annotations

import contextlib
import glob
import json
import os
import tempfile

from ..interrupts import deferred_interrupts

TEMPORARY_TAG = ".minikeras-"  # in every temporary's name: cleanup touches no file minikeras did not make


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, follow_links: bool = True):
    """Yield a temporary path beside `path`; on success it replaces `path` in one `os.replace`.

    - If the body raises (or Ctrl-C arrives while it runs), `path` is left exactly as it was, the
      temporary file is removed and the error, an OSError naming `path`, is raised.
    - A Ctrl-C during the commit (fsync and rename) waits for it: the save then completes and
      returns normally, so an interrupted save never both replaces the file and raises.
    - A symbolic link at `path` keeps pointing where it did and the file it points to is replaced;
      with ``follow_links=False`` (files a callback manages) the link itself is replaced, so
      nothing is written where it points.
    - The temporary is named ``.NAME.minikeras-PID-XXXX.tmp``. Temporaries of the same file left by
      a save that was killed are removed; those of a process still running, and any other file,
      are left alone.
    """
    path = os.fspath(path)
    if follow_links and os.path.islink(path):
        path = os.path.realpath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: the folder {folder!r} does not exist (create it first).")
    if os.path.isdir(path) and not os.path.islink(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a folder; give a file name such as "
                                f"{os.path.join(path, 'model.h5')!r}.")
    stem = f".{os.path.basename(path)}{TEMPORARY_TAG}"
    _remove_stale_temporaries(folder, stem)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f"{stem}{os.getpid()}-", suffix=".tmp")
    except OSError as error:
        raise OSError(error.errno, f"Cannot save to {path!r}: {error.strerror}") from None
    os.close(handle)
    try:
        yield temporary
        with deferred_interrupts():
            with open(temporary, "rb+") as written:
                os.fsync(written.fileno())
            os.chmod(temporary, _mode_for(path))
            os.replace(temporary, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        if isinstance(error, (OSError, RuntimeError)) and not isinstance(error, FileNotFoundError):
            # h5py reports a full disk or a file-size limit as OSError or RuntimeError, naming the temporary.
            raise OSError(getattr(error, "errno", None), f"Cannot save to {path!r}: {error}") from None
        raise


def process_alive(pid: int) -> bool:
    """Whether a process `pid` runs on this machine (one of another user counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temporaries(folder: str, stem: str) -> None:
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(stem) + "*.tmp")):
        pid = os.path.basename(stale)[len(stem):].split("-", 1)[0]
        if pid.isdigit() and process_alive(int(pid)) and int(pid) != os.getpid():
            continue
        with contextlib.suppress(OSError):
            os.remove(stale)


def _mode_for(path: str) -> int:
    """The permissions of the file being replaced, else those a new file gets (mkstemp uses 0600)."""
    try:
        return os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


LOCK_NAME = ".minikeras.lock"


def lock_folder(folder: str) -> str:
    """Take `folder`'s lock: ``folder/.minikeras.lock`` holding this process's id. A lock held by
    another running process is a RuntimeError naming it; one left by a process that died (or by
    this one) is taken over. Returns the lock's path, for `unlock_folder`."""
    path = os.path.join(folder, LOCK_NAME)
    for _ in range(3):
        try:
            handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW, 0o644)
        except FileExistsError:
            owner = _lock_owner(path)
            if owner is not None and owner != os.getpid() and process_alive(owner):
                raise RuntimeError(f"{folder!r} is in use by process {owner} (its lock {path!r}); two runs cannot "
                                   f"share a backup folder. Give this one another folder.") from None
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
            continue
        with os.fdopen(handle, "w") as lock:
            lock.write(str(os.getpid()))
        return path
    raise RuntimeError(f"Cannot take the lock {path!r}: another process keeps taking it.")


def unlock_folder(path: str) -> None:
    """Remove a lock `lock_folder` took, if it is still this process's."""
    if _lock_owner(path) == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _lock_owner(path: str) -> int | None:
    """The process id written in the lock at `path` (None if it is gone, not a file or unreadable)."""
    try:
        handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(handle, "rb") as lock:
        text = lock.read(32).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def write_json(path, data) -> None:
    """`data` as indented JSON at `path`, written atomically (readers see the old file or the new one)."""
    with atomic_path(path) as temporary, open(temporary, "w") as file:
        json.dump(data, file, indent=1)
