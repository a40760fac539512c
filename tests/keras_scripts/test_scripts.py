"""Scripts written the way Keras' examples and guides write them (tests/keras_scripts/scripts/), run
with only their import line changed; every number they report is recomputed here independently
from the model's predictions, in float64 numpy."""
import pathlib
import runpy

import numpy as np
import pytest

from tests.datasets.conftest import write_mnist

SCRIPTS = pathlib.Path(__file__).resolve().parent / "scripts"


def run(name, monkeypatch, tmp_path, capsys=None) -> dict:
    monkeypatch.chdir(tmp_path)
    return runpy.run_path(str(SCRIPTS / f"{name}.py"), run_name="__main__")


def _cross_entropy(probabilities, one_hot):
    return float(np.mean(-np.sum(one_hot * np.log(np.clip(probabilities.astype(np.float64), 1e-7, 1 - 1e-7)),
                                 axis=1)))


def _binary_cross_entropy(p, y):
    p = np.clip(p.astype(np.float64).reshape(-1), 1e-7, 1 - 1e-7)
    return float(np.mean(-(y * np.log(p) + (1 - y) * np.log(1 - p))))


def run_on_mnist(name, monkeypatch, tmp_path) -> dict:
    """`run` with small MNIST files (300 training and 100 test images) where the script looks for them."""
    data = tmp_path / "data"
    write_mnist(data / "mnist", n_train=300, n_test=100)
    monkeypatch.setenv("MINIKERAS_DATA", str(data))
    return run(name, monkeypatch, tmp_path)


def test_mnist_mlp(monkeypatch, tmp_path, capsys):
    ns = run_on_mnist("mnist_mlp", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    assert "300 train samples" in out and "Test accuracy:" in out and "Total params: 669,706" in out
    model, score = ns["model"], ns["score"]
    assert isinstance(score, list) and len(score) == 2 and model.metrics_names == ["loss", "accuracy"]
    probabilities = model.predict(ns["x_test"], verbose=0)
    labels = ns["y_test"].argmax(axis=1)
    assert score[1] == pytest.approx(np.mean(probabilities.argmax(axis=1) == labels))
    assert score[0] == pytest.approx(_cross_entropy(probabilities, ns["y_test"]), rel=1e-5)
    history = ns["history"].history
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy"} and len(history["loss"]) == 2
    assert all(type(value) is float for values in history.values() for value in values)
    assert history["val_accuracy"][-1] == pytest.approx(score[1])


def test_binary_classifier(monkeypatch, tmp_path):
    ns = run("binary_classifier", monkeypatch, tmp_path)
    model, y_val, p = ns["model"], ns["y_val"], ns["probabilities"][:, 0]
    assert model.metrics_names == ["loss", "accuracy", "precision", "recall", "auc"]
    loss, accuracy, precision, recall, auc = ns["results"]
    predicted = p > 0.5
    assert accuracy == pytest.approx(np.mean(predicted == y_val))
    assert loss == pytest.approx(_binary_cross_entropy(p, y_val), rel=1e-5)
    assert precision == pytest.approx(np.sum(predicted & (y_val == 1)) / np.sum(predicted))
    assert recall == pytest.approx(np.sum(predicted & (y_val == 1)) / np.sum(y_val == 1))
    assert 0.85 < auc <= 1.0 and accuracy > 0.8
    # The bug this replaces: an untrained one-unit sigmoid model reported accuracy 1.0.
    untrained = ns["untrained"]["accuracy"]
    assert 0.2 < untrained < 0.8


def test_regression(monkeypatch, tmp_path):
    ns = run("regression", monkeypatch, tmp_path)
    y, predictions = ns["y"], ns["predictions"]
    assert predictions.shape == (500, 1)
    mae, mse, mae_metric = ns["test_mae"]
    assert mae == pytest.approx(np.mean(np.abs(predictions[:, 0] - y)), rel=1e-5)
    assert mse == pytest.approx(np.mean((predictions[:, 0] - y) ** 2), rel=1e-5)
    assert mae_metric == pytest.approx(mae, rel=1e-6)
    history = ns["history"].history
    assert history["val_mae"][-1] < 0.5 * np.mean(np.abs(y - y.mean()))  # learned beyond the mean


def test_freeze_and_inspect(monkeypatch, tmp_path, capsys):
    ns = run("freeze_and_inspect", monkeypatch, tmp_path)
    model = ns["model"]
    for before, after in zip(ns["frozen_before"], model.get_layer("base").get_weights()):
        np.testing.assert_array_equal(before, after)
    for before, after in zip(ns["bn_before"], model.layers[1].get_weights()):  # frozen BN: moving stats too
        np.testing.assert_array_equal(before, after)
    assert any(not np.array_equal(a, b) for a, b in zip(ns["head_before"], model.get_layer("head").get_weights()))
    np.testing.assert_allclose(ns["direct"], ns["predicted"], rtol=1e-6)
    assert ns["counts"] == (8, 2, 6, 32 * 11 + 4 * 32 + 3 * 33)
    out = capsys.readouterr().out
    assert "Trainable params: 99" in out and "Non-trainable params: 480" in out


def test_the_functional_api_guide(monkeypatch, tmp_path, capsys):
    ns = run_on_mnist("functional_api", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    assert "(None, 784) float32" in out and 'Model "mnist_model"' in out and "Connected to" in out
    assert (tmp_path / "my_first_model.png").stat().st_size > 0 and (tmp_path / "my_model.keras").exists()
    model, (loss, accuracy) = ns["model"], ns["test_scores"]
    logits = model.predict(ns["x_test"], verbose=0).astype(np.float64)
    log_p = logits - logits.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-log_p[np.arange(100), ns["y_test"]].mean(), rel=1e-5)
    assert accuracy == pytest.approx(np.mean(logits.argmax(axis=1) == ns["y_test"]))
    assert ns["reloaded_scores"] == pytest.approx(ns["test_scores"], rel=1e-6)
    x = ns["ensemble_inputs"]
    members = [m.predict(x, verbose=0) for m in (ns["model1"], ns["model2"], ns["model3"])]
    np.testing.assert_allclose(ns["ensemble_outputs"], np.mean(members, axis=0), rtol=1e-6)
    assert set(ns["ticket_history"].history) == {"loss", "priority_loss", "department_loss", "lr"}
    assert ns["ticket_model"].output_names == ["priority", "department"]
    assert ns["toy_resnet"].count_params() == 32 * 32 + 32 + 32 * 16 + 16 + 4 * (16 * 16 + 16) + 16 * 32 + 32 + 330
    assert [f.shape[1] for f in ns["features"]] == [32, 32, 16, 16, 16, 16, 16, 16, 16, 32, 32, 10]
    assert ns["encoded_input_a"].node.layer is ns["encoded_input_b"].node.layer


def test_subclassing_guide(monkeypatch, tmp_path):
    """keras.io's subclassing guide: custom layers, sublayers, add_loss, a VAE trained with fit."""
    ns = run_on_mnist("subclassing_guide", monkeypatch, tmp_path)
    np.testing.assert_array_equal(ns["sums"], [4.0, 4.0])  # two calls on ones((2, 2)) added 2 + 2 per column
    assert len(ns["mlp"].weights) == 6 and len(ns["mlp"].trainable_weights) == 6
    assert ns["kernel_penalty"] > 0  # 1e-3 * sum(kernel ** 2) of the inner Dense
    vae, history = ns["vae"], ns["history"].history
    assert len(history["loss"]) == 2 and history["loss"][1] < history["loss"][0]
    assert [layer.name for layer in vae.layers] == ["encoder", "decoder"]
    x = ns["x_train"][:32]
    reconstruction = vae.predict(x, verbose=0)
    assert reconstruction.shape == (32, 784) and np.all((reconstruction > 0) & (reconstruction < 1))
    assert np.isfinite(ns["add_loss_history"].history["loss"][0])  # compiled without a loss: add_loss alone


def test_mnist_convnet(monkeypatch, tmp_path, capsys):
    ns = run_on_mnist("mnist_convnet", monkeypatch, tmp_path)
    out = capsys.readouterr().out
    # keras.io's summary of this network: 34,826 parameters.
    assert "x_train shape: (300, 28, 28, 1)" in out and "Total params: 34,826" in out and "Test accuracy:" in out
    model, score = ns["model"], ns["score"]
    assert model.output_shape == (None, 10) and [layer.output.shape for layer in model.layers[:4]] == [
        (None, 26, 26, 32), (None, 13, 13, 32), (None, 11, 11, 64), (None, 5, 5, 64)]
    probabilities = model.predict(ns["x_test"], verbose=0)
    labels = ns["y_test"].argmax(axis=1)
    assert score[1] == pytest.approx(np.mean(probabilities.argmax(axis=1) == labels))
    assert score[0] == pytest.approx(_cross_entropy(probabilities, ns["y_test"]), rel=1e-5)
    assert len(ns["history"].history["val_accuracy"]) == 1
