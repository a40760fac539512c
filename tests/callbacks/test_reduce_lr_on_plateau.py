"""ReduceLROnPlateau: Keras' patience, cooldown and floor, seen in the history and kept by save."""
import pytest

import minikeras as mk
from minikeras.callbacks import ReduceLROnPlateau
from tests.conftest import blobs


def _model(rate=0.1):
    model = mk.Model(input_dim=5, seed=0)
    model.add_layer(8, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer=mk.optimizers.SGD(rate))
    return model


def test_patience_cooldown_and_floor_in_the_history(tmp_path):
    x, y = blobs()
    model = _model()
    # The training loss falls every epoch, so in "max" mode it never improves after the first epoch.
    reduce = ReduceLROnPlateau(monitor="loss", mode="max", factor=0.5, patience=2, cooldown=2, min_lr=0.02)
    history = model.fit(x, y, epochs=9, batch_size=32, verbose=0, callbacks=[reduce])
    losses = history.history["loss"]
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    # Epoch 0 sets the best; waits 1, 2: halve after epoch 2. As in Keras, the cooldown counts down at the
    # start of each epoch's check, so epoch 3 is the only one skipped; waits 1, 2 (epochs 4, 5): halve
    # after epoch 5; skip 6; waits at 7, 8: halving would go below min_lr, which is the rate after epoch 8.
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.02)
    model.save(tmp_path / "m.h5")
    assert mk.load_model(tmp_path / "m.h5").optimizer.learning_rate == pytest.approx(0.02)


def test_an_improving_quantity_keeps_the_rate():
    x, y = blobs()
    history = _model().fit(x, y, epochs=4, batch_size=32, verbose=0,
                           callbacks=[ReduceLROnPlateau(monitor="loss", patience=1)])
    assert history.history["lr"] == [0.1] * 4


def test_a_missing_monitor_warns_and_changes_nothing():
    x, y = blobs()
    with pytest.warns(UserWarning, match="'val_loss', which is not in the logs"):
        history = _model().fit(x, y, epochs=2, verbose=0, callbacks=[ReduceLROnPlateau(patience=0)])
    assert history.history["lr"] == [0.1, 0.1]


def test_a_schedule_cannot_be_reduced():
    x, y = blobs()
    model = _model(mk.schedules.StepDecay(0.1, 0.5, 100))
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[ReduceLROnPlateau(monitor="loss", mode="max", patience=1)])


@pytest.mark.parametrize("options, message", [({"factor": 1.0}, "factor >= 1.0"), ({"mode": "up"}, "mode"),
                                              ({"epsilon": 1e-3}, "unexpected arguments")])
def test_bad_arguments(options, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ReduceLROnPlateau(**options)


@pytest.mark.parametrize("options", [dict(patience=2, cooldown=2, min_lr=0.02, factor=0.5),
                                     dict(patience=1, cooldown=0, min_delta=0.05, mode="min"),
                                     dict(monitor="val_accuracy", mode="max", patience=1, cooldown=1)])
def test_same_rates_as_keras_for_the_same_logs(options):
    keras = pytest.importorskip("keras")
    values = [1.0, 0.9, 0.88, 0.95, 0.87, 0.869, 0.86, 0.9, 0.7, 0.71, 0.72, 0.73]
    monitor = options.get("monitor", "val_loss")

    def rates(callback, model, read):
        callback.set_model(model)
        callback.on_train_begin()
        seen = []
        for epoch, value in enumerate(values):
            callback.on_epoch_end(epoch, {monitor: value})
            seen.append(read(model))
        return seen

    theirs_model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    theirs_model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    theirs = rates(keras.callbacks.ReduceLROnPlateau(**options), theirs_model,
                   lambda m: float(keras.ops.convert_to_numpy(m.optimizer.learning_rate)))
    ours = rates(ReduceLROnPlateau(**options), _model(), lambda m: m.optimizer.learning_rate)
    assert ours == pytest.approx(theirs, rel=1e-6)
    assert len(set(ours)) > 1
