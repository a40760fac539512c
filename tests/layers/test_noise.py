import numpy as np
import pytest

from minikeras import layers

LAYERS = {"GaussianNoise": lambda: layers.GaussianNoise(0.5), "GaussianDropout": lambda: layers.GaussianDropout(0.3),
          "AlphaDropout": lambda: layers.AlphaDropout(0.2)}


def _built(layer, width=2000, seed=0):
    layer.build((width,), np.random.default_rng(seed), "float64")
    return layer


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_identity_at_inference_and_same_seed_same_noise(name):
    x = np.random.default_rng(1).normal(size=(3, 2000))
    layer = _built(LAYERS[name]())
    assert layer.forward(x, training=False) is x and layer.backward(x) is x
    first = layer.forward(x, training=True).copy()
    np.testing.assert_array_equal(first, _built(LAYERS[name]()).forward(x, training=True))
    assert not np.array_equal(first, layer.forward(x, training=True))
    seeded = layers.GaussianNoise(0.5, seed=3) if name == "GaussianNoise" else type(layer)(layer.rate, seed=3)
    np.testing.assert_array_equal(_built(seeded, seed=1).forward(x, True), _built(seeded, seed=2).forward(x, True))


def test_gaussian_noise_adds_noise_of_the_given_stddev():
    x = np.full((50, 2000), 3.0)
    noise = _built(layers.GaussianNoise(0.5)).forward(x, training=True) - x
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01


def test_gaussian_dropout_multiplies_by_noise_of_mean_one():
    x = np.full((50, 2000), 2.0)
    layer = _built(layers.GaussianDropout(0.3))
    factor = layer.forward(x, training=True) / x
    assert abs(factor.mean() - 1.0) < 0.01 and abs(factor.std() - np.sqrt(0.3 / 0.7)) < 0.01
    np.testing.assert_allclose(layer.backward(np.ones_like(x)), factor)


def test_alpha_dropout_keeps_a_standard_normal_input_standard():
    x = np.random.default_rng(2).normal(size=(100, 2000))
    y = _built(layers.AlphaDropout(0.3)).forward(x, training=True)
    assert abs(y.mean()) < 0.01 and abs(y.std() - 1.0) < 0.01


def test_alpha_dropout_follows_keras_formula_for_its_mask():
    x = np.random.default_rng(3).normal(size=(4, 2000))
    layer = _built(layers.AlphaDropout(0.25))
    y = layer.forward(x, training=True).copy()
    kept = layer.backward(np.ones_like(x)) != 0
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.25) * (1 + 0.25 * alpha_p ** 2)) ** -0.5
    expected = a * np.where(kept, x, alpha_p) - a * alpha_p * 0.25
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert abs(kept.mean() - 0.75) < 0.02


@pytest.mark.parametrize("make, message", [
    (lambda: layers.GaussianNoise(-1.0), "stddev must be a number >= 0; got -1.0"),
    (lambda: layers.GaussianDropout(1.0), r"rate must be a number in \[0, 1\); got 1.0"),
    (lambda: layers.AlphaDropout(0.1, noise_shape=(None, 1)), "noise_shape"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
