"""One harness run over every registered layer: shapes, dtypes, gradients, config, determinism,
one training step inside a model and a round trip through a saved file."""
from __future__ import annotations

import json

import numpy as np
import pytest

import minikeras as mk
from minikeras import layers, regularizers
from minikeras.layers import registry
from minikeras.layers.augmentation import ImageAugmentation
from minikeras.layers.dropout import RandomLayer
from minikeras.ops.symbolic import OpLayer
from tests.conftest import max_relative_error, numeric_gradient

# (factory, per-sample input shape) for every layer class minikeras registers, and variants.
CASES = {
    "OpLayer(tanh)": (lambda: OpLayer("tanh", [{"keras_tensor": 0}]), (3,)),
    "OpLayer(normalize, axis=-1)": (lambda: OpLayer("normalize", [{"keras_tensor": 0}], {"axis": -1}), (2, 3)),
    "Dense": (lambda: layers.Dense(4, kernel_regularizer=regularizers.L2(0.1)), (3,)),
    "Dense(activation=tanh, no bias)": (lambda: layers.Dense(4, activation="tanh", use_bias=False), (3,)),
    "Dense(on the last of 2 axes)": (lambda: layers.Dense(4, activation="sigmoid"), (2, 3)),
    "BatchNorm": (lambda: layers.BatchNorm(), (3,)),
    "BatchNorm(trainable=False)": (lambda: layers.BatchNorm(trainable=False), (3,)),
    "BatchNormalization": (lambda: layers.BatchNormalization(), (3,)),
    "Dropout": (lambda: layers.Dropout(0.4), (6,)),
    "ReLU": (lambda: layers.ReLU(), (5,)),
    "ReLU(max_value, negative_slope, threshold)": (lambda: layers.ReLU(1.0, 0.1, 0.2), (5,)),
    "LeakyReLU": (lambda: layers.LeakyReLU(0.1), (5,)),
    "Sigmoid": (lambda: layers.Sigmoid(), (5,)),
    "Tanh": (lambda: layers.Tanh(), (5,)),
    "ScaledTanh": (lambda: layers.ScaledTanh(), (5,)),
    "Softmax": (lambda: layers.Softmax(), (4,)),
    "ELU": (lambda: layers.ELU(0.7), (5,)),
    "SELU": (lambda: layers.SELU(), (5,)),
    "Swish": (lambda: layers.Swish(), (5,)),
    "Softplus": (lambda: layers.Softplus(), (5,)),
    "Softsign": (lambda: layers.Softsign(), (5,)),
    "HardSigmoid": (lambda: layers.HardSigmoid(), (5,)),
    "HardSwish": (lambda: layers.HardSwish(), (5,)),
    "Mish": (lambda: layers.Mish(), (5,)),
    "ReLU6": (lambda: layers.ReLU6(), (5,)),
    "Exponential": (lambda: layers.Exponential(), (5,)),
    "GELU": (lambda: layers.GELU(), (5,)),
    "GELU(approximate=True)": (lambda: layers.GELU(approximate=True), (5,)),
    "Softmax(axis=1)": (lambda: layers.Softmax(axis=1), (3, 2)),
    "LogSoftmax": (lambda: layers.LogSoftmax(), (4,)),
    "PReLU": (lambda: layers.PReLU(alpha_initializer="random_normal", alpha_regularizer=regularizers.L2(0.1)), (2, 3)),
    "PReLU(shared_axes=[1])": (lambda: layers.PReLU(alpha_initializer="random_normal", shared_axes=[1]), (2, 3)),
    "LayerNormalization": (lambda: layers.LayerNormalization(gamma_initializer="random_normal",
                                                             beta_initializer="random_normal"), (5,)),
    "LayerNormalization(axis=[1, 2])": (lambda: layers.LayerNormalization(axis=[1, 2], epsilon=1e-5,
                                                                          gamma_initializer="random_normal"), (2, 3)),
    "LayerNormalization(axis=1, no scale)": (lambda: layers.LayerNormalization(axis=1, scale=False), (2, 3)),
    "GaussianNoise": (lambda: layers.GaussianNoise(0.5), (5,)),
    "GaussianDropout": (lambda: layers.GaussianDropout(0.3), (5,)),
    "AlphaDropout": (lambda: layers.AlphaDropout(0.3), (6,)),
    "Rescaling": (lambda: layers.Rescaling(0.5, offset=-1.0), (4,)),
    "Rescaling(array scale)": (lambda: layers.Rescaling([1.0, 2.0, 3.0]), (2, 3)),
    "Normalization(mean, variance)": (lambda: layers.Normalization(mean=[0.5, -1.0, 2.0], variance=[4.0, 0.25, 1.0]),
                                      (2, 3)),
    "Normalization(adapted)": (lambda: _adapted(layers.Normalization(axis=None)), (4,)),
    "Normalization(invert=True, adapted)": (lambda: _adapted(layers.Normalization(invert=True)), (4,)),
    "Identity": (lambda: layers.Identity(), (4,)),
    "CELU": (lambda: layers.CELU(0.8), (5,)),
    "HardShrink": (lambda: layers.HardShrink(0.3), (5,)),
    "SoftShrink": (lambda: layers.SoftShrink(0.3), (5,)),
    "Threshold": (lambda: layers.Threshold(0.2, -0.5), (5,)),
    "HardTanh": (lambda: layers.HardTanh(), (5,)),
    "LogSigmoid": (lambda: layers.LogSigmoid(), (5,)),
    "SparsePlus": (lambda: layers.SparsePlus(), (5,)),
    "SparseSigmoid": (lambda: layers.SparseSigmoid(), (5,)),
    "Squareplus": (lambda: layers.Squareplus(2.0), (5,)),
    "TanhShrink": (lambda: layers.TanhShrink(), (5,)),
    "GLU": (lambda: layers.GLU(), (6,)),
    "GLU(axis=1)": (lambda: layers.GLU(axis=1), (4, 3)),
    "Sparsemax": (lambda: layers.Sparsemax(), (5,)),
    "Sparsemax(axis=1)": (lambda: layers.Sparsemax(axis=1), (4, 2)),
    "Linear": (lambda: layers.Linear(), (4,)),
    "Activation": (lambda: layers.Activation("sigmoid"), (4,)),
    "Flatten": (lambda: layers.Flatten(), (2, 3)),
    "Reshape": (lambda: layers.Reshape((3, -1)), (6,)),
    # Convolutions and poolings, channels last.
    "Conv2D": (lambda: layers.Conv2D(3, 3, kernel_regularizer=regularizers.L2(0.1)), (5, 6, 2)),
    "Conv2D(same, strides 2, relu)": (lambda: layers.Conv2D(4, (3, 2), strides=2, padding="same",
                                                            activation="relu"), (5, 6, 2)),
    "Conv2D(dilation 2, groups 2, no bias)": (lambda: layers.Conv2D(4, 2, dilation_rate=2, groups=2,
                                                                    use_bias=False), (5, 5, 4)),
    "Conv1D": (lambda: layers.Conv1D(3, 3, strides=2, padding="same", activation="tanh"), (7, 2)),
    "Conv1D(causal, dilation 2)": (lambda: layers.Conv1D(2, 3, padding="causal", dilation_rate=2), (7, 3)),
    "DepthwiseConv2D": (lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, depthwise_regularizer="l2"),
                        (5, 6, 2)),
    "DepthwiseConv2D(same, strides 2, relu, no bias)": (lambda: layers.DepthwiseConv2D(
        (3, 2), strides=2, padding="same", activation="relu", use_bias=False), (5, 6, 3)),
    "DepthwiseConv1D(dilation 2)": (lambda: layers.DepthwiseConv1D(3, dilation_rate=2), (7, 2)),
    "SeparableConv2D": (lambda: layers.SeparableConv2D(3, 3, depth_multiplier=2, pointwise_regularizer="l2"),
                        (5, 6, 2)),
    "SeparableConv2D(same, strides 2, tanh)": (lambda: layers.SeparableConv2D(
        4, 2, strides=2, padding="same", activation="tanh"), (5, 5, 3)),
    "SeparableConv1D": (lambda: layers.SeparableConv1D(3, 3, padding="same"), (6, 2)),
    "MaxPooling2D": (lambda: layers.MaxPooling2D(), (4, 6, 2)),
    "MaxPooling2D(3, strides 2, same)": (lambda: layers.MaxPooling2D(3, strides=2, padding="same"), (5, 6, 2)),
    "AveragePooling2D": (lambda: layers.AveragePooling2D((2, 3)), (4, 6, 2)),
    "AveragePooling2D(3, strides 2, same)": (lambda: layers.AveragePooling2D(3, strides=2, padding="same"),
                                             (5, 6, 2)),
    "MaxPooling1D": (lambda: layers.MaxPooling1D(2), (7, 3)),
    "AveragePooling1D(same)": (lambda: layers.AveragePooling1D(3, strides=2, padding="same"), (7, 3)),
    "GlobalAveragePooling2D": (lambda: layers.GlobalAveragePooling2D(), (3, 4, 2)),
    "GlobalMaxPooling2D(keepdims)": (lambda: layers.GlobalMaxPooling2D(keepdims=True), (3, 4, 2)),
    "GlobalAveragePooling1D(keepdims)": (lambda: layers.GlobalAveragePooling1D(keepdims=True), (5, 3)),
    "GlobalMaxPooling1D": (lambda: layers.GlobalMaxPooling1D(), (5, 3)),
    "Flatten(images)": (lambda: layers.Flatten(), (3, 4, 2)),
    "ZeroPadding2D": (lambda: layers.ZeroPadding2D(((1, 2), (0, 3))), (3, 4, 2)),
    "Cropping2D": (lambda: layers.Cropping2D(((1, 0), (1, 2))), (4, 5, 2)),
    "UpSampling2D": (lambda: layers.UpSampling2D((2, 3)), (2, 3, 2)),
    "UpSampling2D(bilinear)": (lambda: layers.UpSampling2D((3, 2), interpolation="bilinear"), (2, 3, 2)),
    "SpatialDropout2D": (lambda: layers.SpatialDropout2D(0.4), (3, 3, 4)),
    "RandomFlip": (lambda: layers.RandomFlip(), (3, 4, 2)),
    "RandomFlip(horizontal)": (lambda: layers.RandomFlip("horizontal"), (3, 4, 2)),
    "RandomContrast": (lambda: layers.RandomContrast((0.3, 0.5), value_range=(-10, 10)), (3, 4, 2)),
    "RandomTranslation": (lambda: layers.RandomTranslation(0.3, (-0.2, 0.4)), (5, 6, 2)),
    "RandomTranslation(constant, nearest)": (lambda: layers.RandomTranslation(
        0.3, 0.3, fill_mode="constant", interpolation="nearest", fill_value=1.5), (5, 6, 2)),
    "RandomRotation": (lambda: layers.RandomRotation(0.2, fill_mode="wrap"), (5, 6, 2)),
    "RandomZoom": (lambda: layers.RandomZoom((-0.3, 0.2), (-0.1, 0.3), fill_mode="nearest"), (5, 6, 2)),
    "RandomCrop": (lambda: layers.RandomCrop(3, 4), (5, 6, 2)),
    "RandomCrop(resize)": (lambda: layers.RandomCrop(4, 3), (3, 5, 2)),
    "SpatialDropout1D": (lambda: layers.SpatialDropout1D(0.3), (5, 4)),
    "Dropout(noise_shape)": (lambda: layers.Dropout(0.4, noise_shape=(None, 1, 3)), (4, 3)),
    "BatchNormalization(images)": (lambda: layers.BatchNormalization(gamma_initializer="random_normal"), (3, 4, 2)),
    # Merge layers: a list of per-sample input shapes.
    "Add": (lambda: layers.Add(), [(4,), (4,)]),
    "Add(3 inputs)": (lambda: layers.Add(), [(2, 3), (2, 3), (2, 3)]),
    "Subtract": (lambda: layers.Subtract(), [(4,), (4,)]),
    "Multiply": (lambda: layers.Multiply(), [(4,), (4,), (4,)]),
    "Average": (lambda: layers.Average(), [(4,), (4,), (4,)]),
    "Maximum": (lambda: layers.Maximum(), [(4,), (4,)]),
    "Minimum": (lambda: layers.Minimum(), [(4,), (4,), (4,)]),
    "Concatenate": (lambda: layers.Concatenate(), [(3,), (2,)]),
    "Concatenate(axis=1)": (lambda: layers.Concatenate(axis=1), [(2, 3), (1, 3)]),
    "Dot": (lambda: layers.Dot(axes=1), [(4,), (4,)]),
    "Dot(normalize=True)": (lambda: layers.Dot(axes=-1, normalize=True), [(4,), (4,)]),
    "Dot(axes=(2, 1))": (lambda: layers.Dot(axes=(2, 1)), [(2, 3), (3, 4)]),
    "Dot(axes=(1, 1), normalize=True)": (lambda: layers.Dot(axes=(1, 1), normalize=True), [(3, 2), (3, 4)]),
}
BATCH = 6


def _adapted(layer):
    layer.adapt(np.random.default_rng(8).normal(3.0, 2.0, size=(50, 4)))
    return layer


def test_every_registered_layer_is_covered():
    ours = {cls.__name__ for cls in registry.classes() if cls.__module__.startswith("minikeras.")}
    assert ours <= {type(factory()).__name__ for factory, _ in CASES.values()}


def _classifier(layer, shape):
    """`layer`, then Flatten, Dense(3) and Softmax: a Sequential model, or a functional one for a
    merge layer (its inputs first)."""
    head = [layers.Flatten(), layers.Dense(3), layers.Softmax()]
    if not isinstance(shape, list):
        return mk.Sequential(input_dim=shape, seed=0, layers=[layer, *head])
    inputs = [mk.Input(shape=one) for one in shape]
    x = layer(inputs)
    for step in head:
        x = step(x)
    return mk.Model(inputs, x, seed=0)


def trained_model(name):
    """A model of case `name` followed by Flatten, Dense(3) and Softmax, after one epoch of two SGD
    updates on random data (what the export tests compare against)."""
    factory, shape = CASES[name]
    model = _classifier(factory(), shape)
    model.compile(optimizer=mk.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy")
    rng = np.random.default_rng(4)
    model.fit(_inputs(rng, shape, "float32", 12), rng.integers(0, 3, 12), batch_size=6, epochs=1, verbose=0)
    return model


def _built(name, dtype, seed=0):
    factory, shape = CASES[name]
    layer = factory()
    layer.name = type(layer).__name__.lower()
    layer.build(shape, np.random.default_rng(seed), dtype)
    return layer, shape


def sample_inputs(shape, n: int, seed: int, scale: float = 1.0):
    """float32 inputs of `n` samples for a case's `shape` (a list of arrays for a merge layer)."""
    x = _inputs(np.random.default_rng(seed), shape, "float32", n)
    return [a * np.float32(scale) for a in x] if isinstance(x, list) else x * np.float32(scale)


def _inputs(rng, shape, dtype="float64", n=BATCH):
    """A batch of `n` for per-sample `shape`, or a list of batches for a merge layer's list of shapes."""
    if isinstance(shape, list):
        return [_inputs(rng, one, dtype, n) for one in shape]
    return rng.standard_normal((n, *shape)).astype(dtype)


def _forward(layer, x, training):
    for step in layer.steps():
        x = step.forward(x, training)
    return x


def _backward(layer, grad):
    for step in reversed(layer.steps()):
        grad = step.backward(grad)
    return grad


def _reseed_noise(layer):
    # Dropout and the noise layers draw new noise per forward from the generator they were built
    # with: building them again with the same seed gives the same noise (they have no parameters).
    if isinstance(layer, RandomLayer):
        layer.build(layer.input_shape, np.random.default_rng(99), layer.dtype)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_shape_and_dtype(name, dtype):
    layer, shape = _built(name, dtype)
    x = _inputs(np.random.default_rng(1), shape, dtype)
    for training in (True, False):
        y = _forward(layer, x, training)
        assert y.shape == (BATCH, *layer.call_output_shape(shape))
        assert y.dtype == np.dtype(dtype)
        assert np.all(np.isfinite(y))


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradients_match_centered_differences(name):
    """f = sum(steps' forward(x) * G): check d f / d x and d f / d every trainable param (penalties:
    tests/test_engine.py). A frozen layer's params get no gradient."""
    factory = CASES[name][0]
    noise_in_dtype = isinstance(factory(), RandomLayer) and not isinstance(factory(), ImageAugmentation)
    dtype = np.float64 if noise_in_dtype else np.longdouble  # numpy draws no longdouble noise
    layer, shape = _built(name, dtype)
    rng = np.random.default_rng(2)
    x = _inputs(rng, shape, dtype)
    upstream = rng.standard_normal(_forward(layer, x, True).shape).astype(dtype)

    def objective():
        _reseed_noise(layer)
        return (_forward(layer, x, True) * upstream).sum()

    objective()
    dx = _backward(layer, upstream)
    dx = [d.copy() for d in dx] if isinstance(x, list) else [dx.copy()]
    analytic = {key: grad.copy() for key, grad in layer.grads.items()}
    for d, one in zip(dx, x if isinstance(x, list) else [x]):
        assert max_relative_error(d, numeric_gradient(objective, one)) < 1e-7
    for key, param in layer.params.items() if layer.trainable else ():
        assert max_relative_error(analytic[key], numeric_gradient(objective, param)) < 1e-7, key


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    layer, shape = _built(name, "float64")
    config = json.loads(json.dumps({"class_name": type(layer).__name__, "config": layer.get_config()}))
    clone = registry.from_config(config)
    assert type(clone) is type(layer) and clone.get_config() == layer.get_config()
    clone.build(shape, np.random.default_rng(5), "float64")
    clone.set_weights(layer.get_weights())
    x = _inputs(np.random.default_rng(3), shape)
    np.testing.assert_array_equal(_forward(clone, x, False), _forward(layer, x, False))


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


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_fit_step_in_a_model_and_a_saved_file_round_trip(name, tmp_path):
    layer, shape = CASES[name][0](), CASES[name][1]
    model = _classifier(layer, shape)
    model.compile(optimizer=mk.optimizers.SGD(0.1, momentum=0.9), loss="categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(4)
    x, y = _inputs(rng, shape, "float32"), rng.integers(0, 3, BATCH)
    before = {key: param.copy() for key, param in layer.params.items()}
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    for key, param in layer.params.items():
        assert np.all(np.isfinite(param)), key
        assert np.array_equal(param, before[key]) != layer.trainable, f"{name}.{key}: trained {layer.trainable}?"
    model.save(tmp_path / "m.h5")
    loaded = mk.load_model(tmp_path / "m.h5")
    assert type(loaded.get_layer(layer.name)) is type(layer)
    for saved, restored in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(saved, restored)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    for trained, resumed in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(trained, resumed)
