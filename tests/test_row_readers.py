"""Inputs read batch by batch (`minikeras.row_readers`): HDF5 datasets, memmaps and other
array-likes train, evaluate and predict exactly as the same data in memory, are never read whole
(checked through every read made), and a BackupAndRestore run on a memmap resumes exactly."""
from __future__ import annotations

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras import row_readers
from tests.callbacks.backup_run import AtBatch

N, D = 240, 3000  # a row of 3000 float64 is 24 kB: a finiteness chunk (4 MB) is 174 rows < N


class Recorded:
    """An array-like over a numpy array that records how many rows each read returns."""

    def __init__(self, array):
        self.array, self.shape, self.dtype = array, array.shape, array.dtype
        self.reads: list[int] = []

    def __getitem__(self, index):
        rows = self.array[index]
        self.reads.append(len(rows))
        return rows


def _data():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((N, D))
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)


def _model():
    model = mk.Sequential([mk.Input((D,)), mk.layers.Dense(8, activation="tanh"),
                           mk.layers.Dense(3, activation="softmax")], seed=0)
    model.compile(optimizer=mk.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def test_an_array_like_is_read_in_batches_and_chunks_only():
    x, y = _data()
    recorded = Recorded(x)
    in_memory, streamed = _model(), _model()
    expected = in_memory.fit(x.astype("float32"), y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
    history = streamed.fit(recorded, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
    assert history.history == expected.history
    chunk = row_readers.CHUNK_BYTES // (D * x.dtype.itemsize)
    assert max(recorded.reads) <= max(32, chunk) < N  # never the whole array at once
    recorded.reads.clear()
    np.testing.assert_array_equal(streamed.predict(recorded, batch_size=50, verbose=0),
                                  in_memory.predict(x.astype("float32"), batch_size=50, verbose=0))
    assert max(recorded.reads) == 50 and sum(recorded.reads) == N
    assert streamed.evaluate(recorded, y, verbose=0) == in_memory.evaluate(x.astype("float32"), y, verbose=0)


def test_an_hdf5_dataset_trains_as_the_data_in_memory(tmp_path):
    x, y = _data()
    with h5py.File(tmp_path / "data.h5", "w") as f:
        f["x"] = x
    with h5py.File(tmp_path / "data.h5", "r") as f:
        history = _model().fit(f["x"], y, batch_size=32, epochs=2, verbose=0)
    assert history.history == _model().fit(x.astype("float32"), y, batch_size=32, epochs=2, verbose=0).history


def test_memmaps_are_read_from_their_file_a_batch_at_a_time(tmp_path, monkeypatch):
    x, y = _data()
    np.save(tmp_path / "x64.npy", x)
    np.save(tmp_path / "x32.npy", x.astype("float32"))
    wide, same = np.load(tmp_path / "x64.npy", mmap_mode="r"), np.load(tmp_path / "x32.npy", mmap_mode="r")
    reads: list[int] = []
    preadv = row_readers.os.preadv

    def recorded(fd, buffers, offset):
        reads.append(sum(memoryview(buffer).nbytes for buffer in buffers))
        return preadv(fd, buffers, offset)

    monkeypatch.setattr(row_readers.os, "preadv", recorded)
    monkeypatch.setattr(row_readers, "CHUNK_BYTES", 1 << 20)  # a chunk of the check: 87 or 43 rows
    reference = _model().fit(x.astype("float32"), y, batch_size=32, epochs=2, verbose=0).history
    for memmap in (wide, same):
        reads.clear()
        assert _model().fit(memmap, y, batch_size=32, epochs=2, verbose=0).history == reference
        row = memmap[:1].nbytes
        # A row at a time while training; the finiteness check in chunks of at most 1 MB; never the whole.
        assert max(reads) <= row_readers.CHUNK_BYTES < memmap.nbytes and set(reads) - {row} <= {
            size * row for size in range(2, row_readers.CHUNK_BYTES // row + 1)}
        assert sum(reads) == row * (1 + N + 2 * N)  # the first-row check, the finiteness pass, two epochs


@pytest.mark.parametrize("view", [np.s_[10:], np.s_[::3], np.s_[5:200:7], np.s_[:, 2:], np.s_[:, ::2], np.s_[::-1]])
def test_memmap_views_are_read_as_the_arrays_they_show(tmp_path, view):
    x, _ = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")[view]
    reader = row_readers.RowReader(memmap, "float32")
    contiguous_rows = memmap[:1].flags.c_contiguous and memmap.strides[0] > 0
    assert (reader._file is not None) == contiguous_rows and (reader._mapping is not None) != contiguous_rows
    index = np.array([7, 2, 20, 3, 0])
    np.testing.assert_array_equal(reader.take(index), memmap[index].astype("float32"))
    np.testing.assert_array_equal(reader[3:40], memmap[3:40].astype("float32"))
    np.testing.assert_array_equal(reader[3:40:4], memmap[3:40:4].astype("float32"))


def test_a_one_dimensional_memmap_is_read_from_its_file(tmp_path):
    np.save(tmp_path / "v.npy", np.arange(50.0))
    reader = row_readers.RowReader(np.load(tmp_path / "v.npy", mmap_mode="r"), "float32")
    assert reader._file is not None
    np.testing.assert_array_equal(reader.take(np.array([3, 1, 49])), [3.0, 1.0, 49.0])
    np.testing.assert_array_equal(reader[47:], [47.0, 48.0, 49.0])


def test_a_memmap_whose_file_was_truncated_is_refused_without_a_crash(tmp_path):
    x, y = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    with open(tmp_path / "x.npy", "r+b") as file:  # reading the mapping past the end would be SIGBUS
        file.truncate(x[:N // 2].nbytes)
    with pytest.raises(ValueError, match=r"x.npy, holds \d+ bytes; its 240 rows need \d+: it was truncated"):
        _model().fit(memmap, y, verbose=0)


def test_a_file_truncated_while_training_stops_fit_with_the_batch_and_the_cause(tmp_path):
    x, y = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")

    def truncate():
        with open(tmp_path / "x.npy", "r+b") as file:
            file.truncate(x[:N // 2].nbytes)

    with pytest.raises(RuntimeError, match=r"Reading batch \d+ of x failed: OSError: The file behind the memmap ends "
                                           r"before byte \d+: it was truncated after being mapped"):
        _model().fit(memmap, y, batch_size=16, epochs=3, verbose=0, callbacks=[AtBatch(0, 0, truncate)])


def test_non_finite_rows_are_named_in_the_whole_array():
    x, y = _data()
    x[200, 7] = x[201, 0] = np.nan
    chunk_rows = row_readers.CHUNK_BYTES // (x.shape[1] * 8)  # x is float64
    first = 200 // chunk_rows * chunk_rows
    with pytest.raises(ValueError, match=rf"x holds nan at row 200, position 7 \(2 non-finite values in rows {first} "
                                         rf"to {min(first + chunk_rows, len(x)) - 1}\): remove or replace"):
        _model().fit(Recorded(x), y, verbose=0)


def test_backup_and_restore_resumes_a_memmap_run_exactly(tmp_path):
    x, y = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")

    def fit(*callbacks):
        model = _model()
        model.fit(memmap, y, batch_size=32, epochs=3, verbose=0,
                  callbacks=[*callbacks, mk.callbacks.BackupAndRestore(tmp_path / "backup")])
        return model

    reference = _model()
    reference.fit(memmap, y, batch_size=32, epochs=3, verbose=0)

    def crash():
        raise RuntimeError("crash")

    with pytest.raises(RuntimeError, match="crash"):
        fit(AtBatch(1, 4, crash))
    resumed = fit()
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_another_librarys_tensor_is_refused_as_before():
    torch = pytest.importorskip("torch")
    with pytest.raises(TypeError, match="x must be a numpy array \\(or an HDF5 dataset, a memmap\\); got Tensor"):
        _model().fit(torch.ones(4, D), np.zeros(4, dtype=int), verbose=0)
