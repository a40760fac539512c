"""Keras 3's model and layer API as a Keras user calls it, and the errors such a user meets."""
import io
import json
import re
import subprocess
import sys

import numpy as np
import pytest
from rich.console import Console

import minikeras as mk
from minikeras import layers, models
from minikeras.callbacks.progress import BatchProgress, ProgressBar
from tests.conftest import blobs


def _model(**kwargs):
    model = mk.Sequential([mk.Input(shape=(5,)), layers.Dense(8, activation="relu"),
                           layers.Dense(3, activation="softmax")],
                          **kwargs)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_the_ways_keras_gives_the_input_shape():
    for model in (mk.Sequential([layers.Dense(4, input_shape=(3,))]), mk.Sequential([layers.Dense(4, input_dim=3)]),
                  mk.Sequential([layers.Dense(4)], input_dim=3),
                  mk.models.Sequential([mk.Input((3,)), layers.Dense(4)])):
        assert model.input_shape == (None, 3) and model.output_shape == (None, 4) and model.built
    later = mk.Sequential()
    later.add(mk.Input(shape=(3,)))
    later.add(layers.Dense(4))
    assert [layer.name for layer in later.layers] == ["dense"]
    with pytest.raises(ValueError, match="must come before every other layer"):
        later.add(mk.Input(shape=(4,)))


def test_keras_names_get_layer_and_pop():
    model = _model()
    assert [layer.name for layer in model.layers] == ["dense", "dense_1"]
    assert model.get_layer("dense_1") is model.layers[1] is model.get_layer(index=-1)
    with pytest.raises(ValueError, match=r"No layer named 'head'. The layers are: dense, dense_1"):
        model.get_layer("head")
    with pytest.raises(ValueError, match="Give exactly one of name or index"):
        model.get_layer()
    with pytest.raises(ValueError, match="out of range"):
        model.get_layer(index=2)
    popped = model.pop()
    assert popped.name == "dense_1" and model.output_shape == (None, 8)


def test_evaluate_returns_as_keras():
    x, y = blobs()
    model = _model()
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": loss, "accuracy": accuracy}
    plain = mk.Sequential([mk.Input(shape=(5,)), layers.Dense(3, activation="softmax")])
    plain.compile(loss="sparse_categorical_crossentropy")
    assert isinstance(plain.evaluate(x, y, verbose=0), float)
    assert model.test_on_batch(x[:10], y[:10]) == model.evaluate(x[:10], y[:10], verbose=0)
    np.testing.assert_array_equal(model.predict_on_batch(x[:4]), model.predict(x[:4], verbose=0))


def test_count_params_weights_and_to_json():
    model = _model()
    assert model.count_params() == 5 * 8 + 8 + 8 * 3 + 3 and isinstance(model.count_params(), int)
    assert [w.shape for w in model.weights] == [(5, 8), (8,), (8, 3), (3,)]
    clone = models.model_from_json(model.to_json())
    assert clone.get_config() == model.get_config()
    assert json.loads(model.to_json())["class_name"] == "Sequential"
    with pytest.raises(ValueError, match="not valid JSON"):
        models.model_from_json("{oops")


def test_zero_learning_rates_are_valid_and_change_nothing():
    x, y = blobs()
    for optimizer in (mk.optimizers.SGD(0.0), mk.optimizers.Adam(learning_rate=0.0),
                      mk.optimizers.SGD(mk.schedules.CyclicLR(0.0, 0.0, step_size=2))):
        model = _model()
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        before = model.get_weights()
        model.fit(x, y, epochs=1, verbose=0)
        for a, b in zip(before, model.get_weights()):
            np.testing.assert_array_equal(a, b)
    assert mk.schedules.CyclicLR(0.0, 1.0, step_size=4)(0) == 0.0
    for bad in (-0.1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="learning_rate must be a finite float >= 0"):
            mk.optimizers.SGD(bad)


@pytest.mark.parametrize("x, message", [
    (np.zeros((0, 5), dtype="float32"), r"x is empty: it has shape \(0, 5\)"),
    (np.where(np.arange(10 * 5).reshape(10, 5) == 17, np.inf, 0.0), r"x holds inf at row 3, position 2"),
    (np.where(np.arange(10 * 5).reshape(10, 5) == 3, np.nan, 0.0), r"x holds nan at row 0, position 3"),
])
def test_bad_inputs_name_what_is_wrong(x, message):
    with pytest.raises(ValueError, match=message):
        _model().fit(x, np.zeros(len(x), dtype=int), verbose=0)


def test_predict_with_inf_gives_no_numpy_warning():
    x = np.ones((2, 5), dtype="float32")
    x[0, 0] = np.inf
    out = _model().predict(x, verbose=0)  # RuntimeWarnings are errors in this suite
    assert np.isnan(out[0]).all() and np.isfinite(out[1]).all()


def test_errors_a_keras_user_meets(tmp_path):
    x, y = blobs()
    with pytest.raises(TypeError, match=r"Use layers.Activation\('relu'\)"):
        mk.Sequential().add("relu")
    with pytest.raises(ValueError, match=r"Labels must be numbers.*Encode them first"):
        _model().fit(x, np.array(["cat", "dog"] * 150), verbose=0)
    with pytest.raises(FileNotFoundError, match=r"the folder '.*missing' does not exist"):
        _model().save(tmp_path / "missing" / "m.h5")
    with pytest.raises(mk.ModelFileError, match="it is a folder, not a model file"):
        mk.load_model(tmp_path)


def test_inspect_lists_a_weights_file(tmp_path):
    _model().save_weights(tmp_path / "w.h5")
    done = subprocess.run([sys.executable, "-m", "minikeras", "inspect", str(tmp_path / "w.h5")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "minikeras weights" in done.stdout and "dense_1/kernel" in done.stdout and "(8, 3)" in done.stdout


def _terminal(width=80):
    buffer = io.StringIO()
    return Console(file=buffer, width=width, force_terminal=True, color_system=None), buffer


def test_the_epoch_line_fits_80_columns_without_cutting_a_value():
    console, buffer = _terminal()
    bar = ProgressBar()
    bar.set_params({"epochs": 20, "steps": 3})
    bar.on_train_begin()
    bar._console = console
    bar._use_bar = True
    bar.on_epoch_begin(0)
    logs = {"loss": 2.256, "accuracy": 0.2611, "val_loss": 2.0336, "val_accuracy": 0.2999, "lr": 0.00123}
    for batch in range(3):
        bar.on_batch_end(batch, logs)
    bar.on_epoch_end(0, logs)
    screen = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", line) for line in buffer.getvalue().splitlines()]
    assert all(len(line) <= 80 for line in screen)
    final = screen[screen.index(next(line for line in screen if line.startswith("Epoch 1/20 - "))):]
    text = " ".join(final)
    for value in ("loss: 2.2560", "accuracy: 0.2611", "val_loss: 2.0336", "val_accuracy: 0.2999", "lr: 0.00123"):
        assert value in text, value
    assert "…" not in buffer.getvalue()


def test_a_plain_epoch_line_is_one_whole_line_in_a_log_file(capsys):
    x, y = blobs()
    _model().fit(x, y, epochs=1, verbose=2, validation_split=0.2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Epoch 1/1 - ") and "val_accuracy: " in lines[0]


def test_evaluate_and_predict_show_progress_with_verbose_1(capsys):
    x, y = blobs()
    model = _model()
    model.evaluate(x, y, batch_size=100, verbose=1)
    model.predict(x, batch_size=128, verbose=1)
    model.predict(x, verbose=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].startswith("3/3 - ") and "accuracy: " in lines[0]
    assert lines[1].startswith("3/3 - ")


def test_batch_progress_on_a_terminal_ends_with_the_summary_line():
    console, buffer = _terminal()
    progress = BatchProgress(4, verbose=1)
    progress._console = console
    for index in range(4):
        progress.advance(index)
    progress.finish({"loss": 0.5})
    assert buffer.getvalue().strip().splitlines()[-1].startswith("4/4 - ")


def test_activations_as_functions():
    x = np.array([[-2.0, 0.5, 3.0]])
    np.testing.assert_allclose(mk.activations.relu(x), [[0.0, 0.5, 3.0]])
    np.testing.assert_allclose(mk.activations.relu(x, negative_slope=0.1, max_value=1.0), [[-0.2, 0.5, 1.0]])
    np.testing.assert_allclose(mk.activations.sigmoid(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(mk.activations.softmax(x), np.exp(x) / np.exp(x).sum())
    np.testing.assert_allclose(mk.activations.leaky_relu(x), [[-0.4, 0.5, 3.0]])
    model = mk.Sequential([mk.Input(shape=(5,)), layers.Dense(4, activation=mk.activations.tanh),
                           layers.Dense(3, activation=mk.activations.softmax)])
    assert model.layers[0].get_config()["activation"] == "tanh"
    model.compile(loss="sparse_categorical_crossentropy")
    assert model.engine.fused  # a softmax given as a function fuses with the cross-entropy too
    with pytest.raises(TypeError, match="must be one of minikeras.activations"):
        layers.Dense(3, activation=np.tanh)


def test_function_style_regularizer():
    dense = layers.Dense(3, kernel_regularizer=mk.regularizers.l2(0.02))
    assert dense.kernel_regularizer.l2 == 0.02


def test_reset_metrics_starts_the_metrics_again_as_keras():
    x, y = np.ones((6, 3), "float32"), np.array([0, 1, 0, 1, 0, 1])
    model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2, activation="softmax")], seed=0)
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.train_on_batch(x, y)
    (accuracy,) = model.metrics
    assert accuracy.result() > 0
    model.reset_metrics()
    assert accuracy.result() == 0


@pytest.mark.parametrize("call, message", [
    (lambda m, x, y: m.fit(x, y, steps_per_epoch=3, verbose=0), r"steps_per_epoch counts .* Got 3"),
    (lambda m, x, y: m.evaluate(x, y, steps=2, verbose=0), r"steps counts .* Got steps=2"),
    (lambda m, x, y: m.predict(x, steps=2, verbose=0), r"steps counts .* Got steps=2"),
])
def test_steps_count_the_batches_of_a_pydataset_or_generator_not_of_arrays(call, message):
    model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2, activation="softmax")], seed=0)
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=message):
        call(model, np.ones((4, 3), "float32"), np.array([0, 1, 0, 1]))
