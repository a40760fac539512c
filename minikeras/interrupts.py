"""Ctrl-C at safe points: during `fit` (and a save's commit) SIGINT only raises a flag, which is
looked at where the state is whole — after a batch's update, after the file's rename."""
from __future__ import annotations

import contextlib
import signal
import threading


@contextlib.contextmanager
def deferred_interrupts():
    """Within the block the first SIGINT is recorded instead of raising KeyboardInterrupt; the
    block reads it with the yielded ``interrupted()``. A second SIGINT raises at once (an escape
    from a step that hangs). Outside the main thread, where signals cannot be handled, nothing
    changes and ``interrupted()`` is always False. Nested in another such block (a checkpoint saved
    during `fit`), an interrupt it recorded is passed on to the outer block when it ends."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    received = []

    def record(signum, frame):
        if received:
            raise KeyboardInterrupt
        received.append(signum)

    record.defers = True
    previous = signal.signal(signal.SIGINT, record)
    try:
        yield lambda: bool(received)
    finally:
        signal.signal(signal.SIGINT, previous)
        if received and getattr(previous, "defers", False):
            previous(signal.SIGINT, None)  # a block inside another (a save during fit): tell the outer one
