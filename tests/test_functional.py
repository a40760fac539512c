"""The functional API: building graphs, their errors, training with several inputs and outputs,
shared layers, nested models and files (the Keras oracle: tests/test_functional_vs_keras.py)."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from tests.conftest import blobs


def _residual(seed=0, dtype=None):
    inputs = mk.Input(shape=(5,), name="x")
    h = layers.Dense(8, activation="tanh", name="first")(inputs)
    block = layers.Dense(8, activation="tanh", name="block")(h)
    out = layers.Dense(3, activation="softmax", name="out")(layers.Add(name="skip")([h, block]))
    return mk.Model(inputs, out, seed=seed, dtype=dtype)


def _two_in_two_out(seed=0):
    a, b = mk.Input(shape=(4,), name="a"), mk.Input(shape=(3,), name="b")
    h = layers.Dense(6, activation="relu", name="trunk")(layers.Concatenate(name="join")([a, b]))
    out_a = layers.Dense(2, name="out_a")(h)
    out_b = layers.Dense(3, activation="softmax", name="out_b")(h)
    return mk.Model([a, b], [out_a, out_b], seed=seed)


def _two_data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    xa, xb = rng.standard_normal((n, 4)).astype("float32"), rng.standard_normal((n, 3)).astype("float32")
    return xa, xb, (xa[:, :2] + xb[:, :1]).astype("float32"), (xa[:, 0] > 0).astype(int) + (xb[:, 0] > 0)


# -- building ------------------------------------------------------------------------------------
def test_input_is_a_symbolic_tensor_and_layer_calls_infer_shapes():
    x = mk.Input(shape=(28, 28), name="image")
    assert isinstance(x, mk.KerasTensor) and x.shape == (None, 28, 28) and x.dtype == "float32"
    flat = layers.Flatten()(x)
    assert flat.shape == (None, 784)
    assert layers.Dense(10, activation="glu")(flat).shape == (None, 5)  # through every step
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(x)


def test_model_lists_layers_inputs_and_outputs_as_keras_does():
    model = _residual()
    assert [layer.name for layer in model.layers] == ["x", "first", "block", "skip", "out"]
    assert type(model.layers[0]).__name__ == "InputLayer"
    assert model.input_shape == (None, 5) and model.output_shape == (None, 3)
    assert model.get_layer("skip").input == [model.get_layer("first").output, model.get_layer("block").output]
    assert model.get_layer("out").output is model.outputs[0] is model.output
    assert isinstance(model, mk.models.Functional) and isinstance(model, mk.Model)
    assert not isinstance(mk.Model(input_dim=3), mk.models.Functional)


def test_summary_shows_what_each_layer_reads():
    lines = []
    _residual().summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text and "first[0][0]" in text and "block[0][0]" in text


def test_model_called_on_arrays_lists_and_dicts():
    model = _two_in_two_out()
    xa, xb, _, _ = _two_data(5)
    by_list = model([xa, xb])
    by_dict = model({"a": xa, "b": xb})
    assert [o.shape for o in by_list] == [(5, 2), (5, 3)]
    for first, second, third in zip(by_list, by_dict, model.predict([xa, xb], verbose=0)):
        np.testing.assert_allclose(first, second)
        np.testing.assert_allclose(first, third, rtol=1e-6)
    named = mk.Model({"a": model.inputs[0], "b": model.inputs[1]}, {"reg": model.outputs[0], "cls": model.outputs[1]})
    predicted = named.predict({"a": xa, "b": xb}, verbose=0)
    assert set(predicted) == {"reg", "cls"}
    np.testing.assert_allclose(predicted["reg"], by_list[0], rtol=1e-6)


# -- errors -------------------------------------------------------------------------------------
def test_building_mistakes_name_the_layers_and_shapes():
    a, b = mk.Input(shape=(4,)), mk.Input(shape=(5,))
    with pytest.raises(ValueError, match=r"Add.*\[\(4,\), \(5,\)\]"):
        layers.Add()([a, b])
    with pytest.raises(ValueError, match=r"Concatenate\(axis=-1\).*except along"):
        layers.Concatenate()([mk.Input(shape=(2, 3)), mk.Input(shape=(3, 3))])
    with pytest.raises(ValueError, match="takes a list of tensors"):
        layers.Add()(a)
    with pytest.raises(ValueError, match="takes one tensor"):
        layers.Dense(3)([a, b])
    assert layers.Dense(3)(mk.Input(shape=(2, 3))).shape == (None, 2, 3)  # Keras maps the last axis
    with pytest.raises(ValueError, match=r"Reshape.*per-sample shape \(2, 3\).*Cannot reshape"):
        layers.Reshape((4,))(mk.Input(shape=(2, 3)))
    shared = layers.Dense(3, name="shared")
    shared(a)
    with pytest.raises(ValueError, match=r"'shared'.*is shared.*\(4,\).*\(5,\)"):
        shared(b)
    with pytest.raises(TypeError, match="mix of symbolic tensors"):
        layers.Add()([a, np.ones((1, 4))])


def test_graph_mistakes_are_refused_when_the_model_is_made():
    a, b = mk.Input(shape=(4,), name="a"), mk.Input(shape=(4,), name="b")
    out = layers.Dense(2)(a)
    with pytest.raises(ValueError, match="not connected to the model's inputs.*'b'"):
        mk.Model(a, layers.Add()([out, layers.Dense(2)(b)]))
    with pytest.raises(ValueError, match=r"input\(s\).*reach no output"):
        mk.Model([a, b], out)
    with pytest.raises(ValueError, match="same tensor twice"):
        mk.Model([a, a], out)
    with pytest.raises(TypeError, match="symbolic tensors"):
        mk.Model(a, np.ones((2, 2)))
    with pytest.raises(ValueError, match="must be keras.Input"):
        mk.Model(out, layers.Dense(1)(out))
    x = mk.Input(shape=(3,))
    twins = layers.Dense(2, name="twin")(layers.Dense(2, name="twin")(x))
    with pytest.raises(ValueError, match="unique.*'twin'"):
        mk.Model(x, twins)


def test_data_and_compile_mistakes_say_what_was_expected():
    model = _two_in_two_out()
    xa, xb, y_reg, y_cls = _two_data()
    with pytest.raises(ValueError, match=r"compile loss must hold one entry for each.*\['out_a', 'out_b'\]"):
        model.compile(loss=["mse"])
    with pytest.raises(ValueError, match=r"names outputs \['nope'\]"):
        model.compile(loss={"nope": "mse"})
    model.compile(loss=["mse", "sparse_categorical_crossentropy"])
    with pytest.raises(ValueError, match=r"x must hold one entry for each of the model's 2 \['a', 'b'\]"):
        model.fit(xa, [y_reg, y_cls], verbose=0)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model.fit({"a": xa}, [y_reg, y_cls], verbose=0)
    with pytest.raises(ValueError, match="as many samples"):
        model.fit([xa, xb[:-1]], [y_reg, y_cls], verbose=0)
    with pytest.raises(ValueError, match=r"x\['b'\] must have shape \(N, 3\)"):
        model.fit([xa, xa], [y_reg, y_cls], verbose=0)
    with pytest.raises(ValueError, match="class_weight is only supported for models with a single output"):
        model.fit([xa, xb], [y_reg, y_cls], class_weight={0: 1.0}, verbose=0)


# -- training ------------------------------------------------------------------------------------
def test_several_outputs_log_as_keras_and_the_total_is_the_weighted_sum():
    model = _two_in_two_out()
    xa, xb, y_reg, y_cls = _two_data()
    model.compile(optimizer="sgd", loss={"out_a": "mse", "out_b": "sparse_categorical_crossentropy"},
                  loss_weights={"out_a": 0.5, "out_b": 2.0}, metrics={"out_a": ["mae"], "out_b": ["accuracy"]})
    history = model.fit({"a": xa, "b": xb}, {"out_a": y_reg, "out_b": y_cls}, epochs=2, verbose=0,
                        validation_split=0.25)
    expected = {"loss", "out_a_loss", "out_b_loss", "out_a_mae", "out_b_accuracy"}
    assert set(history.history) == expected | {f"val_{key}" for key in expected} | {"lr"}
    result = model.evaluate([xa, xb], [y_reg, y_cls], return_dict=True, verbose=0)
    assert result["loss"] == pytest.approx(0.5 * result["out_a_loss"] + 2.0 * result["out_b_loss"], rel=1e-5)
    listed = model.evaluate([xa, xb], [y_reg, y_cls], verbose=0)
    assert model.metrics_names == ["loss", "out_a_loss", "out_b_loss", "out_a_mae", "out_b_accuracy"]
    assert listed == pytest.approx([result[name] for name in model.metrics_names])
    reg, cls = model.predict([xa, xb], verbose=0)
    assert result["out_a_mae"] == pytest.approx(np.abs(reg - y_reg).mean(), rel=1e-5)
    assert result["out_b_accuracy"] == pytest.approx((cls.argmax(1) == y_cls).mean())


def test_per_output_sample_weights_weigh_only_their_output():
    model = _two_in_two_out()
    xa, xb, y_reg, y_cls = _two_data()
    model.compile(loss=["mse", "sparse_categorical_crossentropy"])
    plain = model.evaluate([xa, xb], [y_reg, y_cls], return_dict=True, verbose=0)
    weights = np.where(np.arange(40) < 20, 2.0, 0.0)
    weighted = model.evaluate([xa, xb], [y_reg, y_cls], sample_weight={"out_a": weights}, return_dict=True, verbose=0)
    assert weighted["out_b_loss"] == pytest.approx(plain["out_b_loss"])
    reg = model.predict([xa, xb], verbose=0)[0]
    expected = (((reg - y_reg) ** 2).mean(axis=1) * weights).mean()
    assert weighted["out_a_loss"] == pytest.approx(expected, rel=1e-5)


def test_a_fan_out_graph_and_a_shared_layer_pass_the_gradient_check():
    x, y = blobs(12, dim=5)
    assert max(_residual(dtype="float64").check_gradients(x, y).values()) < 1e-6
    left, right = mk.Input(shape=(5,)), mk.Input(shape=(5,))
    shared = layers.Dense(4, activation="tanh", name="shared")
    diff = layers.Subtract()([shared(left), shared(right)])
    merged = layers.Multiply()([diff, shared(left)])  # a third call, and a tensor read twice
    model = mk.Model([left, right], layers.Dense(3, activation="softmax")(merged), seed=0, dtype="float64")
    model.compile()
    model.fit([x, x[::-1]], y, epochs=1, verbose=0)
    errors = model.check_gradients([x, x[::-1].copy()], y)
    assert set(errors) == {"shared/kernel", "shared/bias", "dense/kernel", "dense/bias"}
    assert max(errors.values()) < 1e-6
    assert model.count_params() == 5 * 4 + 4 + 4 * 3 + 3  # the shared layer counts once


def test_a_shared_layer_gets_the_sum_of_its_calls_gradients():
    x = mk.Input(shape=(3,))
    shared = layers.Dense(3, use_bias=False, kernel_initializer="identity", name="shared")
    twice = mk.Model(x, shared(shared(x)), seed=0, dtype="float64")
    twice.compile(optimizer=mk.optimizers.SGD(0.1), loss="mse")
    data = np.random.default_rng(0).standard_normal((8, 3))
    target = data * 2
    engine = twice.engine
    batch = engine.dataset(data, target)
    engine.compute_gradients(batch.x, batch.targets, batch.weights)
    (gradient,) = engine.gradients()
    # y = x W W with W = I: dL/dW = x^T g W^T + W^T x^T g = 2 x^T g, g = 2 (y - t) / (N * 3)
    g = 2 * (data - target) / (8 * 3)
    np.testing.assert_allclose(gradient, 2 * data.T @ g, rtol=1e-12)


def test_trained_layers_reused_in_a_second_model_share_their_weights():
    inputs = mk.Input(shape=(5,))
    code_layer = layers.Dense(2, activation="relu", name="code")
    code = code_layer(inputs)
    autoencoder = mk.Model(inputs, layers.Dense(5)(code), seed=0)
    autoencoder.compile(optimizer="adam", loss="mse")
    x, y = blobs(60, dim=5)
    autoencoder.fit(x, x, epochs=2, verbose=0)
    encoder = mk.Model(inputs, code)
    np.testing.assert_array_equal(encoder.predict(x, verbose=0), np.maximum(x @ code_layer.kernel.numpy()
                                                                            + code_layer.bias.numpy(), 0))
    head_input = mk.Input(shape=(5,))
    classifier = mk.Model(head_input, layers.Dense(3, activation="softmax")(encoder(head_input)), seed=1)
    assert [type(layer).__name__ for layer in classifier.layers] == ["InputLayer", "Functional", "Dense"]
    classifier.compile(optimizer="sgd")
    before = code_layer.kernel.numpy()
    classifier.fit(x, y, epochs=1, verbose=0)
    assert not np.array_equal(code_layer.kernel.numpy(), before)  # trained through the nested model
    trained = code_layer.kernel.numpy()
    autoencoder.fit(x, x, epochs=1, verbose=0)  # the first model trains on from the shared values
    assert not np.array_equal(code_layer.kernel.numpy(), trained)
    np.testing.assert_array_equal(encoder.get_weights()[0], code_layer.kernel.numpy())
    stack = mk.Sequential([mk.Input(shape=(5,)), code_layer, layers.Dense(3, activation="softmax")])
    assert stack.layers[0] is code_layer
    np.testing.assert_array_equal(stack.predict(x, verbose=0)[:0], np.zeros((0, 3)))


def test_a_sequential_model_is_a_layer_of_a_functional_one(tmp_path):
    tower = mk.Sequential([mk.Input(shape=(5,)), layers.Dense(4, activation="relu")], name="tower", seed=0)
    left, right = mk.Input(shape=(5,)), mk.Input(shape=(5,))
    joined = layers.Concatenate()([tower(left), tower(right)])
    model = mk.Model([left, right], layers.Dense(3, activation="softmax")(joined), seed=1, dtype="float32")
    x, y = blobs(30, dim=5)
    model.compile(optimizer="adam", metrics=["accuracy"])
    history = model.fit([x, x], y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.count_params() == 5 * 4 + 4 + 8 * 3 + 3
    assert [layer.name for layer in model.leaf_layers()].count("dense") == 2  # the tower's and the outer one
    model.save(tmp_path / "nested.h5")  # one name twice: the file keeps both, and resumes exactly
    loaded = mk.load_model(tmp_path / "nested.h5")
    for resumed in (model, loaded):
        resumed.fit([x, x], y, epochs=1, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


# -- files ---------------------------------------------------------------------------------------
def test_config_and_json_round_trips_rebuild_the_graph():
    model = _two_in_two_out()
    config = json.loads(json.dumps(model.get_config()))
    again = mk.Model.from_config(config)
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]
    again.set_weights(model.get_weights())
    xa, xb, _, _ = _two_data(6)
    for ours, theirs in zip(model.predict([xa, xb], verbose=0), again.predict([xa, xb], verbose=0)):
        np.testing.assert_array_equal(ours, theirs)
    rebuilt = mk.models.model_from_json(model.to_json())
    assert rebuilt.get_config()["layers"] == model.get_config()["layers"]


def test_a_graph_saved_mid_training_resumes_exactly(tmp_path):
    xa, xb, y_reg, y_cls = _two_data(48)

    def fresh():
        model = _two_in_two_out(seed=3)
        model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], loss_weights=[1.0, 0.3],
                      metrics=[["mae"], ["accuracy"]])
        return model

    straight = fresh()
    straight.fit([xa, xb], [y_reg, y_cls], epochs=4, batch_size=8, verbose=0)
    halves = fresh()
    halves.fit([xa, xb], [y_reg, y_cls], epochs=2, batch_size=8, verbose=0)
    halves.save(tmp_path / "graph.h5")
    loaded = mk.load_model(tmp_path / "graph.h5")
    assert loaded.loss_weights == [1.0, 0.3] and [m.name for m in loaded.metrics][-2:] == ["out_a_mae",
                                                                                            "out_b_accuracy"]
    loaded.fit([xa, xb], [y_reg, y_cls], epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    for ours, theirs in zip(straight.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_a_shared_layer_graph_round_trips_through_every_file(tmp_path):
    left, right = mk.Input(shape=(4,), name="left"), mk.Input(shape=(4,), name="right")
    shared = layers.Dense(3, activation="relu", name="shared")
    out = layers.Dense(2, activation="softmax", name="out")(layers.Average()([shared(left), shared(right)]))
    model = mk.Model([left, right], out, seed=0)
    x = [np.random.default_rng(k).standard_normal((5, 4)).astype("float32") for k in (1, 2)]
    for name in ("m.h5", "m.keras"):
        model.save(tmp_path / name)
        loaded = mk.load_model(tmp_path / name)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
        assert loaded.count_params() == model.count_params()


def _small_config():
    x = mk.Input(shape=(3,), name="x")
    h = layers.Dense(4, name="a")(x)
    out = layers.Dense(2, name="b")(layers.Add(name="sum")([h, layers.Dense(4, name="c")(h)]))
    return mk.Model(x, out).get_config()


@pytest.mark.parametrize("change, message", [
    (lambda c: c["layers"][1]["inbound_nodes"][0].update(reads=[["b", 0, 0]]), "circle"),
    (lambda c: c["layers"][1]["inbound_nodes"][0].update(reads=[["nowhere", 0, 0]]), "no layer makes"),
    (lambda c: c["layers"][1]["inbound_nodes"][0].update(reads=[["c", 7, 0]]), "no layer makes"),
    (lambda c: c["layers"][2].update(name="a"), "unique 'name'"),
    (lambda c: c.update(output_layers=[["b", 3, 0]]), "must name layers it defines"),
    (lambda c: c["layers"][1]["inbound_nodes"][0].update(reads=["a"]), r"\[layer name, call number, 0\]"),
    (lambda c: c["layers"][1].update(class_name="os.system"), "Unknown layer"),
])
def test_a_broken_or_hostile_graph_config_is_refused_with_the_reason(change, message):
    config = _small_config()
    change(config)
    with pytest.raises(ValueError, match=message):
        mk.Model.from_config(config)


def test_a_long_chain_listed_backwards_rebuilds_quickly_without_recursion():
    x = mk.Input(shape=(2,), name="x")
    h = x
    for _ in range(3000):
        h = layers.Identity()(h)
    config = mk.Model(x, h).get_config()
    config["layers"] = config["layers"][:1] + config["layers"][1:][::-1]
    assert len(mk.Model.from_config(config).layers) == 3001


def test_callbacks_watch_per_output_logs_of_a_graph(tmp_path):
    model = _two_in_two_out(seed=1)
    model.compile(optimizer="adam", loss=["mse", "sparse_categorical_crossentropy"], metrics=[[], ["accuracy"]])
    xa, xb, y_reg, y_cls = _two_data(64)
    checkpoint = mk.callbacks.ModelCheckpoint(tmp_path / "best.h5", monitor="val_out_b_loss", save_best_only=True)
    stop = mk.callbacks.EarlyStopping(monitor="val_out_a_loss", patience=1, restore_best_weights=True)
    history = model.fit([xa, xb], [y_reg, y_cls], validation_data=([xa, xb], [y_reg, y_cls]), epochs=30,
                        callbacks=[checkpoint, stop], verbose=0)
    best = int(np.argmin(history.history["val_out_b_loss"]))
    saved = mk.load_model(tmp_path / "best.h5")
    assert saved.epoch == best + 1
    result = saved.evaluate([xa, xb], [y_reg, y_cls], return_dict=True, verbose=0)
    assert result["out_b_loss"] == pytest.approx(history.history["val_out_b_loss"][best], rel=1e-5)


def test_a_feature_extractor_cut_from_a_sequential_model_as_keras_io_shows():
    stack = mk.Sequential([mk.Input(shape=(5,)), layers.Dense(8, activation="relu", name="hidden"),
                           layers.Dense(3, activation="softmax", name="classes")], seed=0)
    x, y = blobs(40, dim=5)
    stack.compile(optimizer="adam")
    stack.fit(x, y, epochs=2, verbose=0)
    assert stack.inputs[0].shape == (None, 5) and stack.output is stack.get_layer("classes").output
    extractor = mk.Model(inputs=stack.inputs, outputs=[layer.output for layer in stack.layers])
    hidden, classes = extractor.predict(x, verbose=0)
    kernel, bias = stack.get_layer("hidden").get_weights()
    np.testing.assert_allclose(hidden, np.maximum(x @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(classes, stack.predict(x, verbose=0), rtol=1e-6)
    later = mk.Sequential([layers.Dense(4)])
    later.build((None, 5))
    assert later.output.shape == (None, 4)


def test_merge_layers_also_compute_on_arrays_as_keras_layers_do():
    a, b = np.ones((2, 3), "float32"), np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(layers.add([mk.Input(shape=(3,)), mk.Input(shape=(3,))]).shape, (None, 3))
    np.testing.assert_array_equal(layers.Add()([a, b]), a + b)
    np.testing.assert_array_equal(layers.Concatenate()([a, b]), np.concatenate([a, b], axis=1))
    np.testing.assert_allclose(layers.Dot(axes=1)([a, b]), (a * b).sum(axis=1, keepdims=True))
