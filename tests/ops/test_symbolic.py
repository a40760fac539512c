"""Ops on symbolic tensors (`minikeras.ops.symbolic`): a functional model built with
``ops.expand_dims(keras.Input(...))`` and operators computes, trains and saves as Keras' does."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk
from minikeras import ops

keras = pytest.importorskip("keras")


def with_ops(lib):
    inputs = lib.Input((6, 4))
    x = lib.ops.expand_dims(inputs, -1)
    x = lib.layers.Flatten()(x)
    x = lib.ops.tanh(x) * 2.0 - lib.ops.mean(x, axis=-1, keepdims=True)
    x = lib.ops.concatenate([x, x[:, :5]], axis=-1)
    outputs = lib.layers.Dense(3, activation="softmax")(lib.layers.Dense(8, activation="relu")(x))
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def _data():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((32, 6, 4)).astype("float32")
    return x, (x[:, 0, 0] > 0).astype(int) + (x[:, 1, 1] > 0)


def test_a_graph_with_ops_trains_as_in_keras():
    theirs, ours = with_ops(keras), with_ops(mk)
    assert [layer.name for layer in ours.layers] == ["input_layer", "expand_dims", "flatten", "tanh", "multiply",
                                                     "mean", "subtract", "get_item", "concatenate", "dense",
                                                     "dense_1"]
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_weights()])
    x, y = _data()
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
    their_loss = theirs.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    our_loss = ours.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0).history["loss"]
    np.testing.assert_allclose(our_loss, their_loss, rtol=2e-5)


def test_the_graph_passes_the_gradient_check_and_saves(tmp_path):
    model = with_ops(mk)
    x, y = _data()
    assert max(model.check_gradients(x[:6].astype("float64"), y[:6]).values()) < 1e-6
    model.save(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match="ops.expand_dims called on symbolic tensors"):
        model.save(tmp_path / "m.keras")


def test_static_facts_need_no_layer_and_files_name_only_ops():
    inputs = mk.Input((3, 5))
    assert ops.shape(inputs) == (None, 3, 5) and ops.ndim(inputs) == 3 and ops.dtype(inputs) == "float32"
    with pytest.raises(ValueError, match="Unknown op 'system'"):
        mk.layers.registry.from_config({"class_name": "OpLayer", "config": {"op": "system", "arguments": []}})
