"""Weights after short seeded trainings, to hold refactors of the training path to bit-identity.

``python -m tests.training_fixture`` rewrites ``tests/fixtures/trained_weights.npz``. Only do that
when a change is *meant* to alter the numbers (and say so in the commit): the file was written
before the engine refactor, and `tests/test_training_fixture.py` compares every later run with it.
The runs cover the fused softmax + cross-entropy, BatchNorm, dropout, L2 (on a kernel long
enough for the BLAS update), every optimizer and schedule family, one-hot and weighted targets,
mse, and float64. Arguments whose defaults changed after the fixture was recorded (Dense's
initializer, the validation split's mode) are spelled out with the values it was recorded with.
"""
from __future__ import annotations

import pathlib

import numpy as np

import minikeras as mk
from minikeras import layers, optimizers, regularizers, schedules

PATH = pathlib.Path(__file__).resolve().parent / "fixtures" / "trained_weights.npz"


def _data(n: int, dim: int, classes: int, dtype="float32"):
    rng = np.random.default_rng(42)
    x = rng.standard_normal((n, dim)).astype(dtype)
    y = (x[:, :classes] + 0.3 * rng.standard_normal((n, classes))).argmax(axis=1)
    return x, y


def seed_net():
    """The course's seed net, narrowed: BN, L2 on a 1400x50 kernel (BLAS path), CyclicLR, dropout."""
    x, y = _data(300, 1400, 10)
    model = mk.Model(input_dim=1400, seed=3)
    model.add_layer(50, "relu", batch_norm=True, l2=0.005)
    model.add_layer(50, "relu", batch_norm=True, dropout=0.2, l2=0.005)
    model.add_layer(10, "softmax", l2=0.005)
    model.compile(optimizer=optimizers.SGD(schedules.CyclicLR(1e-5, 1e-1, step_size=6)),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=3, batch_size=32, validation_split=0.1, validation_split_mode="stratified", verbose=0)
    return model


def momentum_one_hot():
    """Nesterov momentum, one-hot targets, class weights, ScaledTanh and LeakyReLU."""
    x, y = _data(200, 12, 4)
    model = mk.Model(input_dim=12, seed=4)
    model.add_layer(16, "scaled_tanh", kernel_initializer="xavier")
    model.add_layer(16, layers.LeakyReLU(0.1), kernel_initializer="fan_in", dropout=0.1)
    model.add_layer(4, "softmax")
    model.compile(optimizer=optimizers.SGD(0.05, momentum=0.9, nesterov=True), metrics=["accuracy"])
    model.fit(x, np.eye(4, dtype="float32")[y], epochs=2, batch_size=20, class_weight={0: 2.0, 1: 1.0, 2: 1.0, 3: 0.5},
              verbose=0)
    return model


def adam_mse():
    """Adam with exponential decay, sigmoid and tanh, softmax + mse (not fused), sample weights."""
    x, y = _data(150, 8, 3)
    model = mk.Sequential(input_dim=8, seed=5, layers=[
        layers.Dense(10, kernel_initializer="he", kernel_regularizer=regularizers.L2(0.01)), layers.Sigmoid(),
        layers.Dense(10, kernel_initializer="he"), layers.Tanh(), layers.Dense(3, kernel_initializer="he"),
        layers.Softmax()])
    model.compile(optimizer=optimizers.Adam(schedules.ExponentialDecay(0.01, 10, 0.9)), loss="mse")
    weights = np.linspace(0.5, 1.5, len(x))
    model.fit(x, y, epochs=2, batch_size=16, sample_weight=weights, verbose=0)
    return model


def rmsprop_float64():
    """RMSprop with a step decay, in float64, BatchNorm without L2."""
    x, y = _data(120, 6, 3, dtype="float64")
    model = mk.Model(input_dim=6, seed=6, dtype="float64")
    model.add_layer(12, "relu", batch_norm=True)
    model.add_layer(3, "softmax")
    model.compile(optimizer=optimizers.RMSprop(schedules.StepDecay(0.01, 0.5, 5)), metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=25, verbose=0)
    return model


RUNS = {"seed_net": seed_net, "momentum_one_hot": momentum_one_hot, "adam_mse": adam_mse,
        "rmsprop_float64": rmsprop_float64}


def trained_weights() -> dict[str, np.ndarray]:
    """``{"<run>/<index>": array}`` for every run's `get_weights()`."""
    return {f"{run}/{i}": array for run, train in RUNS.items() for i, array in enumerate(train().get_weights())}


if __name__ == "__main__":
    np.savez(PATH, **trained_weights())
