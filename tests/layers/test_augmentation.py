"""The augmentation layers: Keras' own transforms given the same random draws (Keras 3, PyTorch
backend), the identity at inference, draws from the model's generator, and clear errors."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers

keras = pytest.importorskip("keras")


def _images(n=8, shape=(5, 6, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, *shape)).astype("float32")


def _training(layer, x):
    layer.build(x.shape[1:], np.random.default_rng(3))
    return layer.forward(x, training=True)


@pytest.mark.parametrize("mode", ["horizontal", "vertical", "horizontal_and_vertical"])
def test_random_flip_is_keras_flip_of_the_drawn_images(mode):
    x = _images()
    layer = layers.RandomFlip(mode)
    y = _training(layer, x)
    theirs = keras.layers.RandomFlip(mode).transform_images(
        x, {"flips": layer._flips.reshape(-1, 1, 1, 1), "input_shape": x.shape}, training=True)
    np.testing.assert_array_equal(y, keras.ops.convert_to_numpy(theirs))
    assert 0 < layer._flips.sum() < len(x)  # some flipped, some not (seeded generator)
    grad = _images(seed=1)
    np.testing.assert_array_equal(layer.backward(grad), layer._flipped(grad))  # the flips of the last draw
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


def test_random_contrast_is_keras_contrast_with_the_drawn_factors():
    x = _images()
    layer = layers.RandomContrast(0.6)
    y = _training(layer, x)
    assert layer.factor == (0.0, 0.6) and np.all((layer._contrast >= 1.0) & (layer._contrast <= 1.6))
    theirs = keras.layers.RandomContrast(0.6).transform_images(
        keras.ops.convert_to_tensor(x), {"contrast_factor": keras.ops.convert_to_tensor(layer._contrast)},
        training=True)
    np.testing.assert_allclose(y, keras.ops.convert_to_numpy(theirs), rtol=1e-5, atol=1e-3)
    assert y.min() >= 0 and y.max() <= 255 and np.any(y == 255)  # clipped to value_range
    np.testing.assert_array_equal(layer.forward(x, training=False), x)
    assert layers.RandomContrast((0.5, 0.2)).factor == (0.2, 0.5) == keras.layers.RandomContrast((0.5, 0.2)).factor


def test_augmentation_draws_from_the_model_generator_so_a_seeded_model_repeats_itself():
    x, y = _images(16, (6, 6, 1)), np.arange(16) % 2

    def run():
        model = mk.Sequential([mk.Input((6, 6, 1)), layers.RandomFlip(), layers.RandomContrast(0.3),
                               layers.Flatten(), layers.Dense(2, activation="softmax")], seed=4)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        return model.fit(x / 255, y, epochs=2, verbose=0).history["loss"]

    assert run() == run()


@pytest.mark.parametrize("call, message", [
    (lambda: layers.RandomFlip("diagonal"), "RandomFlip mode must be one of"),
    (lambda: layers.RandomContrast(1.5), r"RandomContrast factor must be a number in \[0, 1\] or a pair"),
    (lambda: layers.RandomContrast(0.2, value_range=(1, 0)), "value_range must be a pair"),
    (lambda: layers.RandomFlip().output_shape((4, 4)), r"per-sample shape \(height, width, channels\)"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
