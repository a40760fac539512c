"""One harness run over every registered layer: shapes, dtypes, gradients, config, determinism."""
from __future__ import annotations

import json

import numpy as np
import pytest

from minikeras import layers, regularizers
from minikeras.layers import registry
from tests.conftest import max_relative_error, numeric_gradient

# (factory, per-sample input shape) for every layer class minikeras registers.
CASES = {
    "Dense": (lambda: layers.Dense(4, kernel_regularizer=regularizers.L2(0.1)), (3,)),
    "BatchNorm": (lambda: layers.BatchNorm(), (3,)),
    "Dropout": (lambda: layers.Dropout(0.4), (6,)),
    "ReLU": (lambda: layers.ReLU(), (5,)),
    "LeakyReLU": (lambda: layers.LeakyReLU(0.1), (5,)),
    "Sigmoid": (lambda: layers.Sigmoid(), (5,)),
    "Tanh": (lambda: layers.Tanh(), (5,)),
    "ScaledTanh": (lambda: layers.ScaledTanh(), (5,)),
    "Softmax": (lambda: layers.Softmax(), (4,)),
    "Linear": (lambda: layers.Linear(), (4,)),
    "Flatten": (lambda: layers.Flatten(), (2, 3)),
}
BATCH = 6


def test_every_registered_layer_is_covered():
    classes = {registry.lookup(name) for name in registry.names()}
    ours = {cls.__name__ for cls in classes if cls.__module__.startswith("minikeras.")}
    assert ours <= set(CASES)


def _built(name, dtype, seed=0):
    factory, shape = CASES[name]
    layer = factory()
    layer.name = name.lower()
    layer.build(shape, np.random.default_rng(seed), dtype)
    return layer, shape


def _reseed_dropout(layer):
    # Dropout draws a new mask per forward; the same generator state gives the same mask.
    if isinstance(layer, layers.Dropout):
        layer._rng = np.random.default_rng(99)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_shape_and_dtype(name, dtype):
    layer, shape = _built(name, dtype)
    x = np.random.default_rng(1).standard_normal((BATCH, *shape)).astype(dtype)
    for training in (True, False):
        y = layer.forward(x, training=training)
        assert y.shape == (BATCH, *layer.output_shape(shape))
        assert y.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_centered_differences(name):
    """f = sum(forward(x) * G) (+ penalty): check d f / d x and d f / d every param."""
    dtype = np.float64 if name == "Dropout" else np.longdouble
    layer, shape = _built(name, dtype)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((BATCH, *shape)).astype(dtype)
    upstream = rng.standard_normal((BATCH, *layer.output_shape(shape))).astype(dtype)

    def objective():
        _reseed_dropout(layer)
        return (layer.forward(x, training=True) * upstream).sum() + layer.penalty()

    objective()
    dx = layer.backward(upstream).copy()
    analytic = {key: grad.copy() for key, grad in layer.grads.items()}
    assert max_relative_error(dx, numeric_gradient(objective, x)) < 1e-7
    for key, param in layer.params.items():
        assert max_relative_error(analytic[key], numeric_gradient(objective, param)) < 1e-7, key


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    layer, shape = _built(name, "float64")
    config = json.loads(json.dumps({"class_name": type(layer).__name__, "config": layer.get_config()}))
    clone = registry.from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    clone.build(shape, np.random.default_rng(5), "float64")
    clone.set_weights(layer.get_weights())
    x = np.random.default_rng(3).standard_normal((BATCH, *shape))
    np.testing.assert_array_equal(clone.forward(x), layer.forward(x))


@pytest.mark.parametrize("name", sorted(CASES))
def test_same_seed_same_parameters(name):
    first, _ = _built(name, "float32", seed=7)
    second, _ = _built(name, "float32", seed=7)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("name", sorted(CASES))
def test_repr_names_the_class(name):
    layer, _ = _built(name, "float32")
    assert repr(layer).startswith(type(layer).__name__ + "(")
