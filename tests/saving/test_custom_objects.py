"""Custom classes and functions in configs and files: loaded only when registered
(``register_keras_serializable``) or given as ``custom_objects``; nothing a file names is
imported or run."""
from __future__ import annotations

import json
import sys

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, ops


@mk.saving.register_keras_serializable(package="FileTests")
class Gain(layers.Layer):
    def __init__(self, initial=1.0, **kwargs):
        super().__init__(**kwargs)
        self.initial = initial

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, inputs):
        return inputs * self.gain * self.initial


@mk.saving.register_keras_serializable(package="FileTests")
def half_squares(y_true, y_pred):
    return 0.5 * ops.mean(ops.square(y_pred - y_true), axis=-1)


@mk.saving.register_keras_serializable(package="FileTests")
class Largest(mk.metrics.Metric):
    def __init__(self, name="largest", **kwargs):
        super().__init__(name=name, **kwargs)
        self.top = self.add_variable(shape=(), initializer="zeros", name="top")

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.top.assign(ops.maximum(self.top, ops.max(y_pred)))

    def result(self):
        return self.top


class Unregistered(layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 4)).astype("float32")
    return x, x[:, :2] * 0.5


def test_registered_names_and_lookups():
    assert mk.saving.get_registered_name(Gain) == "FileTests>Gain"
    assert mk.saving.get_registered_name(half_squares) == "FileTests>half_squares"
    assert mk.saving.get_registered_object("FileTests>Gain") is Gain
    assert mk.saving.get_custom_objects()["FileTests>Largest"] is Largest
    assert mk.saving.get_registered_object("Nothing") is None
    config = mk.saving.serialize_keras_object(Gain(2.0, name="g"))
    assert config["class_name"] == "FileTests>Gain" and config["config"]["initial"] == 2.0
    assert isinstance(mk.saving.deserialize_keras_object(config), Gain)


def test_a_model_of_registered_custom_objects_saves_and_resumes(tmp_path):
    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), Gain(0.5), layers.Dense(2)], seed=0)
    model.compile(optimizer="adam", loss=half_squares, metrics=[Largest()])
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5")
    assert isinstance(loaded.layers[0], Gain) and loaded.layers[0].initial == 0.5
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert model.fit(x, y, epochs=1, verbose=0).history == loaded.fit(x, y, epochs=1, verbose=0).history


def test_unregistered_classes_are_refused_until_given(tmp_path):
    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), Unregistered(), layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "m.h5")
    with pytest.raises(mk.ModelFileError, match="Unknown layer 'Unregistered'.*register_keras_serializable"):
        mk.load_model(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5", custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with mk.saving.custom_object_scope({"Unregistered": Unregistered}):
        assert isinstance(mk.models.model_from_json(model.to_json()).layers[0], Unregistered)


@pytest.mark.parametrize("name", ["os>system", "builtins>eval", "subprocess.Popen", "__import__"])
def test_a_file_naming_code_is_refused_and_nothing_is_imported(tmp_path, name):
    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), Gain(), layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss=half_squares)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["layers"][1]["class_name"] = name
        f.attrs["model_config"] = json.dumps(config)
        compile_config = json.loads(f.attrs["compile_config"])
        compile_config["loss"]["config"]["fn"] = name
        f.attrs["compile_config"] = json.dumps(compile_config)
    before = set(sys.modules)
    with pytest.raises(mk.ModelFileError, match=f"Unknown layer '{name}'"):
        mk.load_model(tmp_path / "m.h5")
    assert set(sys.modules) == before


def test_an_unregistered_loss_function_is_refused_by_name(tmp_path):
    def private_loss(y_true, y_pred):
        return ops.mean(ops.abs(y_pred - y_true), axis=-1)

    x, y = _data()
    model = mk.Sequential([mk.Input((4,)), layers.Dense(2)], seed=0)
    model.compile(optimizer="sgd", loss=private_loss)
    model.fit(x, y, verbose=0)
    model.save(tmp_path / "m.h5")
    with pytest.raises(mk.ModelFileError, match="Unknown loss function 'private_loss'"):
        mk.load_model(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5", custom_objects={"private_loss": private_loss})
    assert loaded.evaluate(x, y, verbose=0) == pytest.approx(model.evaluate(x, y, verbose=0))
    uncompiled = mk.load_model(tmp_path / "m.h5", compile=False)
    assert not uncompiled.compiled


def test_safe_mode_cannot_be_switched_off(tmp_path):
    with pytest.raises(ValueError, match="safe_mode=False would allow running code"):
        mk.load_model(tmp_path / "any.h5", safe_mode=False)


def test_the_functional_guide_rebuilds_a_model_of_custom_layers_from_its_config():
    class CustomDense(layers.Layer):  # keras.io's functional API guide
        def __init__(self, units=32):
            super().__init__()
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal")
            self.b = self.add_weight(shape=(self.units,), initializer="random_normal")

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

        def get_config(self):
            return {"units": self.units}

    inputs = mk.Input((4,))
    model = mk.Model(inputs, CustomDense(10)(inputs))
    config = model.get_config()
    with pytest.raises(ValueError, match="Unknown layer 'CustomDense'"):
        mk.Model.from_config(config)
    rebuilt = mk.Model.from_config(config, custom_objects={"CustomDense": CustomDense})
    assert isinstance(rebuilt.layers[1], CustomDense) and rebuilt.layers[1].units == 10
    assert rebuilt.predict(np.ones((2, 4)), verbose=0).shape == (2, 10)
