"""Write a file so that readers only ever see the old version or the complete new one."""
from __future__ import annotations

import contextlib
import glob
import os
import tempfile

from ..interrupts import deferred_interrupts


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path beside `path`; on success it replaces `path` in one `os.replace`.

    - If the body raises (or Ctrl-C arrives while it runs), `path` is left exactly as it was, the
      temporary file is removed and the error, an OSError naming `path`, is raised.
    - A Ctrl-C during the commit (fsync and rename) waits for it: the save then completes and
      returns normally, so an interrupted save never both replaces the file and raises.
    - A symbolic link at `path` keeps pointing where it did: the file it points to is replaced.
    - Temporaries left by an earlier save of the same file that was killed (``.NAME.*.tmp``) are
      removed.
    """
    path = os.path.realpath(os.fspath(path)) if os.path.islink(os.fspath(path)) else os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to {path!r}: the folder {folder!r} does not exist (create it first).")
    if os.path.isdir(path):
        raise IsADirectoryError(f"Cannot save to {path!r}: it is a folder; give a file name such as "
                                f"{os.path.join(path, 'model.h5')!r}.")
    prefix = f".{os.path.basename(path)}."
    _remove_stale_temporaries(folder, prefix)
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=prefix, suffix=".tmp")
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


def _remove_stale_temporaries(folder: str, prefix: str) -> None:
    for stale in glob.glob(os.path.join(glob.escape(folder), glob.escape(prefix) + "*.tmp")):
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
