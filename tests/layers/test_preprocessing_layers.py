import tracemalloc

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers

RNG = np.random.default_rng(0)
IMAGES = RNG.integers(0, 256, size=(300, 4, 3), dtype=np.uint8)


def test_rescaling_maps_uint8_straight_to_floats():
    layer = layers.Rescaling(1 / 127.5, offset=-1)
    y = layer(IMAGES)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, IMAGES / 127.5 - 1, atol=1e-6)
    assert layers.Rescaling([1.0, 2.0, 3.0]).get_config()["scale"] == [1.0, 2.0, 3.0]


@pytest.mark.parametrize("axis, reduced", [(-1, (0, 1)), (None, (0, 1, 2)), ([1, 2], (0,)), (1, (0, 2))])
def test_adapt_gives_numpys_mean_and_variance_for_arrays_and_batches(axis, reduced):
    expected_mean, expected_var = IMAGES.mean(axis=reduced), IMAGES.var(axis=reduced)
    for data in (IMAGES, [IMAGES[:100], IMAGES[100:250], IMAGES[250:]], (b for b in np.split(IMAGES, 3))):
        layer = layers.Normalization(axis=axis)
        layer.adapt(data)
        layer.build(IMAGES.shape[1:], np.random.default_rng(0), "float64")  # the adapted statistics are kept
        np.testing.assert_allclose(layer.state["mean"], expected_mean, rtol=1e-12)
        np.testing.assert_allclose(layer.state["variance"], expected_var, rtol=1e-10)
        assert int(layer.state["count"]) == IMAGES.size // expected_mean.size


def test_normalization_output_and_inverse():
    layer = layers.Normalization()
    layer.adapt(IMAGES)
    y = layer(IMAGES)
    np.testing.assert_allclose(y.mean(axis=(0, 1)), 0.0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 1)), 1.0, rtol=1e-5)
    inverse = layers.Normalization(mean=layer.state["mean"], variance=layer.state["variance"], invert=True)
    np.testing.assert_allclose(inverse(y), IMAGES, atol=1e-3)


def test_a_constant_feature_is_divided_by_keras_epsilon_not_zero():
    layer = layers.Normalization(mean=[2.0, 0.0], variance=[0.0, 1.0])
    np.testing.assert_allclose(layer(np.array([[2.0, 3.0], [2.0, -1.0]])), [[0.0, 3.0], [0.0, -1.0]])


@pytest.mark.parametrize("axis", [-1, None, [1, 2]])
def test_adapt_and_outputs_match_keras(axis):
    keras = pytest.importorskip("keras")
    data = IMAGES.astype("float32")
    theirs = keras.layers.Normalization(axis=axis)
    theirs.adapt(data)
    ours = layers.Normalization(axis=axis)
    ours.adapt(IMAGES)
    np.testing.assert_allclose(ours(IMAGES), keras.ops.convert_to_numpy(theirs(data)), rtol=1e-4, atol=1e-5)
    assert sorted(ours.get_config()) == sorted(k for k in theirs.get_config() if k != "dtype")


def _normalized_model(x):
    normalization = layers.Normalization()
    normalization.adapt(x)
    model = mk.Sequential([mk.layers.Input(shape=x.shape[1:], dtype="uint8"), normalization, layers.Flatten(),
                           layers.Dense(8, activation="relu"), layers.Dense(3, activation="softmax")], seed=1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_uint8_and_float32_inputs_train_identically():
    labels = RNG.integers(0, 3, len(IMAGES))
    raw, converted = _normalized_model(IMAGES), _normalized_model(IMAGES)
    history = raw.fit(IMAGES, labels, batch_size=32, epochs=2, validation_split=0.2, verbose=0)
    assert history.history == converted.fit(IMAGES.astype("float32"), labels, batch_size=32, epochs=2,
                                            validation_split=0.2, verbose=0).history
    for a, b in zip(raw.get_weights(), converted.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert raw.evaluate(IMAGES, labels, verbose=0) == converted.evaluate(IMAGES.astype("float32"), labels, verbose=0)
    np.testing.assert_array_equal(raw.predict(IMAGES, verbose=0), raw(IMAGES))


def test_a_saved_model_takes_raw_inputs(tmp_path):
    model = _normalized_model(IMAGES)
    model.fit(IMAGES, RNG.integers(0, 3, len(IMAGES)), epochs=1, verbose=0)
    model.save(tmp_path / "model.h5")
    loaded = mk.load_model(tmp_path / "model.h5")
    np.testing.assert_array_equal(loaded.layers[0].state["mean"], model.layers[0].state["mean"])
    np.testing.assert_array_equal(loaded.predict(IMAGES, verbose=0), model.predict(IMAGES, verbose=0))


def test_fit_on_uint8_data_never_makes_a_float_copy():
    images = np.random.default_rng(1).integers(0, 256, size=(4000, 32, 32, 3), dtype=np.uint8)
    labels = np.random.default_rng(2).integers(0, 3, len(images))
    model = _normalized_model(images)
    float_copy = images.size * 4
    tracemalloc.start()
    try:
        model.fit(images, labels, batch_size=100, epochs=1, verbose=0)
        model.evaluate(images, labels, batch_size=100, verbose=0)
        model.predict(images, batch_size=100, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # What remains: batch buffers of 100 rows (1.2 MB as float32) and the (4000, 3) predictions.
    assert peak < 0.1 * float_copy, f"peak {peak} bytes while a float copy is {float_copy}"


@pytest.mark.parametrize("make, error, message", [
    (lambda: layers.Normalization(mean=1.0), ValueError, "both mean and variance"),
    (lambda: layers.Normalization(mean=[0.0], variance=[-1.0]), ValueError, "variance must be >= 0"),
    (lambda: layers.Normalization(mean=0.0, variance=1.0).adapt(IMAGES), ValueError, "given its mean and variance"),
    (lambda: layers.Normalization().adapt(IMAGES[:0]), ValueError, "no data"),
    (lambda: layers.Normalization().adapt([IMAGES, IMAGES[:, :2]]), ValueError, r"shape \(4, 3\).*\(300, 2, 3\)"),
    (lambda: layers.Normalization().adapt(np.array([["a"]])), TypeError, "must hold numbers"),
    (lambda: layers.Normalization().adapt(3), TypeError, "numpy array or an iterable"),
    (lambda: layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(IMAGES), ValueError, "must broadcast"),
    (lambda: layers.Rescaling(np.nan), ValueError, "finite"),
    (lambda: mk.layers.Input(shape=(3,), dtype="complex64"), ValueError, "integer type"),
])
def test_bad_inputs_are_refused_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_new_statistics_from_set_weights_or_adapt_take_effect_at_once():
    layer = layers.Normalization()
    layer.adapt(IMAGES)
    before = layer(IMAGES)
    layer.set_weights([np.zeros(3), np.full(3, 4.0), np.array(1)])
    np.testing.assert_allclose(layer(IMAGES), IMAGES / 2.0)
    layer.adapt(IMAGES)
    np.testing.assert_array_equal(layer(IMAGES), before)
