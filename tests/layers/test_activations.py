import numpy as np
import pytest

from minikeras import layers
from minikeras.layers import activations

X = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]])


def _forward(layer, x=X):
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    return layer.forward(x)


@pytest.mark.parametrize("layer, expected", [
    (layers.ReLU(), np.maximum(X, 0)),
    (layers.LeakyReLU(0.1), np.where(X > 0, X, 0.1 * X)),
    (layers.Sigmoid(), 1 / (1 + np.exp(-X))),
    (layers.Tanh(), np.tanh(X)),
    (layers.ScaledTanh(), 1.7159 * np.tanh(2 * X / 3)),
    (layers.Linear(), X),
])
def test_formulas(layer, expected):
    np.testing.assert_allclose(_forward(layer), expected, rtol=1e-12)


def test_softmax_rows_sum_to_one_and_are_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1, -1e4]])
    probs = _forward(layers.Softmax(), logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(probs[1], np.exp([0, 1, 0]) / np.exp([0, 1, 0]).sum())


def test_sigmoid_does_not_overflow():
    np.testing.assert_allclose(_forward(layers.Sigmoid(), np.array([[-1e4, 1e4]])), [[0.0, 1.0]])


@pytest.mark.parametrize("name", activations.registry.names())
def test_every_activation_name_builds_a_layer(name):
    assert isinstance(activations.get(name), layers.Layer)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="Unknown activation 'relu6'.*leaky_relu"):
        activations.get("relu6")


def test_leaky_relu_alpha_checked():
    with pytest.raises(ValueError, match="LeakyReLU negative_slope must be in \\[0, 1\\); got 1.5"):
        layers.LeakyReLU(1.5)
    with pytest.raises(ValueError, match="got 2"):
        layers.LeakyReLU(alpha=2)
    assert layers.LeakyReLU().negative_slope == 0.3 and layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert activations.get("leaky_relu").negative_slope == 0.2  # Keras' function default
