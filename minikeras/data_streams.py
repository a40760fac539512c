"""Data that comes in batches: Keras' `PyDataset`, and Python generators and iterators.

`fit`, `evaluate` and `predict` take one instead of arrays, as in Keras. Each batch is
``(x, y)``, ``(x, y, sample_weight)`` or (for `predict`) ``x``, and is checked and prepared as
array data is (`Engine.dataset`). A `PyDataset` gives ``len(dataset)`` batches per epoch
(``steps_per_epoch`` fewer), in an order `fit` shuffles (``shuffle=True``, with the model's
generator, as Keras shuffles it), with its ``on_epoch_begin``/``on_epoch_end`` around (and, as
Keras does, one ``on_epoch_end`` when `fit`, `evaluate` or `predict` starts); a generator gives
``steps_per_epoch`` batches per epoch, or runs until it is exhausted, after which `fit` stops with
a warning, as Keras does. Batches are read and prepared ahead by a background thread (up to a
PyDataset's ``max_queue_size``, 10 for a generator) while the current one trains.
"""
from __future__ import annotations

import itertools
import multiprocessing
import signal
import types
import warnings
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np

from .checks import check_int
from .prefetch import prefetched


class PyDataset:
    """Keras' ``keras.utils.PyDataset``: subclass it with ``__len__`` (the number of batches) and
    ``__getitem__(index)`` (batch `index`: ``(x, y)`` or ``(x, y, sample_weight)``), optionally
    ``on_epoch_end`` (reshuffle there). Batches are read ahead by a background thread, at most
    `max_queue_size` of them, and by `workers` threads (processes with `use_multiprocessing`)
    when more than one (see `fetched`)."""

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
        self._workers = check_int("workers", workers, 1)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = check_int("max_queue_size", max_queue_size, 1)

    # (Read with defaults: a subclass may not call ``super().__init__()``, which Keras only warns of.)
    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index), returning batch index.")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__, the number of batches.")

    @property
    def num_batches(self) -> int | None:
        """The number of batches of an epoch (``len(self)``), or None for an endless data set
        (then ``steps_per_epoch`` says how many make an epoch)."""
        try:
            return len(self)
        except NotImplementedError:
            return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch of `fit`."""

    def on_epoch_end(self) -> None:
        """Called after each epoch of `fit` (a place to reshuffle)."""


def is_stream(x) -> bool:
    """Whether `x` is data in batches: a `PyDataset`, a generator or an iterator."""
    return isinstance(x, (PyDataset, types.GeneratorType)) or (hasattr(x, "__next__") and hasattr(x, "__iter__"))


def unpack(batch, what: str) -> tuple:
    """``(x, y, sample_weight)`` of a batch: ``(x, y)``, ``(x, y, sample_weight)`` or ``x`` alone."""
    if isinstance(batch, tuple):
        if not 1 <= len(batch) <= 3:
            raise ValueError(f"A batch of {what} must be (x, y) or (x, y, sample_weight); got a tuple of "
                             f"{len(batch)} items.")
        return (*batch, *(None,) * (3 - len(batch)))
    return batch, None, None


class Stream:
    """Batches of a `PyDataset` or a generator, epoch after epoch.

    Parameters
    ----------
    source : PyDataset, generator or iterator
    steps : int, optional
        Batches per epoch (``steps_per_epoch``, ``validation_steps`` or ``steps``); by default a
        PyDataset's length, or everything a generator yields.
    """

    def __init__(self, source, steps=None, what: str = "x"):
        self.source, self.what = source, what
        self.steps = None if steps is None else check_int("steps", steps, 1)
        if isinstance(source, PyDataset):
            known = source.num_batches
            if known is None and self.steps is None:
                raise ValueError(f"{type(source).__name__} has no __len__: give steps_per_epoch (or steps), the "
                                 f"number of its batches in an epoch.")
            self.steps = known if self.steps is None else min(self.steps, known or self.steps)
        self.ran_out = False
        self.queue_size = source.max_queue_size if isinstance(source, PyDataset) else 10
        self._iterator: Iterator = iter(()) if isinstance(source, PyDataset) else iter(source)
        if isinstance(source, PyDataset):
            source.on_epoch_end()  # as Keras: its data iterator starts by "resetting" the PyDataset

    def __len__(self) -> int:
        """Batches per epoch (0 when unknown: a generator without steps)."""
        return self.steps or 0

    def first(self):
        """The first batch, left for the first epoch (what the model is built from)."""
        if isinstance(self.source, PyDataset):
            return self.source[0]
        first = next(self._iterator)
        self._iterator = itertools.chain([first], self._iterator)
        return first

    @property
    def indexed(self) -> bool:
        """Whether its batches are read by index (a `PyDataset`), so that `fit` can shuffle their order."""
        return isinstance(self.source, PyDataset)

    def batches(self, order=None, first: int = 0) -> Iterator[tuple]:
        """One epoch of raw batches ``(x, y, sample_weight)``, a `PyDataset`'s in `order` (a
        permutation of its batch indices) if given, from the `first`-th on (a resumed epoch), its
        ``on_epoch_begin`` and ``on_epoch_end`` around them. A generator running out sets
        `ran_out` (and warns, as Keras)."""
        if isinstance(self.source, PyDataset):
            self.source.on_epoch_begin()
            for batch in fetched(self.source, (range(self.steps or 0) if order is None else order)[first:]):
                yield unpack(batch, self.what)
            self.source.on_epoch_end()
            return
        for count in itertools.count():
            if self.steps is not None and count == self.steps:
                return
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.steps is not None or count == 0:
                    self.ran_out = True
                    warnings.warn("Your input ran out of data; interrupting training. Give the generator at least "
                                  "steps_per_epoch * epochs batches (or repeat it).", stacklevel=4)
                self.steps = self.steps or count
                return
            yield unpack(batch, self.what)


def fetched(dataset: PyDataset, indices) -> Iterator:
    """``dataset[index]`` for each of `indices`, in order: read here, or (``workers > 1`` or
    ``use_multiprocessing``) by a pool of `workers` threads or processes, up to
    ``max_queue_size`` ahead. Processes are forked for each epoch, as Keras does, so that they
    see what ``on_epoch_end`` changed; their batches come back pickled."""
    workers, processes = dataset.workers, dataset.use_multiprocessing
    if workers <= 1 and not processes:
        yield from (dataset[int(index)] for index in indices)
        return
    if processes:
        context = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        pool: Executor = ProcessPoolExecutor(workers, mp_context=context, initializer=_adopt, initargs=(dataset,))
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="minikeras-pydataset")
    read = _read_adopted if processes else dataset.__getitem__
    pending: deque[Future] = deque()
    try:
        for index in indices:
            pending.append(pool.submit(read, int(index)))
            if len(pending) > dataset.max_queue_size:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_ADOPTED: list = []  # in a worker process: the PyDataset it reads


def _adopt(dataset: PyDataset) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops at a batch boundary
    _ADOPTED[:] = [dataset]


def _read_adopted(index: int):
    return _ADOPTED[0][index]


def stream_of(x, steps, what: str = "x") -> Stream | None:
    """A `Stream` of `x` when it is data in batches (see `is_stream`), else None."""
    return Stream(x, steps, what) if is_stream(x) else None


class StreamBatches:
    """The batches of a `Stream` prepared for `engine` (checked inputs, the loss's targets, the
    weights), as `BatchGatherer` gives those of arrays; read ahead by `prefetched`."""

    streamed = True

    def __init__(self, stream: Stream, engine):
        self.stream, self.engine = stream, engine

    def __len__(self) -> int:
        return len(self.stream)

    def batches(self, order=None, first: int = 0) -> Iterator[tuple]:
        return prefetched(self._prepared(order, first), self.stream.queue_size, self.stream.what)

    def _prepared(self, order, first: int) -> Iterator[tuple]:
        for x, y, sample_weight in self.stream.batches(order, first):
            data = self.engine.dataset(x, y, sample_weight, what=f"a batch of {self.stream.what}")
            yield data.x, data.targets, data.weights


def predict_batches(engine, stream: Stream, on_batch):
    """The outputs of `engine` on every batch of `stream`, joined (a list for several outputs);
    `on_batch(index)` after each batch."""
    parts = []
    for index, (x, _, _) in enumerate(stream.batches()):
        output = engine.predict(engine.inputs(x, "a batch of x"))
        parts.append(output if isinstance(output, list) else [output])
        on_batch(index)
    outputs = [np.concatenate(pieces) for pieces in zip(*parts)]
    return outputs if len(outputs) > 1 else outputs[0]
