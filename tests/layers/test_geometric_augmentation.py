"""`RandomTranslation`, `RandomRotation`, `RandomZoom` and `RandomCrop` against Keras' own
transforms given the same random draws (Keras 3, PyTorch backend), for every fill mode and
interpolation; the identity (or the centred crop) at inference; and clear errors."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers

keras = pytest.importorskip("keras")
FILLS = [(fill, interpolation) for fill in ("reflect", "wrap", "constant", "nearest")
         for interpolation in ("bilinear", "nearest")]


def _images(n=6, shape=(7, 9, 2), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, (n, *shape)).astype("float32")


def _training(layer, x):
    layer.build(x.shape[1:], np.random.default_rng(3))
    return layer.forward(x, training=True)


def _keras_images(layer, x, transformation):
    return keras.ops.convert_to_numpy(layer.transform_images(keras.ops.convert_to_tensor(x), transformation,
                                                             training=True))


@pytest.mark.parametrize("fill_mode, interpolation", FILLS)
def test_translation_is_keras_translation_with_the_drawn_shifts(fill_mode, interpolation):
    x = _images()
    arguments = dict(height_factor=0.4, width_factor=(-0.3, 0.5), fill_mode=fill_mode, interpolation=interpolation,
                     fill_value=7.0)
    layer = layers.RandomTranslation(**arguments)
    y = _training(layer, x)
    shifts = -layer.last_transforms[:, [2, 5]]  # (dx, dy) in pixels
    theirs = _keras_images(keras.layers.RandomTranslation(**arguments), x,
                           {"translations": keras.ops.convert_to_tensor(shifts.astype("float32")),
                            "input_shape": x.shape})
    np.testing.assert_allclose(y, theirs, atol=2e-3, rtol=1e-5)
    assert np.abs(shifts[:, 0]).max() > 1 and not np.array_equal(y, x)
    np.testing.assert_array_equal(layer.forward(x, training=False), x)


@pytest.mark.parametrize("fill_mode, interpolation", FILLS)
def test_rotation_is_keras_rotation_with_the_drawn_angles(fill_mode, interpolation):
    x = _images()
    arguments = dict(factor=0.2, fill_mode=fill_mode, interpolation=interpolation, fill_value=3.0)
    layer = layers.RandomRotation(**arguments)
    y = _training(layer, x)
    matrices = np.concatenate([layer.last_transforms, np.zeros((len(x), 2))], axis=1).astype("float32")
    theirs = _keras_images(keras.layers.RandomRotation(**arguments), x,
                           {"rotation_matrix": keras.ops.convert_to_tensor(matrices)})
    np.testing.assert_allclose(y, theirs, atol=2e-3, rtol=1e-5)
    angles = np.degrees(np.arctan2(layer.last_transforms[:, 3], layer.last_transforms[:, 0]))
    assert np.all(np.abs(angles) <= 72) and np.abs(angles).max() > 10  # 0.2 turn
    expected = keras.layers.RandomRotation(**arguments)._compute_affine_matrix(
        0.5, 0.5, keras.ops.convert_to_tensor(angles), *(keras.ops.zeros(len(x)),) * 2, keras.ops.ones(len(x)),
        *(keras.ops.zeros(len(x)),) * 2, 7, 9)
    np.testing.assert_allclose(layer.last_transforms, keras.ops.convert_to_numpy(expected)[:, :6], atol=1e-5)


@pytest.mark.parametrize("fill_mode, interpolation", FILLS)
@pytest.mark.parametrize("width_factor", [None, (-0.1, 0.4)])
def test_zoom_is_keras_zoom_with_the_drawn_factors(fill_mode, interpolation, width_factor):
    x = _images()
    arguments = dict(height_factor=(-0.5, 0.3), width_factor=width_factor, fill_mode=fill_mode,
                     interpolation=interpolation)
    layer = layers.RandomZoom(**arguments)
    y = _training(layer, x)
    zooms = layer.last_transforms[:, [0, 4]].astype("float32")  # (zx, zy)
    theirs = _keras_images(keras.layers.RandomZoom(**arguments), x,
                           {"width_zoom": keras.ops.convert_to_tensor(zooms[:, :1]),
                            "height_zoom": keras.ops.convert_to_tensor(zooms[:, 1:]), "input_shape": x.shape})
    np.testing.assert_allclose(y, theirs, atol=2e-3, rtol=1e-5)
    assert np.all((zooms >= 0.5) & (zooms <= 1.4))
    if width_factor is None:
        np.testing.assert_array_equal(zooms[:, 0], zooms[:, 1])


def test_random_crop_in_training_is_keras_crop_at_the_drawn_position():
    x = _images(shape=(9, 11, 3))
    layer = layers.RandomCrop(5, 6)
    y = _training(layer, x)
    top, left = layer._window[1].start, layer._window[2].start
    theirs = keras.layers.RandomCrop(5, 6).transform_images(x, (top, left), training=True)
    np.testing.assert_array_equal(y, keras.ops.convert_to_numpy(theirs))
    grad = _images(shape=(5, 6, 3), seed=2)
    expected = np.zeros_like(x)
    expected[:, top:top + 5, left:left + 6] = grad
    np.testing.assert_array_equal(layer.backward(grad), expected)


@pytest.mark.parametrize("shape, target", [((9, 11, 3), (5, 6)), ((8, 8, 1), (6, 6)), ((4, 5, 2), (6, 8)),
                                           ((5, 6, 2), (5, 6))])
def test_random_crop_at_inference_resizes_the_centred_window_as_keras_documents(shape, target):
    x = _images(shape=shape)
    layer = layers.RandomCrop(*target)
    layer.build(shape, np.random.default_rng(0))
    top, left, rows, columns = layer.centred_window(*shape[:2])
    window = x[:, top:top + rows, left:left + columns]
    expected = keras.ops.convert_to_numpy(keras.ops.image.resize(window, target, interpolation="bilinear"))
    np.testing.assert_allclose(layer.forward(x, training=False), expected, atol=2e-3, rtol=1e-5)
    if shape[0] < target[0]:  # smaller images: the same in training
        np.testing.assert_allclose(layer.forward(x, training=True), expected, atol=2e-3, rtol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda: layers.RandomTranslation(1.5, 0.1), r"RandomTranslation height_factor must be a number in \[-1, 1\]"),
    (lambda: layers.RandomTranslation(0.1, (0.1, 0.2, 0.3)), "width_factor must be a number in"),
    (lambda: layers.RandomRotation("a lot"), "RandomRotation factor must be"),
    (lambda: layers.RandomZoom(-1.0), r"RandomZoom height_factor must be a number in \(-1, 1\]"),
    (lambda: layers.RandomZoom(0.2, fill_mode="mirror"), "RandomZoom fill_mode must be one of"),
    (lambda: layers.RandomRotation(0.2, interpolation="bicubic"), "RandomRotation interpolation must be one of"),
    (lambda: layers.RandomCrop(0, 4), "RandomCrop height must be"),
    (lambda: layers.RandomRotation(0.1, data_format="channels_first"), "channels-last"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()
