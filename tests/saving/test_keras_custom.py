"""Layers written Keras' way in ``.keras`` files, both ways: minikeras writes what Keras 3 loads
(with the same class registered on its side) and reads what Keras writes, nested sublayer weights
included; an unregistered class is refused."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk

keras = pytest.importorskip("keras")


def block_class(lib):
    """One custom layer, written once against `lib` and registered there as ``Interop>Block``."""
    layers = lib.layers

    @lib.saving.register_keras_serializable(package="Interop", name="Block")
    class Block(layers.Layer):
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.inner = layers.Dense(units, activation="tanh")
            self.items = [layers.Dense(4), layers.Dense(units)]

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(input_shape[-1],), initializer="random_normal", name="scale")

        def call(self, inputs):
            return self.items[1](self.items[0](self.inner(inputs * self.scale)))

        def get_config(self):
            return {**super().get_config(), "units": self.units}

    return Block


def functional(lib, block):
    inputs = lib.Input((5,))
    hidden = block(3)(inputs)
    return lib.Model(inputs, lib.layers.Dense(2, name="head")(hidden))


def sequential(lib, block):
    return lib.Sequential([lib.Input((5,)), block(4), lib.layers.Dense(2)])


X = np.random.default_rng(0).standard_normal((6, 5)).astype("float32")


@pytest.mark.parametrize("build", [functional, sequential])
def test_keras_loads_a_custom_layer_minikeras_saved(tmp_path, build):
    keras_block, ours = block_class(keras), build(mk, block_class(mk))
    ours.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", custom_objects={"Interop>Block": keras_block})
    np.testing.assert_allclose(keras.ops.convert_to_numpy(loaded.predict(X, verbose=0)), ours.predict(X, verbose=0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("build", [functional, sequential])
def test_minikeras_loads_a_custom_layer_keras_saved(tmp_path, build):
    theirs = build(keras, block_class(keras))
    theirs.save(tmp_path / "m.keras")
    block_class(mk)  # registered here under the same name
    loaded = mk.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(X, verbose=0), keras.ops.convert_to_numpy(theirs.predict(X, verbose=0)),
                               rtol=1e-5, atol=1e-6)


def test_an_unregistered_custom_layer_in_a_keras_file_is_refused(tmp_path):
    class Lonely(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 2.0

    inputs = keras.Input((5,))
    keras.Model(inputs, Lonely()(inputs)).save(tmp_path / "m.keras")
    with pytest.raises(mk.ModelFileError, match="Unknown layer 'Lonely'.*register_keras_serializable"):
        mk.load_model(tmp_path / "m.keras")
