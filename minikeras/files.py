"""Opening a file that may come from someone else: a regular file of bounded size, or an error.

A FIFO would block the reader until someone writes to it, and a device (``/dev/zero``) or a
sparse file would stream more than any format holds. `open_regular` opens without waiting
(``O_NONBLOCK``), then checks what it opened (``fstat``, so the check and the read are about the
same file) before a byte is read.
"""
from __future__ import annotations

import os
import stat
from typing import BinaryIO


def open_regular(path, max_bytes: int, what: str, error: type[Exception] = ValueError) -> BinaryIO:
    """`path` opened for binary reading if it is a regular file of at most `max_bytes`; otherwise
    `error` saying what `what` (``"an MNIST IDX file"``) must be. A missing file is FileNotFoundError."""
    handle = os.open(os.fspath(path), os.O_RDONLY | os.O_NONBLOCK)
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{os.fspath(path)} is not a regular file (a pipe, socket, device or folder); {what} must be "
                        f"one.")
        if info.st_size > max_bytes:
            raise error(f"{os.fspath(path)} holds {info.st_size:,} bytes; {what} has at most {max_bytes:,}.")
    except BaseException:
        os.close(handle)
        raise
    return os.fdopen(handle, "rb")
