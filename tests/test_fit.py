"""fit: logs, validation, weights, seeds, interruption."""
import os
import signal

import numpy as np
import pytest

import minikeras as mk
from minikeras import callbacks, losses, schedules
from minikeras.data_utils import Dataset, split_validation
from tests.conftest import blobs


def _model(seed=0, dtype="float32", dropout=0.0, **compile_kwargs):
    model = mk.Model(input_dim=5, seed=seed, dtype=dtype)
    model.add_layer(16, "relu", batch_norm=True, dropout=dropout, l2=1e-3)
    model.add_layer(3, "softmax")
    model.compile(**{"optimizer": mk.optimizers.SGD(0.1, momentum=0.9), "metrics": ["accuracy"],
                     **compile_kwargs})
    return model


def test_fit_learns_and_logs_every_key(blob_data):
    x, y = blob_data
    model = _model()
    history = model.fit(x, y, epochs=5, batch_size=32, validation_data=(x, y), verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert history.epoch == [0, 1, 2, 3, 4] and all(len(v) == 5 for v in history.history.values())
    assert history.history["val_accuracy"][-1] > 0.95
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.history is history and model.epoch == 5


def test_epoch_logs_are_running_means_of_batch_logs(blob_data):
    x, y = blob_data
    batch_logs = []
    recorder = callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    sizes = []
    sizer = callbacks.LambdaCallback(on_batch_begin=lambda batch, logs: sizes.append(logs["size"]))
    history = _model().fit(x, y, epochs=1, batch_size=64, verbose=0, callbacks=[recorder, sizer])
    assert sizes == [64, 64, 64, 64, 44]
    assert history.history["loss"][0] == pytest.approx(batch_logs[-1]["loss"])


def test_lr_log_is_the_rate_of_the_last_update(blob_data):
    x, y = blob_data
    model = _model(optimizer=mk.optimizers.SGD(schedules.CyclicLR(0.001, 0.1, step_size=10)))
    history = model.fit(x, y, epochs=2, batch_size=100, verbose=0)
    assert history.history["lr"] == pytest.approx([schedules.CyclicLR(0.001, 0.1, 10)(t) for t in (2, 5)])


def test_same_seed_gives_bit_identical_weights(blob_data):
    x, y = blob_data
    runs = []
    for _ in range(2):
        model = _model(seed=3, dropout=0.3)
        model.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    other = _model(seed=4, dropout=0.3)
    other.fit(x, y, epochs=3, batch_size=16, validation_split=0.2, verbose=0)
    assert not np.array_equal(other.get_weights()[0], runs[0][0])


def test_set_seed_makes_unseeded_models_reproducible(blob_data):
    x, y = blob_data
    weights = []
    for _ in range(2):
        mk.set_seed(11)
        model = mk.Model(input_dim=5)
        model.add_layer(3, "softmax")
        model.compile(optimizer="sgd")
        model.fit(x, y, epochs=1, verbose=0)
        weights.append(model.get_weights()[0])
    np.testing.assert_array_equal(*weights)


def test_no_shuffle_visits_samples_in_order(blob_data):
    x, y = blob_data
    seen = []
    model = _model()
    engine = model.engine
    original = engine.train_step
    engine.train_step = lambda xb, tb, wb: (seen.append(tb.copy()), original(xb, tb, wb))[1]
    model.fit(x, y, epochs=1, batch_size=100, shuffle=False, verbose=0)
    np.testing.assert_array_equal(np.concatenate(seen), y)


@pytest.mark.parametrize("mode", ["stratified", "random", "last"])
def test_validation_split_modes(mode):
    x, y = blobs(n=200, classes=3)
    order = np.argsort(y, kind="stable")  # labels sorted by class: the Keras trap
    x, y = x[order], y[order]
    history = _model(seed=0).fit(x, y, epochs=1, validation_split=0.25, validation_split_mode=mode,
                                 verbose=0)
    assert "val_loss" in history.history
    targets = losses.prepare_targets(y, 3, np.float32)
    train, val = split_validation(Dataset(x, targets), 0.25, mode, np.random.default_rng(0))
    assert len(val) == 50 and len(train) == 150
    assert not set(train.rows) & set(val.rows)
    val_classes = set(y[val.rows])
    if mode == "last":
        assert val_classes == {2}
    if mode == "stratified":
        for label in range(3):
            assert np.sum(y[val.rows] == label) == round(0.25 * np.sum(y == label))


def test_validation_split_does_not_copy_inputs(blob_data):
    x, y = blob_data
    model = _model()
    captured = []
    engine = model.engine
    original = engine.dataset

    def spy(*args, **kwargs):
        data = original(*args, **kwargs)
        captured.append(data)
        return data

    engine.dataset = spy
    model.fit(x, y, epochs=1, validation_split=0.3, verbose=0)
    assert captured[0].x is x  # float32 input used as it is


def test_sample_weight_zero_equals_dropping_the_samples(blob_data):
    x, y = blob_data
    weights = np.ones(len(x))
    weights[::2] = 0

    def trained(x, y, **kwargs):
        # No BatchNorm here: zero-weight samples would still shift the batch statistics.
        model = mk.Model(input_dim=5, seed=1, dtype="float64")
        model.add_layer(8, "tanh", l2=0.01)
        model.add_layer(3, "softmax")
        model.compile(optimizer=mk.optimizers.SGD(0.1, momentum=0.9))
        model.fit(x, y, epochs=3, batch_size=len(x), verbose=0, shuffle=False, **kwargs)
        return model.get_weights()

    # The loss is a mean over the batch (as Keras): N/2 samples of weight 2 match N/2 samples of weight 1.
    for a, b in zip(trained(x, y, sample_weight=weights * 2), trained(x[1::2], y[1::2])):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_class_weight_balanced_and_dict(blob_data):
    x, y = blob_data
    keep = (y != 0) | (np.arange(len(y)) % 5 == 0)  # class 0 becomes rare
    x, y = x[keep], y[keep]
    counts = np.bincount(y)
    balanced = _model(seed=2, dtype="float64")
    balanced.fit(x, y, epochs=1, batch_size=len(x), class_weight="balanced", verbose=0, shuffle=False)
    table = {c: len(y) / (3 * counts[c]) for c in range(3)}
    explicit = _model(seed=2, dtype="float64")
    explicit.fit(x, y, epochs=1, batch_size=len(x), class_weight=table, verbose=0, shuffle=False)
    by_sample = _model(seed=2, dtype="float64")
    by_sample.fit(x, y, epochs=1, batch_size=len(x), sample_weight=np.array([table[c] for c in y]),
                  verbose=0, shuffle=False)
    plain = _model(seed=2, dtype="float64")
    plain.fit(x, y, epochs=1, batch_size=len(x), verbose=0, shuffle=False)
    for a, b, c in zip(balanced.get_weights(), explicit.get_weights(), by_sample.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-12)
        np.testing.assert_allclose(a, c, rtol=1e-12)
    assert not np.allclose(plain.get_weights()[0], balanced.get_weights()[0])


def test_initial_epoch_numbers_epochs(blob_data):
    x, y = blob_data
    history = _model().fit(x, y, epochs=5, initial_epoch=3, verbose=0)
    assert history.epoch == [3, 4]


def test_ctrl_c_returns_the_partial_history_after_callbacks(blob_data, capsys):
    x, y = blob_data
    ended = []

    def interrupt(epoch, logs):
        if epoch == 1:
            os.kill(os.getpid(), signal.SIGINT)  # as Ctrl-C: fit finishes the batch under way, then stops

    hooks = callbacks.LambdaCallback(on_epoch_begin=interrupt, on_train_end=lambda logs: ended.append(True))
    model = _model()
    history = model.fit(x, y, epochs=10, batch_size=30, verbose=0, callbacks=[hooks])
    assert history.epoch == [0, 1] and ended == [True]
    assert model.epoch == 1 and model.optimizer.iterations == 11  # 10 batches of epoch 0, 1 of epoch 1
    assert "interrupted after a whole batch" in capsys.readouterr().out


def test_float64_input_to_float32_model_is_converted(blob_data):
    x, y = blob_data
    model = _model()
    model.fit(x.astype(np.float64), y, epochs=1, verbose=0)
    assert model.get_weights()[0].dtype == np.float32


def test_one_hot_labels_train_like_ids(blob_data):
    x, y = blob_data
    a, b = _model(seed=5), _model(seed=5)
    a.fit(x, y, epochs=2, verbose=0)
    b.fit(x, np.eye(3)[y], epochs=2, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-4, atol=1e-6)


def test_mse_regression_with_real_targets():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 3)).astype("float32")
    targets = np.stack([x[:, 0] - x[:, 1], 0.5 * x[:, 2]], axis=1)
    model = mk.Model(input_dim=3, seed=0, layers=[mk.layers.Dense(2, kernel_initializer="xavier")])
    model.compile(optimizer=mk.optimizers.SGD(0.1), loss="mse", metrics=["mae"])
    history = model.fit(x, targets, epochs=30, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < 1e-3 and "mae" in history.history


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam", "rmsprop"])
def test_every_optimizer_trains(blob_data, optimizer):
    x, y = blob_data
    model = _model(optimizer=optimizer)
    history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_sample_weights_too_large_for_the_model_dtype_are_a_clear_error():
    model = mk.Sequential([mk.Input(shape=(2,)), mk.layers.Dense(2, activation="softmax")], seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    x, y = np.ones((4, 2), "float32"), np.array([0, 1, 0, 1])
    with pytest.raises(ValueError, match=r"sample weights .* add up to inf, beyond what float32 holds"):
        model.fit(x, y, sample_weight=np.full(4, 1e308), verbose=0)
    model.fit(x, y, sample_weight=np.full(4, 1e30), verbose=0)  # large but representable: fine
    assert np.isfinite(model.evaluate(x, y, sample_weight=np.full(4, 1e30), verbose=0))
