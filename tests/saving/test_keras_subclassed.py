"""Subclassed models in ``.keras`` files, both ways: a registered `keras.Model` subclass minikeras
saves loads in Keras 3 (with the same class registered there) and the other way round; the
weights nest by attribute as Keras nests them."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk

keras = pytest.importorskip("keras")


def net_class(lib):
    layers = lib.layers

    @lib.saving.register_keras_serializable(package="InteropModels", name="Net")
    class Net(lib.Model):
        def __init__(self, hidden=4, **kwargs):
            super().__init__(**kwargs)
            self.hidden = hidden
            self.dense1 = layers.Dense(hidden, activation="relu")
            self.blocks = [layers.Dense(3), layers.Dense(2, activation="softmax")]

        def call(self, inputs):
            return self.blocks[1](self.blocks[0](self.dense1(inputs)))

        def get_config(self):
            return {**super().get_config(), "hidden": self.hidden}

    return Net


X = np.random.default_rng(1).standard_normal((6, 5)).astype("float32")


def test_keras_loads_a_subclassed_model_minikeras_saved(tmp_path):
    keras_net, ours = net_class(keras), net_class(mk)(hidden=6)
    ours(X[:2])
    ours.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    ours.save(tmp_path / "net.keras")
    theirs = keras.saving.load_model(tmp_path / "net.keras", custom_objects={"InteropModels>Net": keras_net})
    assert theirs.hidden == 6
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs.predict(X, verbose=0)), ours.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_minikeras_loads_a_subclassed_model_keras_saved(tmp_path):
    theirs = net_class(keras)(hidden=5)
    theirs(keras.ops.convert_to_tensor(X[:2]))
    theirs.save(tmp_path / "net.keras")
    net_class(mk)
    ours = mk.load_model(tmp_path / "net.keras")
    assert ours.hidden == 5
    np.testing.assert_allclose(ours.predict(X, verbose=0), keras.ops.convert_to_numpy(theirs.predict(X, verbose=0)),
                               rtol=1e-5, atol=1e-6)
