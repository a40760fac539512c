"""`predict` and `evaluate` on a Dask array, chunk by chunk, on the workers of a Dask cluster.

The array is rechunked along rows only (each chunk holds whole samples), and each chunk is one
task. The model travels once: its HDF5 file's bytes are one task of the graph (which Dask moves
to a worker that needs it, once), and each worker process loads them once and keeps the model.
`predict` returns a Dask array (lazy: ``.compute()`` runs it); `evaluate` computes, on the
workers, each chunk's loss sum and metric states (`metrics.base.state_of`), adds them up here and
returns what `evaluate` on the data in memory returns. Without a `distributed.Client`, Dask's
default scheduler runs the same tasks in local threads.
"""
from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading

import numpy as np

from .data_utils import BatchGatherer
from .metrics.base import add_states, state_of

_LOADED: dict[str, object] = {}  # in each worker process: the model last loaded, by its file's digest
_LOCK = threading.Lock()  # a model computes one chunk at a time (a worker may run several threads)


def is_dask_array(x) -> bool:
    """Whether `x` is a Dask array (without importing Dask when it is not loaded)."""
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(x, dask_array.Array)


def predict(model, x, batch_size: int | None):
    """A Dask array of `model`'s outputs on Dask array `x`, `batch_size` rows at a time per chunk."""
    import dask
    import dask.array as da

    x = _whole_samples(model, x)
    shape = tuple(model.engine.output_shapes[0])
    blob = dask.delayed(model_bytes(model), pure=True)
    parts = [da.from_delayed(dask.delayed(_predict_part, pure=True)(block, blob, batch_size),
                             shape=(size, *shape), dtype=model.engine.dtype)
             for block, size in zip(x.to_delayed().ravel(), x.chunks[0])]
    return da.concatenate(parts, axis=0)


def evaluate(model, x, y, sample_weight, batch_size: int | None) -> dict:
    """The logs of `model.evaluate` on Dask array `x` (targets `y` and `sample_weight`: arrays or
    Dask arrays of as many rows), computed chunk by chunk."""
    import dask

    x = _whole_samples(model, x)
    engine = model.engine
    for metric in engine.evaluation_metrics:  # refused here, before any chunk runs, if they cannot add up
        state_of(metric)
    blob = dask.delayed(model_bytes(model), pure=True)
    pieces = zip(x.to_delayed().ravel(), _split_like(y, x.chunks[0], "y"),
                 _split_like(sample_weight, x.chunks[0], "sample_weight"))
    parts = dask.compute(*(dask.delayed(_evaluate_part, pure=True)(xb, yb, wb, blob, batch_size)
                           for xb, yb, wb in pieces))
    for position, metric in enumerate(engine.evaluation_metrics):
        add_states(metric, [states[position] for _, _, states in parts])
    return engine.evaluation_results(sum(total for total, _, _ in parts), sum(seen for _, seen, _ in parts))


def model_bytes(model) -> bytes:
    """The bytes of `model`'s HDF5 file (`Model.save`): architecture, weights, compile settings."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.h5")
        model.save(path)
        with open(path, "rb") as file:
            return file.read()


def _model_of(blob: bytes):
    """The model of `blob` (`model_bytes`), loaded once per process."""
    digest = hashlib.sha256(blob).hexdigest()
    if digest not in _LOADED:
        from .saving import load_model  # (the saving package imports the model classes, which import this module)

        with tempfile.TemporaryDirectory() as folder:
            path = os.path.join(folder, "model.h5")
            with open(path, "wb") as file:
                file.write(blob)
            _LOADED.clear()
            _LOADED[digest] = load_model(path)
    return _LOADED[digest]


def _predict_part(x: np.ndarray, blob: bytes, batch_size: int | None) -> np.ndarray:
    with _LOCK:
        return _model_of(blob).predict(x, batch_size=batch_size, verbose=0)


def _evaluate_part(x: np.ndarray, y, sample_weight, blob: bytes, batch_size: int | None) -> tuple:
    """``(loss sum, rows, [state of each evaluation metric])`` of one chunk."""
    with _LOCK:
        engine = _model_of(blob).engine
        data = engine.dataset(x, y, sample_weight)
        total, seen = engine.evaluation_sums(BatchGatherer(data, engine.evaluation_batch_size(batch_size)).batches())
        return total, seen, [state_of(metric) for metric in engine.evaluation_metrics]


def _whole_samples(model, x):
    """`x` in chunks of whole samples (rows), for a model of one input and one output."""
    engine = model.engine
    if len(engine.input_shapes) != 1 or len(engine.output_shapes) != 1:
        raise ValueError(f"A Dask array is scored by a model of one input and one output; this one has "
                         f"{len(engine.input_shapes)} and {len(engine.output_shapes)}.")
    if tuple(x.shape[1:]) != tuple(engine.input_shapes[0]):
        raise ValueError(f"x must have shape (N, {', '.join(map(str, engine.input_shapes[0]))}); got the Dask "
                         f"array of shape {x.shape}.")
    return x.rechunk({axis: -1 for axis in range(1, x.ndim)})


def _split_like(values, sizes: tuple, what: str) -> list:
    """`values` (None, an array or a Dask array) in parts of `sizes` rows."""
    if values is None:
        return [None] * len(sizes)
    if len(values) != sum(sizes):
        raise ValueError(f"x has {sum(sizes)} samples but {what} has {len(values)}; they must match.")
    if is_dask_array(values):
        return list(values.rechunk({0: sizes, **{axis: -1 for axis in range(1, values.ndim)}}).to_delayed().ravel())
    return np.split(np.asarray(values), np.cumsum(sizes)[:-1])
