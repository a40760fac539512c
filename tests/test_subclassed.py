"""Subclassed models (`minikeras.subclassed`): built by their first call, trained, summarized,
saved and loaded (registered classes only), and their clear errors."""
from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, ops


@mk.saving.register_keras_serializable(package="Tests")
class TwoLayerNet(mk.Model):
    def __init__(self, hidden=8, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(hidden, activation="tanh")
        # a model as an attribute (its dtype is its own, as in Keras)
        self.encoder = mk.Sequential([layers.Dense(hidden, activation="relu")], dtype=self.dtype.name)
        self.out = layers.Dense(classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.encoder(self.hidden(inputs))
        self.add_loss(1e-3 * ops.mean(ops.square(x)))
        return self.out(x)


class Unregistered(mk.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(2)

    def call(self, inputs):
        return self.dense(inputs)


class WithObjectArgument(mk.Model):
    def __init__(self, layer, **kwargs):
        super().__init__(**kwargs)
        self.inner = layer

    def call(self, inputs):
        return self.inner(inputs)


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((60, 5)).astype("float32")
    return x, (x[:, 0] > 0).astype(int) + (x[:, 1] > 0)


def _trained(**fit):
    x, y = _data()
    model = TwoLayerNet(seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=4, batch_size=16, verbose=0, **fit)
    return model, history, x, y


def test_fit_evaluate_predict_and_summary(capsys):
    model, history, x, y = _trained()
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Sequential", "Dense"]
    assert model.predict(x, verbose=0).shape == (60, 3)
    loss, accuracy = model.evaluate(x, y, verbose=0)
    probabilities = model.predict(x, verbose=0).astype(np.float64)
    data_loss = -np.mean(np.log(probabilities[np.arange(60), y]))
    assert loss == pytest.approx(data_loss + float(model.losses[0]), rel=1e-4)
    model.summary()
    assert "two_layer_net" in capsys.readouterr().out
    assert model.count_params() == 5 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3


def test_gradients_through_a_model_held_as_an_attribute_pass_the_check():
    x, y = _data()
    model = TwoLayerNet(dtype="float64", seed=1)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    errors = model.check_gradients(x[:8].astype("float64"), y[:8])
    assert len(errors) == 6 and max(errors.values()) < 1e-6


def test_save_and_load_resume_exactly(tmp_path):
    model, _, x, y = _trained()
    model.save(tmp_path / "net.h5")
    loaded = mk.load_model(tmp_path / "net.h5")
    assert type(loaded) is TwoLayerNet and loaded.get_config() == {"seed": 0}
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    after = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"]
    resumed = loaded.fit(x, y, epochs=1, batch_size=16, verbose=0).history["loss"]
    assert resumed == after


def test_weights_files_load_into_a_fresh_instance(tmp_path):
    model, _, x, _ = _trained()
    model.save_weights(tmp_path / "net.weights.h5")
    fresh = TwoLayerNet()
    fresh(x[:1])
    fresh.load_weights(tmp_path / "net.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_an_unregistered_class_is_refused_unless_given_as_custom_objects(tmp_path):
    x, _ = _data()
    model = Unregistered()
    model(x[:2])
    model.compile(optimizer="sgd", loss="mse")
    model.save(tmp_path / "plain.h5")
    with pytest.raises(mk.ModelFileError, match="Unknown model 'Unregistered'.*register_keras_serializable"):
        mk.load_model(tmp_path / "plain.h5")
    loaded = mk.load_model(tmp_path / "plain.h5", custom_objects={"Unregistered": Unregistered})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_a_model_keras_cannot_serialize_says_so_and_leaves_the_old_file(tmp_path):
    x, _ = _data()
    model = WithObjectArgument(layers.Dense(2))
    model(x[:2])
    (tmp_path / "old.h5").write_bytes(b"old")
    with pytest.raises(OSError, match="Cannot save to .*cannot be serialized.*Override get_config"):
        model.save(tmp_path / "old.h5")
    assert (tmp_path / "old.h5").read_bytes() == b"old"


def test_build_takes_keras_shape_and_unbuilt_models_say_what_to_do():
    model = TwoLayerNet()
    with pytest.raises(ValueError, match="is not built yet: call it on a batch, fit it, or build"):
        model.get_weights()
    model.build((None, 5))
    assert model.built and [w.shape for w in model.weights][:2] == [(5, 8), (8,)]
    with pytest.raises(TypeError, match="super\\(\\).__init__\\(\\) of a subclassed model takes name"):
        TwoLayerNet(units=3)


def test_a_subclassed_model_is_a_layer_of_a_functional_model():
    inner = TwoLayerNet(seed=0)
    inputs = mk.Input((5,))
    outputs = layers.Dense(1)(inner(inputs))
    model = mk.Model(inputs, outputs, seed=0)
    model.compile(optimizer="sgd", loss="mse")
    x, _ = _data()
    history = model.fit(x, x[:, :1], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_a_custom_train_step_is_refused_rather_than_ignored():
    class Custom(TwoLayerNet):
        def train_step(self, data):
            raise AssertionError("never called")

    with pytest.raises(NotImplementedError, match="Custom overrides train_step: minikeras runs its own training step"):
        Custom().compile(optimizer="sgd", loss="mse")


@pytest.mark.parametrize("shape", [[None, 2**30], [None, 50000, 50000], [None, -3], [5, 5], "[None]"])
def test_a_file_declaring_a_huge_or_bad_input_shape_is_refused_without_allocating_it(tmp_path, shape):
    model, _, _, _ = _trained()
    model.save(tmp_path / "net.h5")
    with h5py.File(tmp_path / "net.h5", "r+") as f:
        config = json.loads(f.attrs["model_config"])
        config["build_config"]["input_shape"] = shape
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(mk.ModelFileError):
        mk.load_model(tmp_path / "net.h5")
