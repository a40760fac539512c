"""Inputs read batch by batch (`minikeras.row_readers`): HDF5 datasets, memmaps and other
array-likes train, evaluate and predict exactly as the same data in memory, are read a batch at a
time and each row once an epoch (checked through every read made), are checked for NaN and inf as
they are read, and a BackupAndRestore run on a memmap resumes exactly."""
from __future__ import annotations

import os
import threading

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras import row_readers
from tests.callbacks.backup_run import AtBatch

N, D = 240, 3000


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


def test_an_array_like_is_read_a_batch_at_a_time_each_row_once_an_epoch():
    x, y = _data()
    recorded = Recorded(x)
    in_memory, streamed = _model(), _model()
    expected = in_memory.fit(x.astype("float32"), y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
    history = streamed.fit(recorded, y, batch_size=32, epochs=2, validation_split=0.25, verbose=0)
    assert history.history == expected.history
    # Batches of 32 while training, the validation quarter (60 rows) in one; no pass of its own for the check.
    assert max(recorded.reads) == N // 4 and sum(recorded.reads) == 2 * N
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

    def recorded(fd, buffers, offset, flags=0):
        reads.append(sum(memoryview(buffer).nbytes for buffer in buffers))
        return preadv(fd, buffers, offset, flags)

    monkeypatch.setattr(row_readers.os, "preadv", recorded)
    reference = _model().fit(x.astype("float32"), y, batch_size=32, epochs=2, verbose=0).history
    for memmap in (wide, same):
        reads.clear()
        assert _model().fit(memmap, y, batch_size=32, epochs=2, verbose=0).history == reference
        # A row at a time (shuffled batches); the first row read once more when opened (to check the file).
        assert set(reads) == {memmap[:1].nbytes} and len(reads) == 1 + 2 * N


@pytest.mark.parametrize("on_disk, advised", [(True, N - 4 * 32), (False, 0)])
def test_once_reads_wait_on_the_disk_it_is_asked_for_the_rows_of_coming_batches(tmp_path, monkeypatch, on_disk,
                                                                                  advised):
    x, y = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    calls: list[tuple] = []
    preadv = row_readers.os.preadv

    def read(fd, buffers, offset, flags=0):
        if on_disk and flags & row_readers.os.RWF_NOWAIT:  # as the kernel does when a byte is not cached
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return preadv(fd, buffers, offset, flags)

    monkeypatch.setattr(row_readers.os, "preadv", read)
    monkeypatch.setattr(row_readers.os, "posix_fadvise", lambda *call: calls.append(call))
    history = _model().fit(memmap, y, batch_size=32, epochs=1, verbose=0).history
    assert history == _model().fit(x.astype("float32"), y, batch_size=32, epochs=1, verbose=0).history
    # Reading batch k asks for batch k + 4: batches 4 to 7 of the 8, each row once, a row a call.
    rows = [(offset - 128) // x[:1].nbytes for _, offset, size, advice in calls]
    assert len(rows) == len(set(rows)) == advised and set(rows) <= set(range(N))
    assert all(size == x[:1].nbytes and advice == row_readers.os.POSIX_FADV_WILLNEED for _, _, size, advice in calls)
    calls.clear()  # in order, the rows of a batch follow each other in the file: one call a batch
    _model().evaluate(memmap, y, batch_size=32, verbose=0)
    batches = [(start * x[:1].nbytes, (min(start + 32, N) - start) * x[:1].nbytes) for start in range(128, N, 32)]
    assert [(offset - 128, size) for _, offset, size, _ in calls] == (batches if on_disk else [])


def test_reads_of_a_file_evicted_from_the_page_cache_are_seen_waiting_on_the_disk(tmp_path):
    x, _ = _data()
    with open(tmp_path / "x.npy", "wb") as file:
        np.save(file, x)
        file.flush()
        os.fsync(file.fileno())  # written pages are evicted once clean
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    cold = row_readers.RowReader(np.load(tmp_path / "x.npy", mmap_mode="r"), "float64")
    assert cold._file is not None and cold._file.waits_on_disk  # its first row, read on opening
    np.testing.assert_array_equal(cold.take(np.array([5, 200, 7])), x[[5, 200, 7]])
    (tmp_path / "x.npy").read_bytes()  # now cached
    warm = row_readers.RowReader(np.load(tmp_path / "x.npy", mmap_mode="r"), "float64")
    np.testing.assert_array_equal(warm.take(np.array([5, 200, 7])), x[[5, 200, 7]])
    assert warm._file is not None and not warm._file.waits_on_disk


def test_predict_reads_a_memmap_ahead_and_names_the_batch_a_read_failed_in(tmp_path, monkeypatch):
    x, _ = _data()
    np.save(tmp_path / "x.npy", x)
    memmap = np.load(tmp_path / "x.npy", mmap_mode="r")
    model = _model()
    np.testing.assert_array_equal(model.predict(memmap, batch_size=50, verbose=0),
                                  model.predict(x.astype("float32"), batch_size=50, verbose=0))
    read_range, reader_threads = row_readers.FileRows.read_range, set()

    def failing(self, start, stop):
        reader_threads.add(threading.current_thread().name)
        if start == 150:
            raise OSError("disk gone")
        return read_range(self, start, stop)

    monkeypatch.setattr(row_readers.FileRows, "read_range", failing)
    with pytest.raises(RuntimeError, match="Reading batch 3 of x failed: OSError: disk gone"):
        model.predict(memmap, batch_size=50, verbose=0)
    assert reader_threads == {"minikeras-prefetch"}


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


def test_non_finite_values_stop_fit_and_evaluate_at_the_batch_that_holds_them(tmp_path):
    x, y = _data()
    x[200, 7] = np.nan
    np.save(tmp_path / "x.npy", x)
    for data in (Recorded(x), np.load(tmp_path / "x.npy", mmap_mode="r")):
        model = _model()
        # Shuffled: a batch of 32 rows named by its place in the epoch; the row is the one in the whole.
        with pytest.raises(ValueError, match=r"Batch \d+ of x: x holds nan at row 200, position 7 \(1 non-finite "
                                             r"value in a batch of 32 rows\): remove or replace NaN"):
            model.fit(data, y, batch_size=32, verbose=0)
        with pytest.raises(ValueError, match=r"Batch 4 of x: x holds nan at row 200, position 7 \(1 non-finite "
                                             r"value in rows 200 to 239\)"):
            model.evaluate(data, y, batch_size=50, verbose=0)
        assert np.isnan(model.predict(data, batch_size=50, verbose=0)[200]).all()  # as for arrays: not checked


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
