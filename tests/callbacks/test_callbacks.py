"""Behaviour of every callback inside a real fit."""
import csv
import io
import math

import numpy as np
import pytest
from rich.console import Console

import minikeras as mk
from minikeras import callbacks
from minikeras.callbacks.progress import ProgressBar
from tests.conftest import blobs


@pytest.fixture
def data():
    return blobs(n=200)


def _model(lr=0.1, seed=0):
    model = mk.Model(input_dim=5, seed=seed)
    model.add_layer(8, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.SGD(lr), metrics=["accuracy"])
    return model


class Recorder(callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch}")

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(f"batch_begin {batch}")

    def on_batch_end(self, batch, logs=None):
        self.calls.append(f"batch_end {batch}")


def test_hook_order_and_params(data):
    x, y = data
    recorder = Recorder()
    _model().fit(x, y, epochs=2, batch_size=100, verbose=0, callbacks=[recorder])
    assert recorder.calls == ["train_begin",
                              "epoch_begin 0", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1",
                              "epoch_end 0",
                              "epoch_begin 1", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1",
                              "epoch_end 1", "train_end"]
    assert recorder.params == {"epochs": 2, "steps": 2, "samples": len(x), "verbose": 0}


def test_early_stopping_stops_and_restores_the_best_weights(data):
    x, y = data
    model = _model()
    losses = iter([1.0, 0.5, 0.7, 0.6, 0.8, 0.9, 1.0])
    snapshots = {}

    def fake_val_loss(epoch, logs):
        logs["val_loss"] = next(losses)
        snapshots[epoch] = model.get_weights()

    stopper = callbacks.EarlyStopping(patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=7, verbose=0,
                        callbacks=[callbacks.LambdaCallback(on_epoch_end=fake_val_loss), stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    for a, b in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_restores_when_training_ends_otherwise(data):
    x, y = data
    model = _model()
    losses = iter([1.0, 0.5, 0.7])
    snapshots = {}

    def fake_val_loss(epoch, logs):
        logs["val_loss"] = next(losses)
        snapshots[epoch] = model.get_weights()

    stopper = callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x, y, epochs=3, verbose=0, callbacks=[callbacks.LambdaCallback(on_epoch_end=fake_val_loss),
                                                   stopper])
    assert stopper.stopped_epoch is None
    for a, b in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)


def test_early_stopping_mode_auto_maximizes_accuracy_and_warns_on_missing_key(data):
    x, y = data
    assert callbacks.EarlyStopping(monitor="val_accuracy").mode == "max"
    with pytest.warns(UserWarning, match="'val_f1'.*available: accuracy, loss, lr"):
        _model().fit(x, y, epochs=1, verbose=0, callbacks=[callbacks.EarlyStopping(monitor="val_f1")])


def test_learning_rate_scheduler_sets_the_rate_per_epoch(data):
    x, y = data
    model = _model(lr=0.1)
    scheduler = callbacks.LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    history = model.fit(x, y, epochs=3, verbose=0, callbacks=[scheduler])
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_learning_rate_scheduler_refuses_a_schedule_optimizer(data):
    x, y = data
    model = _model()
    model.compile(optimizer=mk.optimizers.SGD(mk.schedules.StepDecay(0.1, 0.5, 10)))
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=1, verbose=0,
                  callbacks=[callbacks.LearningRateScheduler(lambda epoch, lr: lr)])


def test_csv_logger_writes_a_row_per_epoch_and_appends(data, tmp_path):
    x, y = data
    path = tmp_path / "log.csv"
    model = _model()
    first = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[callbacks.CSVLogger(path)])
    model.fit(x, y, epochs=1, verbose=0, validation_data=(x, y), callbacks=[callbacks.CSVLogger(path, append=True)])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1", "0"]
    assert set(rows[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert float(rows[1]["val_loss"]) == pytest.approx(first.history["val_loss"][1], rel=1e-12)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_terminate_on_nan_stops_after_the_bad_batch_and_still_ends_the_epoch(data):
    x, y = data
    model = _model(lr=1e6)
    ends = []
    nan_stop = callbacks.TerminateOnNaN()
    with np.errstate(all="ignore"):
        history = model.fit(x * 1e3, y, epochs=5, batch_size=10, verbose=0,
                            callbacks=[nan_stop, callbacks.LambdaCallback(on_epoch_end=lambda e, logs: ends.append(e))])
    assert nan_stop.stopped_batch is not None and len(history.epoch) == 1 and ends == [0]
    assert not math.isfinite(history.history["loss"][0])


def test_lambda_callback_rejects_unknown_hooks():
    with pytest.raises(ValueError, match="on_epoch_finish"):
        callbacks.LambdaCallback(on_epoch_finish=print)


def test_callbacks_must_be_callbacks(data):
    x, y = data
    with pytest.raises(TypeError, match="Expected a callback name .*EarlyStopping.*, class or instance; got "
                                        "builtin_function_or_method"):
        _model().fit(x, y, verbose=0, callbacks=[print])


def test_a_callback_class_or_name_is_built_with_its_defaults(data):
    x, y = data
    history = _model().fit(x, y, epochs=2, verbose=0, callbacks=[callbacks.TerminateOnNaN, "LambdaCallback"])
    assert len(history.history["loss"]) == 2


def test_model_checkpoint_best_only_with_placeholders(data, tmp_path):
    x, y = data
    model = _model()
    losses = iter([1.0, 0.5, 0.7, 0.4])

    def fake_val_loss(epoch, logs):
        logs["val_loss"] = next(losses)

    checkpoint = callbacks.ModelCheckpoint(tmp_path / "m-{epoch:02d}-{val_loss:.2f}.h5", save_best_only=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[callbacks.LambdaCallback(on_epoch_end=fake_val_loss), checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m-01-1.00.h5", "m-02-0.50.h5", "m-04-0.40.h5"]
    restored = mk.load_model(tmp_path / "m-04-0.40.h5")
    np.testing.assert_array_equal(restored.predict(x), model.predict(x))


def test_model_checkpoint_weights_only_every_epoch(data, tmp_path):
    x, y = data
    model = _model()
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "w{epoch}.h5", save_weights_only=True)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[checkpoint])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["w1.h5", "w2.h5"]
    other = _model(seed=9)
    other.load_weights(tmp_path / "w2.h5")
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_model_checkpoint_bad_placeholder_is_clear(data, tmp_path):
    x, y = data
    with pytest.raises(ValueError, match="cannot fill the file name"):
        _model().fit(x, y, epochs=1, verbose=0,
                     callbacks=[callbacks.ModelCheckpoint(tmp_path / "{val_f1}.h5")])


def test_progress_plain_line_per_epoch_when_not_a_terminal(data):
    x, y = data
    out = io.StringIO()
    _model().fit(x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[ProgressBar(file=out)])
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("Epoch 1/3 - ")
    assert "loss: " in lines[0] and "val_accuracy: " in lines[2] and "lr: 0.1" in lines[2]


def test_verbose_levels(data, capsys):
    x, y = data
    _model().fit(x, y, epochs=2, verbose=0)
    assert capsys.readouterr().out == ""
    _model().fit(x, y, epochs=2, verbose=2)
    assert capsys.readouterr().out.count("Epoch ") == 2
    _model().fit(x, y, epochs=2, verbose=1)  # captured output is not a terminal: plain lines
    assert capsys.readouterr().out.count("Epoch ") == 2


def test_progbar_logger_follows_verbose_and_replaces_the_default_display(data, capsys):
    x, y = data
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[mk.callbacks.ProgbarLogger()])
    assert capsys.readouterr().out == ""
    for verbose in (1, 2):  # one display, not two
        _model().fit(x, y, epochs=2, verbose=verbose, callbacks=[mk.callbacks.ProgbarLogger()])
        assert capsys.readouterr().out.count("Epoch ") == 2


def test_progress_bar_on_a_terminal(data):
    x, y = data
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Console, "is_terminal", property(lambda self: True))
        _model().fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[ProgressBar(file=out)])
    text = out.getvalue()
    assert "Epoch 2/2" in text and "10/10" in text and "loss:" in text


def test_terminate_on_nan_names_epoch_batch_and_the_first_bad_weights(data, capsys):
    x, y = data
    model = _model()
    model.compile(optimizer=mk.optimizers.SGD(1e30), loss="categorical_crossentropy")
    stopper = callbacks.TerminateOnNaN()
    history = model.fit(x, y, epochs=3, batch_size=5, verbose=0, callbacks=[stopper])
    assert stopper.stopped_at["epoch"] == 1 and stopper.stopped_at["weights"] is not None
    assert model.epoch == 0 and len(history.history["loss"]) == 1  # the cut-short epoch is not counted
    out = capsys.readouterr().out
    assert f"Epoch 1, batch {stopper.stopped_batch}: loss is" in out and stopper.stopped_at["weights"] in out


def test_model_checkpoint_never_overwrites_with_non_finite_weights(data, tmp_path):
    x, y = data
    model = _model()
    checkpoint = callbacks.ModelCheckpoint(tmp_path / "last.h5", save_best_only=False)
    model.fit(x, y, epochs=1, verbose=0, callbacks=[checkpoint])
    good = (tmp_path / "last.h5").read_bytes()
    model.layers[0].params["kernel"][0, 0] = np.nan
    with pytest.warns(UserWarning, match=r"holds NaN or inf; ModelCheckpoint keeps the last saved file"):
        checkpoint.on_epoch_end(1, {"loss": 1.0})
    assert (tmp_path / "last.h5").read_bytes() == good


def test_keras_3_hook_names_run_in_fit_evaluate_and_predict(data):
    x, y = data
    calls = []

    class Keras3Style(mk.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            calls.append(("train_batch", batch, round(logs["loss"], 6)))

        def on_test_begin(self, logs=None):
            calls.append(("test_begin",))

        def on_test_end(self, logs=None):
            calls.append(("test_end", sorted(logs)))

        def on_test_batch_end(self, batch, logs=None):
            calls.append(("test_batch", batch))

        def on_predict_begin(self, logs=None):
            calls.append(("predict_begin",))

        def on_predict_batch_end(self, batch, logs=None):
            calls.append(("predict_batch", batch))

    model = _model()
    model.fit(x, y, epochs=1, batch_size=100, validation_split=0.5, verbose=0, callbacks=[Keras3Style()])
    assert [c[0] for c in calls] == ["train_batch", "test_begin", "test_end"]
    assert calls[-1][1] == ["accuracy", "loss"]
    calls.clear()
    model.evaluate(x, y, batch_size=100, verbose=0, callbacks=[Keras3Style()])
    model.predict(x, batch_size=100, verbose=0, callbacks=[Keras3Style()])
    assert calls == [("test_begin",), ("test_batch", 0), ("test_batch", 1), ("test_end", ["accuracy", "loss"]),
                     ("predict_begin",), ("predict_batch", 0), ("predict_batch", 1)]
