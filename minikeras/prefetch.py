"""Reading ahead: batches produced by a background thread while the current one trains.

`fit`, `evaluate` and `predict` read a `PyDataset`'s or a generator's batches this way
(`data_streams`), and those of arrays read from files (`row_readers`, through
`data_utils.BatchGatherer`): reading files and preparing a batch overlap the training step, since
numpy and file reads release the GIL.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from queue import Empty, Full, Queue

from .checks import NonFiniteError

_DONE = object()


def prefetched(batches: Iterator, size: int, what: str) -> Iterator:
    """`batches`, produced by a background thread up to `size` ahead while the caller trains on
    the current one (reading files and preparing a batch overlap the training step: numpy and the
    file reads release the GIL). An error in the producer is raised here, naming the batch it was
    reading: a `RuntimeError` from it, or a `NonFiniteError` for bad data. Stopping early (Ctrl-C,
    a callback) stops the producer at its next batch."""
    queue: Queue = Queue(maxsize=size)
    stop = threading.Event()

    def put(item) -> bool:
        """Queue `item` unless stopped first (the consumer may be gone)."""
        while not stop.is_set():
            try:
                queue.put(item, timeout=0.1)
                return True
            except Full:
                continue
        return False

    def produce() -> None:
        index = 0
        try:
            for batch in batches:
                if not put((batch, None)):
                    return
                index += 1
            put((_DONE, None))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, which raises it
            put((_DONE, (index, error)))

    thread = threading.Thread(target=produce, name="minikeras-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            batch, failure = queue.get()
            if failure is not None:
                index, error = failure
                if isinstance(error, NonFiniteError):  # bad data, not a failed read: still a ValueError
                    raise NonFiniteError(f"Batch {index} of {what}: {error}") from error
                raise RuntimeError(f"Reading batch {index} of {what} failed: {type(error).__name__}: {error}") \
                    from error
            if batch is _DONE:
                return
            yield batch
    finally:
        stop.set()
        while thread.is_alive():  # let the producer see the stop (it may wait on a full queue)
            try:
                queue.get_nowait()
            except Empty:
                thread.join(timeout=0.05)
