import numpy as np
import pytest

import minikeras as mk
from minikeras import plot
from tests.conftest import blobs


def test_records_several_times_per_epoch(tmp_path):
    x, y = blobs(n=400)
    model = mk.Model(input_dim=5, seed=0)
    model.add_layer(8, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer="sgd", metrics=["accuracy"])
    recorder = mk.callbacks.MetricsRecorder((x[:100], y[:100]), times_per_epoch=4)
    model.fit(x, y, epochs=2, batch_size=20, verbose=0, callbacks=[recorder])
    np.testing.assert_allclose(recorder.history["epoch"], [0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0])
    assert set(recorder.history) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    evaluated = model.evaluate(x[:100], y[:100], verbose=0, return_dict=True)
    assert recorder.history["val_loss"][-1] == pytest.approx(evaluated["loss"])
    plot.learning_curves(recorder, tmp_path / "smooth.png")
    assert (tmp_path / "smooth.png").stat().st_size > 5000


def test_times_per_epoch_checked():
    with pytest.raises(ValueError, match="times_per_epoch"):
        mk.callbacks.MetricsRecorder((None, None), times_per_epoch=0)
