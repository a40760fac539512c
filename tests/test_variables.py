"""Variables and the weight lists, as Keras 3 has them: names, paths, trainable flags, assignment."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from tests.conftest import blobs


def test_a_variable_reads_writes_and_computes_like_keras():
    v = mk.Variable(np.arange(3.0), name="scale")
    assert (v.name, v.path, v.shape, v.dtype, v.trainable) == ("scale", "scale", (3,), "float32", True)
    v.assign([1, 2, 3])
    v.assign_add(np.ones(3))
    v.assign_sub(0.5)
    np.testing.assert_array_equal(v.numpy(), [1.5, 2.5, 3.5])
    assert v.numpy() is not v.value
    np.testing.assert_array_equal(2 * v + v, 3 * v.value)
    np.testing.assert_array_equal(np.asarray(v), v.value)
    assert (v > 2).tolist() == [False, True, True] and float(mk.Variable(2.5)) == 2.5
    with pytest.raises(ValueError, match=r"Variable 'scale' has shape \(3,\); cannot assign a value of shape \(2,\)"):
        v.assign([1, 2])


def test_set_floatx_sets_the_dtype_of_new_models_and_variables():
    try:
        mk.config.set_floatx("float64")
        assert mk.config.floatx() == "float64" and mk.Variable(1.0).dtype == "float64"
        model = mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2)])
        assert model.weights[0].dtype == "float64"
        with pytest.raises(ValueError, match=r"floatx must be one of \('float32', 'float64'\); got 'int8'"):
            mk.config.set_floatx("int8")
    finally:
        mk.config.set_floatx("float32")
    assert mk.Sequential([mk.Input(shape=(3,)), layers.Dense(2)]).weights[0].dtype == "float32"


def _model():
    return mk.Sequential([mk.Input(shape=(4,)), layers.Dense(5, activation="relu"), layers.BatchNormalization(),
                          layers.Dense(3, activation="softmax")], seed=0)


def test_weights_paths_and_trainable_lists_are_keras():
    model = _model()
    assert [v.path for v in model.weights] == [
        "dense/kernel", "dense/bias", "batch_normalization/gamma", "batch_normalization/beta",
        "batch_normalization/moving_mean", "batch_normalization/moving_var", "dense_1/kernel", "dense_1/bias"]
    assert all(isinstance(v, mk.Variable) for v in model.weights)
    assert [v.path for v in model.non_trainable_weights] == ["batch_normalization/moving_mean",
                                                             "batch_normalization/moving_var"]
    assert len(model.trainable_weights) == 6
    model.layers[0].trainable = False
    assert [v.path for v in model.trainable_weights][:2] == ["batch_normalization/gamma", "batch_normalization/beta"]
    assert not model.layers[0].kernel.trainable
    assert [v.path for v in model.non_trainable_weights][:2] == ["dense/kernel", "dense/bias"]


def test_paths_and_lists_equal_keras_for_the_same_model():
    keras = pytest.importorskip("keras")
    ours = _model()
    theirs = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(5, activation="relu"),
                               keras.layers.BatchNormalization(), keras.layers.Dense(3, activation="softmax")])
    # Keras' automatic names count across the process; minikeras' count per model. Keras calls the
    # variance "moving_variance", minikeras "moving_var" (its file format's name; .keras files map it).
    names = {k.name: o.name for k, o in zip(theirs.layers, ours.layers)} | {"moving_variance": "moving_var"}

    def keras_paths(variables):
        return ["/".join(names.get(part, part) for part in v.path.split("/")[1:]) for v in variables]

    for attribute in ("weights", "trainable_weights", "non_trainable_weights"):
        assert [v.path for v in getattr(ours, attribute)] == keras_paths(getattr(theirs, attribute)), attribute
    assert [tuple(v.shape) for v in ours.weights] == [tuple(v.shape) for v in theirs.weights]


def test_layers_declare_weights_with_add_weight():
    class Scale(layers.Layer):
        def build(self, input_shape, rng, dtype=None):
            super().build(input_shape, rng, dtype)
            self.scale = self.add_weight(shape=input_shape, initializer="ones", regularizer="l2", name="scale")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def forward(self, x, training=False):
            self._x = x
            return x * self.scale.value

        def backward(self, grad_out):
            self.grads["scale"] = (grad_out * self._x).sum(axis=0)
            return grad_out * self.scale.value

    model = mk.Sequential([mk.Input(shape=(4,)), Scale(), layers.Dense(3, activation="softmax")], seed=0)
    scale = model.layers[0]
    assert [v.path for v in scale.weights] == ["scale/scale", "scale/count"]
    assert scale.regularizers() == {"scale": scale.scale.regularizer}
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.fit(*blobs(n=30, dim=4), epochs=2, verbose=0)
    assert not np.allclose(scale.scale.value, 1.0)
    with pytest.raises(ValueError, match="already has a weight named 'scale'"):
        scale.add_weight(shape=(1,), name="scale")
    with pytest.raises(ValueError, match="constraint and overwrite_with_gradient are not supported"):
        scale.add_weight(shape=(1,), constraint="non_neg", name="c")
