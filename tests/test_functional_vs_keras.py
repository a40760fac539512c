"""Keras 3 (PyTorch backend) as the oracle of the functional API: the same script builds the same
graph in both libraries (only the import differs), both start from Keras' weights and train on
the same batches; histories, evaluations, predictions and weights agree to float32 rounding."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk

keras = pytest.importorskip("keras")

N, BATCH, EPOCHS = 48, 16, 3


def functional_mlp(lib):
    inputs = lib.Input(shape=(6,), name="features")
    x = lib.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = lib.layers.Dense(3, activation="softmax", name="classes")(x)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def residual(lib):
    inputs = lib.Input(shape=(6,), name="features")
    h = lib.layers.Dense(8, activation="tanh", name="stem")(inputs)
    block = lib.layers.Dense(8, activation="relu", name="block_1")(h)
    block = lib.layers.Dense(8, name="block_2")(block)
    h = lib.layers.Add(name="skip")([h, block])
    outputs = lib.layers.Dense(3, activation="softmax", name="classes")(h)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def two_inputs(lib):
    wide, deep = lib.Input(shape=(4,), name="wide"), lib.Input(shape=(6,), name="deep")
    d = lib.layers.Dense(8, activation="relu", name="deep_1")(deep)
    merged = lib.layers.concatenate([wide, d], name="join")
    outputs = lib.layers.Dense(1, name="estimate")(merged)
    model = lib.Model(inputs=[wide, deep], outputs=outputs)
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="mse", metrics=["mae"])
    return model


def two_outputs(lib):
    inputs = lib.Input(shape=(6,), name="features")
    shared = lib.layers.Dense(8, activation="relu", name="trunk")(inputs)
    digit = lib.layers.Dense(3, activation="softmax", name="digit")(shared)
    size = lib.layers.Dense(1, name="size")(shared)
    model = lib.Model(inputs, [digit, size])
    model.compile(optimizer=lib.optimizers.SGD(0.05),
                  loss={"digit": "sparse_categorical_crossentropy", "size": "mse"},
                  loss_weights={"digit": 1.0, "size": 0.3},
                  metrics={"digit": ["accuracy"], "size": ["mae"]})
    return model


def shared_layer(lib):
    left, right = lib.Input(shape=(6,), name="left"), lib.Input(shape=(6,), name="right")
    encoder = lib.layers.Dense(5, activation="tanh", name="encoder")
    difference = lib.layers.Subtract(name="difference")([encoder(left), encoder(right)])
    product = lib.layers.Multiply(name="product")([encoder(left), encoder(right)])
    both = lib.layers.Concatenate(name="both")([difference, product])
    outputs = lib.layers.Dense(1, activation="sigmoid", name="same")(both)
    model = lib.Model([left, right], outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def nested_model(lib):
    tower_in = lib.Input(shape=(6,), name="tower_in")
    tower = lib.Model(tower_in, lib.layers.Dense(4, activation="relu", name="tower_dense")(tower_in), name="tower")
    left, right = lib.Input(shape=(6,), name="left"), lib.Input(shape=(6,), name="right")
    joined = lib.layers.Concatenate(name="join")([tower(left), tower(right)])
    outputs = lib.layers.Dense(3, activation="softmax", name="classes")(joined)
    model = lib.Model([left, right], outputs)
    model.compile(optimizer=lib.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def _data(builder):
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((N, 6)).astype("float32"), rng.standard_normal((N, 6)).astype("float32")
    classes = (a[:, 0] > 0).astype(int) + (a[:, 1] > 0.5)
    if builder is two_inputs:
        return [a[:, :4], b], (a[:, :1] + 2 * b[:, 1:2]).astype("float32")
    if builder is two_outputs:
        return a, {"digit": classes, "size": a[:, 2:3] * 3}
    if builder is shared_layer:
        return [a, b], (classes == (b[:, 0] > 0)).astype("float32")[:, None]
    if builder is nested_model:
        return [a, b], classes
    return a, classes


def _leaves(model):
    for layer in model.layers:
        if hasattr(layer, "layers"):
            yield from _leaves(layer)
        elif layer.weights:
            yield layer


def _copy_weights(theirs, ours):
    mine = {layer.name: layer for layer in ours.leaf_layers()}
    for layer in _leaves(theirs):
        mine[layer.name].set_weights([keras.ops.convert_to_numpy(w) for w in layer.get_weights()])


def _numpy(value):
    if isinstance(value, dict):
        return {key: _numpy(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_numpy(item) for item in value]
    return keras.ops.convert_to_numpy(value)


def _listed(outputs):
    return outputs if isinstance(outputs, list) else [outputs]


@pytest.mark.parametrize("builder", [functional_mlp, residual, two_inputs, two_outputs, shared_layer, nested_model])
def test_the_same_script_trains_the_same_in_keras_and_here(builder):
    keras.utils.set_random_seed(0)
    theirs, ours = builder(keras), builder(mk)
    _copy_weights(theirs, ours)
    x, y = _data(builder)
    for mine, expected in zip(_listed(ours.predict(x, verbose=0)), _listed(_numpy(theirs.predict(x, verbose=0)))):
        np.testing.assert_allclose(mine, expected, rtol=1e-5, atol=1e-6)
    their_history = theirs.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
    assert set(our_history) - {"lr"} == set(their_history) - {"learning_rate"}
    for key, values in their_history.items():
        if key != "learning_rate":
            np.testing.assert_allclose(our_history[key], values, rtol=2e-5, atol=1e-6, err_msg=key)
    mine = {layer.name: layer for layer in ours.leaf_layers()}
    for their_layer in _leaves(theirs):
        for theirs_w, ours_w in zip(their_layer.get_weights(), mine[their_layer.name].get_weights()):
            np.testing.assert_allclose(ours_w, _numpy(theirs_w), rtol=1e-4, atol=1e-6, err_msg=their_layer.name)
    their_eval = theirs.evaluate(x, y, verbose=0, return_dict=True)
    our_eval = ours.evaluate(x, y, verbose=0, return_dict=True)
    assert our_eval == pytest.approx({key: float(value) for key, value in their_eval.items()}, rel=2e-5, abs=1e-6)
