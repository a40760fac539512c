import numpy as np
import pytest

import minikeras as mk

pytest.importorskip("tensorboardX")
event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def _read(folder):
    reader = event_accumulator.EventAccumulator(str(folder), size_guidance={"scalars": 0, "histograms": 0})
    reader.Reload()
    return reader


class WeightsPerEpoch(mk.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.kernels = []

    def on_epoch_end(self, epoch, logs=None):
        self.kernels.append(self.model.layers[0].params["kernel"].copy())


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    log_dir = tmp_path_factory.mktemp("logs")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(300, 8)).astype("float32"), rng.integers(0, 3, 300)
    model = mk.Sequential([mk.layers.Dense(16, activation="relu"), mk.layers.Dense(3, activation="softmax")],
                          input_dim=8, seed=0)
    model.compile(mk.optimizers.Adam(0.01), "sparse_categorical_crossentropy", ["accuracy"])
    weights = WeightsPerEpoch()
    board = mk.callbacks.TensorBoard(log_dir, histogram_freq=2, update_freq=4, write_steps_per_second=True)
    history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, verbose=0, callbacks=[weights, board])
    return log_dir, history.history, weights.kernels


def test_epoch_scalars_are_the_history_under_keras_tags(run):
    log_dir, history, _ = run
    train, validation = _read(log_dir / "train"), _read(log_dir / "validation")
    for tag, values in [("epoch_loss", history["loss"]), ("epoch_accuracy", history["accuracy"]),
                        ("epoch_learning_rate", history["lr"])]:
        events = train.Scalars(tag)
        assert [e.step for e in events] == list(range(5))
        np.testing.assert_allclose([e.value for e in events], values, rtol=1e-6)
    np.testing.assert_allclose([e.value for e in validation.Scalars("epoch_loss")], history["val_loss"], rtol=1e-6)
    assert [e.step for e in validation.Scalars("evaluation_loss_vs_iterations")] == [8, 16, 24, 32, 40]
    assert all(e.value > 0 for e in train.Scalars("epoch_steps_per_second"))


def test_batch_scalars_every_update_freq_batches(run):
    train = _read(run[0] / "train")
    assert [e.step for e in train.Scalars("batch_loss")] == list(range(4, 41, 4))
    assert "batch_accuracy" in train.Tags()["scalars"]


def test_weight_histograms_every_histogram_freq_epochs(run):
    log_dir, _, kernels = run
    train = _read(log_dir / "train")
    assert {"dense/kernel/histogram", "dense/bias/histogram", "dense_1/kernel/histogram"} <= set(
        train.Tags()["histograms"])
    events = train.Histograms("dense/kernel/histogram")
    assert [e.step for e in events] == [0, 2, 4]
    for event in events:
        kernel = kernels[event.step]
        summary = event.histogram_value
        assert summary.num == kernel.size
        assert summary.min == pytest.approx(kernel.min()) and summary.max == pytest.approx(kernel.max())
        assert summary.sum == pytest.approx(kernel.sum(dtype=np.float64), abs=1e-4)


@pytest.mark.parametrize("kwargs, message", [({"write_images": True}, "weight images"),
                                             ({"profile_batch": 2}, "profiling"),
                                             ({"update_freq": 0}, "update_freq must be"),
                                             ({"histogram_freq": -1}, "histogram_freq must be")])
def test_unsupported_or_bad_arguments_are_refused(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        mk.callbacks.TensorBoard(tmp_path, **kwargs)


def test_without_tensorboardx_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "tensorboardX", None)
    with pytest.raises(ImportError, match=r"pip install 'minikeras\[tensorboard\]'"):
        mk.callbacks.TensorBoard("logs")
