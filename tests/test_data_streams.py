"""`fit`, `evaluate` and `predict` on Keras' `PyDataset` and on generators (`minikeras.data_streams`):
the same script in Keras 3 (PyTorch backend) and here, from the same weights, gives the same numbers."""
from __future__ import annotations

import math
import os
import threading
import time

import numpy as np
import pytest

import minikeras as mk
from tests.callbacks.backup_run import AtBatch

keras = pytest.importorskip("keras")

N, BATCH = 50, 16


def _data():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((N, 6)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.3)


def dataset_class(lib):
    """keras.io's PyDataset pattern: batches of arrays by index, shuffled at each epoch's end."""

    class ArrayBatches(lib.utils.PyDataset):
        def __init__(self, x, y, batch_size, reshuffle=False, **kwargs):
            super().__init__(**kwargs)
            self.x, self.y, self.batch_size, self.reshuffle = x, y, batch_size, reshuffle
            self.order = np.arange(len(x))
            self.epochs_ended = 0

        def __len__(self):
            return math.ceil(len(self.x) / self.batch_size)

        def __getitem__(self, idx):
            rows = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
            return self.x[rows], self.y[rows]

        def on_epoch_end(self):
            self.epochs_ended += 1
            if self.reshuffle:
                self.order = np.random.default_rng(self.epochs_ended).permutation(len(self.x))

    return ArrayBatches


def batches_forever(x, y, batch_size):
    """A generator cycling over the data in batches (what steps_per_epoch is for)."""
    while True:
        for start in range(0, len(x), batch_size):
            yield x[start:start + batch_size], y[start:start + batch_size]


def _model(lib):
    model = lib.Sequential([lib.Input((6,)), lib.layers.Dense(8, activation="tanh"),
                            lib.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lib.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _pair():
    keras.utils.set_random_seed(0)
    theirs, ours = _model(keras), _model(mk)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_weights()])
    return theirs, ours


def _same_history(theirs, ours):
    for key, values in theirs.history.items():
        if key != "learning_rate":
            np.testing.assert_allclose(ours.history[key], values, rtol=2e-5, atol=1e-6, err_msg=key)


def test_a_pydataset_trains_evaluates_and_predicts_as_in_keras():
    x, y = _data()
    theirs, ours = _pair()
    their_data, our_data = dataset_class(keras)(x, y, BATCH, reshuffle=True), dataset_class(mk)(x, y, BATCH,
                                                                                                  reshuffle=True)
    their_val, our_val = dataset_class(keras)(x[:20], y[:20], 8), dataset_class(mk)(x[:20], y[:20], 8)
    # shuffle=False: Keras would shuffle the batch order with Python's random module, here the model's generator
    _same_history(theirs.fit(their_data, epochs=3, validation_data=their_val, shuffle=False, verbose=0),
                  ours.fit(our_data, epochs=3, validation_data=our_val, shuffle=False, verbose=0))
    assert our_data.epochs_ended == 4  # as Keras: once when fit starts, then after each epoch
    np.testing.assert_allclose(ours.evaluate(our_val, verbose=0), theirs.evaluate(their_val, verbose=0), rtol=2e-5)
    np.testing.assert_allclose(ours.predict(our_val, verbose=0),
                               keras.ops.convert_to_numpy(theirs.predict(their_val, verbose=0)), rtol=1e-5, atol=1e-6)


def test_a_generator_with_steps_per_epoch_trains_as_in_keras():
    x, y = _data()
    theirs, ours = _pair()
    _same_history(theirs.fit(batches_forever(x, y, BATCH), steps_per_epoch=3, epochs=3, verbose=0),
                  ours.fit(batches_forever(x, y, BATCH), steps_per_epoch=3, epochs=3, verbose=0))
    np.testing.assert_allclose(ours.evaluate(batches_forever(x, y, 10), steps=2, verbose=0),
                               theirs.evaluate(batches_forever(x, y, 10), steps=2, verbose=0), rtol=2e-5)
    np.testing.assert_allclose(ours.predict(batches_forever(x, y, 10), steps=2, verbose=0),
                               keras.ops.convert_to_numpy(theirs.predict(batches_forever(x, y, 10), steps=2,
                                                                         verbose=0)), rtol=1e-5, atol=1e-6)


def test_a_finite_generator_runs_one_epoch_then_stops_with_a_warning():
    x, y = _data()
    ours = _model(mk)
    finite = ((x[s:s + BATCH], y[s:s + BATCH], np.ones(len(x[s:s + BATCH]))) for s in range(0, N, BATCH))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = ours.fit(finite, epochs=3, verbose=0)
    assert len(history.history["loss"]) == 1 and ours.epoch == 1


def test_clear_errors():
    x, y = _data()
    model = _model(mk)
    with pytest.raises(ValueError, match="steps_per_epoch counts the batches of a PyDataset or generator"):
        model.fit(x, y, steps_per_epoch=2, verbose=0)
    with pytest.raises(ValueError, match="y, sample_weight and class_weight must be None"):
        model.fit(dataset_class(mk)(x, y, 8), y, verbose=0)
    with pytest.raises(ValueError, match="validation_split splits arrays"):
        model.fit(dataset_class(mk)(x, y, 8), validation_split=0.2, verbose=0)
    with pytest.raises(RuntimeError, match="Reading batch 0 of x failed: ValueError: A batch of x must be \\(x, y\\)"):
        model.fit(iter([(x, y, None, None)]), verbose=0)
    with pytest.raises(RuntimeError, match="NotImplementedError: Empty must define __getitem__"):
        model.fit(type("Empty", (mk.utils.PyDataset,), {"__len__": lambda self: 1})(), verbose=0)


def test_batches_are_read_ahead_and_a_failing_read_stops_fit_naming_the_batch():
    x, y = _data()
    read, ahead = [], []

    class Slow(dataset_class(mk)):
        def __getitem__(self, idx):
            if idx == 3 and len(read) > 4:  # the second epoch's fourth batch fails
                raise OSError("disk unplugged")
            read.append(idx)
            return super().__getitem__(idx)

    class Watch(mk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            time.sleep(0.02)
            ahead.append(len(read) - (batch + 1))

    model = _model(mk)
    with pytest.raises(RuntimeError, match="Reading batch 3 of x failed: OSError: disk unplugged") as failure:
        model.fit(Slow(x, y, 10), epochs=2, shuffle=False, callbacks=[Watch()], verbose=0)
    assert isinstance(failure.value.__cause__, OSError)
    assert max(ahead) >= 1 and model.epoch == 1  # the producer ran ahead; the first epoch completed


def test_shuffle_reads_a_pydataset_in_a_new_batch_order_each_epoch():
    x, y = _data()
    seen = []

    class Recording(dataset_class(mk)):
        def __getitem__(self, idx):
            seen.append(idx)
            return super().__getitem__(idx)

    model = _model(mk)
    model.fit(Recording(x, y, 5), epochs=2, verbose=0)
    first, second = seen[:10], seen[10:]  # the model was built by its Input: no batch was read before
    assert sorted(first) == sorted(second) == list(range(10)) and first != second != list(range(10))


@pytest.mark.parametrize("use_multiprocessing", [False, True])
def test_workers_read_batches_in_threads_or_processes_and_train_alike(tmp_path, use_multiprocessing):
    x, y = _data()
    readers = tmp_path / "readers.txt"

    class Logged(dataset_class(mk)):
        def __getitem__(self, idx):
            with open(readers, "a") as log:  # from a thread or a forked process alike
                log.write(f"{os.getpid()} {threading.get_ident()}\n")
            return super().__getitem__(idx)

    def run(**kwargs):
        mk.utils.set_random_seed(0)
        model = _model(mk)
        history = model.fit(Logged(x, y, 5, reshuffle=True, **kwargs), epochs=3, verbose=0).history
        return history, model.get_weights()

    alone, alone_weights = run()
    pooled, pooled_weights = run(workers=2, use_multiprocessing=use_multiprocessing, max_queue_size=3)
    assert pooled == alone  # the reshuffle of each on_epoch_end reached the workers
    for a, b in zip(alone_weights, pooled_weights):
        np.testing.assert_array_equal(a, b)
    pooled_readers = {tuple(map(int, line.split())) for line in readers.read_text().splitlines()[30:]}
    here = (os.getpid(), threading.get_ident())
    if use_multiprocessing:
        assert os.getpid() not in {pid for pid, _ in pooled_readers}
    else:
        assert here not in pooled_readers and {pid for pid, _ in pooled_readers} == {os.getpid()}


def test_a_batch_failing_in_a_worker_process_stops_fit_naming_it():
    x, y = _data()

    class Failing(dataset_class(mk)):
        def __getitem__(self, idx):
            if idx == 2:
                raise KeyError("no such image")
            return super().__getitem__(idx)

    with pytest.raises(RuntimeError, match="Reading batch 2 of x failed: KeyError: 'no such image'"):
        _model(mk).fit(Failing(x, y, 5, workers=2, use_multiprocessing=True), shuffle=False, verbose=0)


def test_backup_and_restore_resumes_a_pydataset_run_exactly_and_refuses_a_generator(tmp_path):
    x, y = _data()

    def fit(data, *callbacks, folder="backup", **kwargs):
        mk.utils.set_random_seed(0)
        model = _model(mk)
        backup = mk.callbacks.BackupAndRestore(tmp_path / folder, save_freq=2)  # mid-epoch backups too
        model.fit(data, epochs=3, verbose=0, callbacks=[*callbacks, backup], **kwargs)
        return model

    def crash():
        raise RuntimeError("crash")

    mk.utils.set_random_seed(0)
    reference = _model(mk)
    reference.fit(dataset_class(mk)(x, y, 8), epochs=3, verbose=0)  # batch i is always the same rows: replayable
    with pytest.raises(RuntimeError, match="crash"):
        fit(dataset_class(mk)(x, y, 8), AtBatch(1, 2, crash))
    resumed = fit(dataset_class(mk)(x, y, 8))
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(RuntimeError, match="crash"):
        fit(batches_forever(x, y, 10), AtBatch(1, 2, crash), folder="generator", steps_per_epoch=5)
    with pytest.raises(ValueError, match="a run on a generator cannot be resumed"):
        fit(batches_forever(x, y, 10), folder="generator", steps_per_epoch=5)
