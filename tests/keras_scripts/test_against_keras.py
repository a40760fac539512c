"""The same network trained in minikeras and in Keras 3 (PyTorch backend) from the same weights,
on the same batches: losses, metrics and final weights agree to float32 rounding."""
import keras
import numpy as np
import pytest

import minikeras as mk

RNG = np.random.default_rng(0)
X = RNG.standard_normal((96, 6)).astype("float32")
CLASSES = (X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 0.5)
BINARY = (X[:, 0] - X[:, 3] > 0).astype("float32")
REGRESSION = (X[:, 0] * 2 - X[:, 1] + 0.1 * RNG.standard_normal(96)).astype("float32")


def _pair(library, stack, optimizer, loss, metrics):
    # minikeras draws the weights both start from, with a fixed seed: whatever ran before (set_seed)
    # leaves them alone. (An unlucky draw leaves a ReLU on its kink, where float32 summation order
    # decides the sign of a tiny gradient and Adam then moves the weight by a whole step.)
    seeded = {"seed": 0} if library is mk else {}
    model = library.Sequential([library.Input(shape=(6,)), *[make(library) for make in stack]], **seeded)
    model.compile(optimizer=optimizer(library), loss=loss, metrics=metrics)
    return model


SETUPS = {
    "softmax classifier, RMSprop": (
        [lambda lib: lib.layers.Dense(16, activation="relu"), lambda lib: lib.layers.Dense(8, activation="tanh"),
         lambda lib: lib.layers.Dense(3, activation="softmax")],
        lambda lib: lib.optimizers.RMSprop(0.01), "sparse_categorical_crossentropy", ["accuracy"], CLASSES),
    "one-hot labels, BatchNormalization, SGD momentum": (
        [lambda lib: lib.layers.Dense(16), lambda lib: lib.layers.BatchNormalization(),
         lambda lib: lib.layers.Activation("relu"),
         lambda lib: lib.layers.Dense(3, activation="softmax")],
        lambda lib: lib.optimizers.SGD(0.05, momentum=0.9), "categorical_crossentropy", ["accuracy"],
        np.eye(3, dtype="float32")[CLASSES]),
    "binary classifier, Adam": (
        [lambda lib: lib.layers.Dense(12, activation="relu"), lambda lib: lib.layers.Dense(1, activation="sigmoid")],
        lambda lib: lib.optimizers.Adam(0.01), "binary_crossentropy", ["accuracy"], BINARY),
    "regression with (N,) targets, SGD": (
        [lambda lib: lib.layers.Dense(12, activation="tanh"), lambda lib: lib.layers.Dense(1)],
        lambda lib: lib.optimizers.SGD(0.02), "mse", ["mae"], REGRESSION),
    "huber regression, L2 and LeakyReLU": (
        [lambda lib: lib.layers.Dense(12, kernel_regularizer=lib.regularizers.L2(0.01)),
         lambda lib: lib.layers.LeakyReLU(), lambda lib: lib.layers.Dense(1, bias_regularizer="l2")],
        lambda lib: lib.optimizers.SGD(0.02), "huber", ["mse"], REGRESSION),
}


@pytest.mark.parametrize("name", sorted(SETUPS))
def test_training_matches_keras(name):
    stack, optimizer, loss, metrics, y = SETUPS[name]
    ours = _pair(mk, stack, optimizer, loss, metrics)
    theirs = _pair(keras, stack, optimizer, loss, metrics)
    _assert_they_train_alike(ours, theirs, X, y)
    np.testing.assert_allclose(ours.evaluate(X, y, verbose=0), theirs.evaluate(X, y, verbose=0), rtol=1e-4, atol=1e-6)


def _assert_they_train_alike(ours, theirs, x, y):
    """From our weights, three epochs in each library give the same histories, weights and predictions."""
    theirs.set_weights(ours.get_weights())
    mine = ours.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    keras_history = theirs.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0).history
    for key, values in keras_history.items():
        np.testing.assert_allclose(mine[key], values, rtol=2e-4, atol=1e-5, err_msg=key)
    for a, b in zip(ours.get_weights(), theirs.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-3, atol=2e-5)
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), rtol=1e-4, atol=1e-6)


IMAGES = RNG.standard_normal((64, 9, 9, 2)).astype("float32")
IMAGE_CLASSES = (IMAGES[:, :4, :, 0].mean(axis=(1, 2)) > IMAGES[:, 4:, :, 1].mean(axis=(1, 2))).astype(int)
SEQUENCES = RNG.standard_normal((64, 12, 3)).astype("float32")
SEQUENCE_CLASSES = (SEQUENCES[:, :6, 0].sum(axis=1) > 0).astype(int)
CONVNETS = {
    "Conv2D, MaxPooling2D, strided same Conv2D, AveragePooling2D, Flatten": (
        (9, 9, 2), IMAGES, IMAGE_CLASSES,
        lambda lib: [lib.layers.Conv2D(4, 3, activation="relu"), lib.layers.MaxPooling2D(),
                     lib.layers.Conv2D(6, 2, strides=2, padding="same", activation="tanh"),
                     lib.layers.AveragePooling2D(1), lib.layers.Flatten(),
                     lib.layers.Dense(2, activation="softmax")]),
    "grouped dilated Conv2D, BatchNormalization, GlobalMaxPooling2D": (
        (9, 9, 2), IMAGES, IMAGE_CLASSES,
        lambda lib: [lib.layers.Conv2D(4, 3, dilation_rate=2, groups=2), lib.layers.BatchNormalization(),
                     lib.layers.ReLU(),
                     lib.layers.GlobalMaxPooling2D(), lib.layers.Dense(2, activation="softmax")]),
    "SeparableConv2D, DepthwiseConv2D, ZeroPadding2D, UpSampling2D, Cropping2D": (
        (9, 9, 2), IMAGES, IMAGE_CLASSES,
        lambda lib: [lib.layers.SeparableConv2D(4, 3, depth_multiplier=2, activation="relu"),
                     lib.layers.ZeroPadding2D(1), lib.layers.DepthwiseConv2D(3, strides=2, padding="same"),
                     lib.layers.UpSampling2D(), lib.layers.Cropping2D(((1, 0), (0, 1))), lib.layers.Flatten(),
                     lib.layers.Dense(2, activation="softmax")]),
    "causal Conv1D, MaxPooling1D, GlobalAveragePooling1D": (
        (12, 3), SEQUENCES, SEQUENCE_CLASSES,
        lambda lib: [lib.layers.Conv1D(5, 3, padding="causal", activation="relu"), lib.layers.MaxPooling1D(2),
                     lib.layers.Conv1D(4, 2, strides=2), lib.layers.GlobalAveragePooling1D(),
                     lib.layers.Dense(2, activation="softmax")]),
}


@pytest.mark.parametrize("name", sorted(CONVNETS))
def test_convnets_train_as_in_keras(name):
    shape, x, y, stack = CONVNETS[name]
    ours = mk.Sequential([mk.Input(shape=shape), *stack(mk)], seed=0)
    theirs = keras.Sequential([keras.Input(shape=shape), *stack(keras)])
    for model, library in ((ours, mk), (theirs, keras)):
        model.compile(optimizer=library.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"])
    _assert_they_train_alike(ours, theirs, x, y)
