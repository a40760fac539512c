"""Building, weights, config, predict, evaluate, train_on_batch."""
import json

import numpy as np
import pytest

import minikeras as mk
from minikeras import initializers, layers, regularizers
from tests.conftest import blobs


def _design_pair():
    """The two equivalent nets of the README (the courses' add_layer and Keras' layer classes), at a small
    input width."""
    built = mk.Model(input_dim=12, seed=0)
    built.add_layer(6, "relu", batch_norm=True)
    built.add_layer(6, "relu", batch_norm=True, dropout=0.2)
    built.add_layer(3, "softmax")
    listed = mk.Sequential(input_dim=12, seed=0, layers=[
        layers.Dense(6, kernel_initializer=initializers.He()), layers.BatchNorm(), layers.ReLU(),
        layers.Dense(6, kernel_initializer="he"), layers.BatchNorm(), layers.ReLU(), layers.Dropout(0.2),
        layers.Dense(3, kernel_initializer=initializers.He()), layers.Softmax()])
    return built, listed


def test_add_layer_and_layer_list_build_the_same_net():
    built, listed = _design_pair()
    assert [type(layer) for layer in built.layers] == [type(layer) for layer in listed.layers]
    for a, b in zip(built.get_weights(), listed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_add_layer_options():
    model = mk.Model(seed=0)
    model.add_layer(4, "tanh", input_dim=3, kernel_initializer="xavier", l2=0.01, dropout=0.5)
    dense, tanh, dropout = model.layers
    assert isinstance(dense.kernel_regularizer, regularizers.L2) and dense.kernel_regularizer.l2 == 0.01
    assert isinstance(dense.kernel_initializer, initializers.Xavier)
    assert isinstance(tanh, layers.Tanh) and dropout.rate == 0.5
    model.add_layer(2, layers.Softmax)
    model.add_layer(2, layers.LeakyReLU(0.2))
    assert isinstance(model.layers[-1], layers.LeakyReLU) and model.layers[-1].negative_slope == 0.2


def test_layer_names_are_unique_and_readable():
    built, _ = _design_pair()
    names = [layer.name for layer in built.layers]
    assert names[:5] == ["dense", "batch_norm", "re_lu", "dense_1", "batch_norm_1"] and len(set(names)) == len(names)
    with pytest.raises(ValueError, match="unique"):
        mk.Model(input_dim=2, layers=[layers.Dense(2, name="a"), layers.Dense(2, name="a")])


def test_get_weights_order_and_set_weights():
    built, _ = _design_pair()
    shapes = [w.shape for w in built.get_weights()]
    assert shapes[:6] == [(12, 6), (6,), (6,), (6,), (6,), (6,)]
    new = [np.full_like(w, i) for i, w in enumerate(built.get_weights())]
    built.set_weights(new)
    for a, b in zip(built.get_weights(), new):
        np.testing.assert_array_equal(a, b)


def test_set_weights_checks_everything_before_changing_anything():
    built, _ = _design_pair()
    before = built.get_weights()
    wrong = [w.copy() + 1 for w in before]
    wrong[-1] = np.zeros(7)
    with pytest.raises(ValueError, match=r"'dense_2' weight 'bias'.*\(3,\).*\(7,\)"):
        built.set_weights(wrong)
    with pytest.raises(ValueError, match="expects 14 arrays"):
        built.set_weights(before[:-1])
    for a, b in zip(built.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip_is_json_and_rebuilds_the_same_model():
    built, _ = _design_pair()
    config = json.loads(json.dumps(built.get_config()))
    clone = mk.Model.from_config(config)
    assert clone.get_config() == built.get_config()
    for a, b in zip(built.get_weights(), clone.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_from_config_refuses_unknown_layer_classes():
    config = _design_pair()[0].get_config()
    config["layers"][0]["class_name"] = "os.system"
    with pytest.raises(ValueError, match="Unknown layer 'os.system'"):
        mk.Model.from_config(config)


def test_predict_is_batched_and_matches_one_pass():
    x, _ = blobs(n=2500, dim=5)
    model = mk.Model(input_dim=5, seed=1)
    model.add_layer(7, "relu", batch_norm=True)
    model.add_layer(3, "softmax")
    full = model.predict(x, batch_size=len(x))
    chunked = model.predict(x, batch_size=64)
    np.testing.assert_allclose(chunked, full, rtol=1e-6)
    assert chunked.shape == (2500, 3) and chunked.dtype == np.float32
    np.testing.assert_allclose(chunked.sum(axis=1), 1.0, rtol=1e-5)


def test_float64_model_runs_in_float64():
    model = mk.Model(input_dim=5, seed=0, dtype="float64")
    model.add_layer(4, "sigmoid")
    model.add_layer(3, "softmax")
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(np.ones((2, 5), dtype="float32")).dtype == np.float64


def test_train_on_batch_reports_the_pre_update_forward_pass():
    x, y = blobs(n=40)
    model = mk.Model(input_dim=5, seed=0)
    model.add_layer(3, "softmax", l2=0.1)
    model.compile(optimizer=mk.optimizers.SGD(0.5), metrics=["accuracy"])
    expected = model.evaluate(x, y, return_dict=True)
    logs = model.train_on_batch(x, y, return_dict=True)
    assert logs["loss"] == pytest.approx(expected["loss"], rel=1e-5)
    assert logs["accuracy"] == pytest.approx(expected["accuracy"])
    assert model.evaluate(x, y, return_dict=True)["loss"] < logs["loss"]


def test_evaluate_loss_includes_the_penalty():
    x, y = blobs(n=30)
    model = mk.Model(input_dim=5, seed=0, dtype="float64")
    model.add_layer(4, "relu", l2=0.3)
    model.add_layer(3, "softmax", l2=0.2)
    model.compile(metrics=["accuracy"])
    probs = model.predict(x)
    data_loss = -np.mean(np.log(probs[np.arange(30), y]))
    kernels = [layer.params["kernel"] for layer in model.layers if isinstance(layer, layers.Dense)]
    penalty = 0.3 * np.sum(kernels[0] ** 2) + 0.2 * np.sum(kernels[1] ** 2)
    assert model.evaluate(x, y, return_dict=True)["loss"] == pytest.approx(data_loss + penalty, rel=1e-10)


def test_summary_counts(capsys):
    built, _ = _design_pair()
    lines = []
    built.summary(print_fn=lines.append)
    text = "\n".join(lines)
    total = 12 * 6 + 6 + 4 * 6 + 6 * 6 + 6 + 4 * 6 + 6 * 3 + 3
    non_trainable = 2 * 6 * 2
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total - non_trainable:,}" in text
    assert f"Non-trainable params: {non_trainable:,}" in text
    assert "batch_norm_1 (BatchNorm)" in text and "(None, 6)" in text
    built.summary()
    assert "Total params" in capsys.readouterr().out


def test_input_shape_inferred_from_data():
    model = mk.Model(seed=0, layers=[layers.Flatten(), layers.Dense(4), layers.Softmax()])
    out = model.predict(np.ones((3, 2, 5), dtype="float32"))
    assert out.shape == (3, 4) and model.input_shape == (None, 2, 5) and model.sample_shape == (2, 5)


def test_compile_gives_each_model_its_own_optimizer_state():
    optimizer = mk.optimizers.Adam()
    first, second = _design_pair()
    first.compile(optimizer=optimizer)
    second.compile(optimizer=optimizer)
    assert first.optimizer is optimizer and second.optimizer is not optimizer
    assert second.optimizer.get_config() == optimizer.get_config()
