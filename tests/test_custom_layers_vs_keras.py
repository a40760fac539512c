"""Keras 3 (PyTorch backend) as the oracle of layers and models written Keras' way (keras.io's
"Making new layers and models via subclassing"): the same code, with `lib` standing for
``keras`` or ``minikeras``, defines the same custom layers, sublayers, subclassed models,
``add_loss`` penalties, custom losses and metrics in both libraries; both start from Keras'
weights and train on the same batches, and every number agrees to float32 rounding."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk

keras = pytest.importorskip("keras")

N, BATCH, EPOCHS = 48, 16, 3


def classes_of(lib):
    """The guide's classes, written once against `lib` (keras or minikeras)."""
    ops = lib.ops

    class Linear(lib.layers.Layer):
        def __init__(self, units=32, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", trainable=True)
            self.b = self.add_weight(shape=(self.units,), initializer="zeros", trainable=True)

        def call(self, inputs):
            return ops.matmul(inputs, self.w) + self.b

    class MLPBlock(lib.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.linear_1 = Linear(8)
            self.linear_2 = Linear(8)
            self.dense = lib.layers.Dense(3)

        def call(self, inputs):
            x = ops.tanh(self.linear_1(inputs))
            x = ops.sigmoid(self.linear_2(x))
            return self.dense(x)

    class ActivityRegularization(lib.layers.Layer):
        def __init__(self, rate=1e-2, **kwargs):
            super().__init__(**kwargs)
            self.rate = rate

        def call(self, inputs):
            self.add_loss(self.rate * ops.mean(ops.square(inputs)))
            return inputs

    class Classifier(lib.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.block = MLPBlock()
            self.norm = lib.layers.LayerNormalization()
            self.head = lib.layers.Dense(3, activation="softmax")

        def call(self, inputs, training=False):
            x = self.norm(self.block(inputs))
            self.add_loss(1e-3 * ops.sum(ops.square(x)) / ops.cast(ops.shape(x)[0], "float32"))
            return self.head(x)

    class ScaledSquares(lib.losses.Loss):
        def call(self, y_true, y_pred):
            return 0.5 * ops.mean(ops.square(y_pred - y_true), axis=-1)

    class TruePositives(lib.metrics.Metric):
        def __init__(self, name="true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = ops.logical_and(ops.greater(y_true, 0.5), ops.greater(y_pred, 0.5))
            self.count.assign_add(ops.sum(ops.cast(hits, "float32")))

        def result(self):
            return self.count

        def reset_state(self):
            self.count.assign(0.0)

    class SmallConv(lib.layers.Layer):
        """A convolution, a bias and a depthwise convolution written with ops."""

        def __init__(self, filters, **kwargs):
            super().__init__(**kwargs)
            self.filters = filters

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(2, 2, input_shape[-1], self.filters), initializer="glorot_uniform")
            self.bias = self.add_weight(shape=(self.filters,), initializer="zeros")
            self.spread = self.add_weight(shape=(2, 1, self.filters, 2), initializer="glorot_uniform")

        def call(self, inputs):
            x = ops.conv(inputs, self.kernel, padding="same") + self.bias
            return ops.relu(ops.depthwise_conv(x, self.spread, strides=(1, 2), padding="same"))

    return {"Linear": Linear, "MLPBlock": MLPBlock, "ActivityRegularization": ActivityRegularization,
            "Classifier": Classifier, "ScaledSquares": ScaledSquares, "TruePositives": TruePositives,
            "SmallConv": SmallConv}


def _hinge_like(lib):
    def smooth_hinge(y_true, y_pred):
        return lib.ops.mean(lib.ops.softplus(1.0 - (2.0 * y_true - 1.0) * y_pred), axis=-1)
    return smooth_hinge


def sequential_custom_layer(lib, c):
    model = lib.Sequential([lib.Input((6,)), c["Linear"](8), lib.layers.Activation("tanh"), c["Linear"](3),
                            lib.layers.Softmax()])
    model.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def functional_sublayers_and_add_loss(lib, c):
    inputs = lib.Input(shape=(6,))
    h = c["MLPBlock"]()(inputs)
    h = c["ActivityRegularization"](0.05)(h)
    outputs = lib.layers.Dense(3, activation="softmax")(h)
    model = lib.Model(inputs, outputs)
    model.compile(optimizer=lib.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def subclassed_model(lib, c):
    model = c["Classifier"]()
    model.compile(optimizer=lib.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def custom_loss_class_and_metric(lib, c):
    model = lib.Sequential([lib.Input((6,)), c["MLPBlock"](), lib.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=lib.optimizers.SGD(0.2), loss=c["ScaledSquares"](), metrics=[c["TruePositives"]()])
    return model


def custom_loss_function(lib, c):
    model = lib.Sequential([lib.Input((6,)), c["Linear"](4), lib.layers.Activation("relu"), lib.layers.Dense(1)])
    model.compile(optimizer=lib.optimizers.Adam(0.02), loss=_hinge_like(lib), metrics=["mae"])
    return model


def convolution_written_with_ops(lib, c):
    model = lib.Sequential([lib.Input((6,)), lib.layers.Reshape((3, 2, 1)), c["SmallConv"](4), lib.layers.Flatten(),
                            lib.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=lib.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


BUILDERS = [sequential_custom_layer, functional_sublayers_and_add_loss, subclassed_model, custom_loss_class_and_metric,
            custom_loss_function, convolution_written_with_ops]


def _data(builder):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((N, 6)).astype("float32")
    classes = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    if builder in (custom_loss_class_and_metric, custom_loss_function):
        return x, (x[:, :1] + x[:, 2:3] > 0).astype("float32")
    return x, classes


def _pair(builder):
    keras.utils.set_random_seed(0)
    theirs, ours = builder(keras, classes_of(keras)), builder(mk, classes_of(mk))
    x, y = _data(builder)
    theirs.predict(x[:2], verbose=0)  # builds both
    ours.predict(x[:2], verbose=0)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.get_weights()])
    return theirs, ours, x, y


@pytest.mark.parametrize("builder", BUILDERS)
def test_the_same_code_trains_the_same_in_keras_and_here(builder):
    theirs, ours, x, y = _pair(builder)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    np.testing.assert_allclose(ours.predict(x, verbose=0), keras.ops.convert_to_numpy(theirs.predict(x, verbose=0)),
                               rtol=1e-5, atol=1e-6)
    their_history = theirs.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
    our_history = ours.fit(x, y, batch_size=BATCH, epochs=EPOCHS, shuffle=False, verbose=0).history
    for key, values in their_history.items():
        if key != "learning_rate":
            np.testing.assert_allclose(our_history[key], values, rtol=2e-5, atol=2e-6, err_msg=key)
    for mine, expected in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(mine, keras.ops.convert_to_numpy(expected), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.evaluate(x, y, verbose=0), theirs.evaluate(x, y, verbose=0), rtol=2e-5,
                               atol=2e-6)


@pytest.mark.parametrize("builder", [subclassed_model, custom_loss_class_and_metric])
def test_a_train_on_batch_loop_with_reset_metrics_gives_keras_logs(builder):
    theirs, ours, x, y = _pair(builder)
    for _ in range(2):
        theirs.reset_metrics()
        ours.reset_metrics()
        for start in range(0, N, BATCH):
            their_logs = theirs.train_on_batch(x[start:start + BATCH], y[start:start + BATCH], return_dict=True)
            our_logs = ours.train_on_batch(x[start:start + BATCH], y[start:start + BATCH], return_dict=True)
            for key, value in their_logs.items():
                np.testing.assert_allclose(our_logs[key], float(value), rtol=2e-5, atol=2e-6, err_msg=key)


def test_layer_losses_and_weights_are_keras_own():
    ours, theirs = classes_of(mk), classes_of(keras)
    for lib, c in ((mk, ours), (keras, theirs)):
        block = c["MLPBlock"]()
        block(lib.ops.ones((2, 5)))
        assert [tuple(w.shape) for w in block.weights] == [(5, 8), (8,), (8, 8), (8,), (8, 3), (3,)]
        assert len(block.trainable_weights) == 6 and block.non_trainable_weights == []
        outer = c["ActivityRegularization"](0.5)
        assert len(outer.losses) == 0
        outer(lib.ops.ones((2, 3)))
        outer(lib.ops.ones((2, 3)))
        assert len(outer.losses) == 1 and float(keras.ops.convert_to_numpy(outer.losses[0])) == pytest.approx(0.5)
