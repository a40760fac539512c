"""The poolings against PyTorch in float64: outputs and input gradients, for pool sizes, strides and
paddings (the average of a "same" window is that of the pixels inside, as Keras computes it)."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers

torch = pytest.importorskip("torch")
F = torch.nn.functional


def _padded(layer, x, value):
    pads, _ = layer._geometry(tuple(x.shape[1:]))
    if layer.rank == 2:
        return F.pad(x.permute(0, 3, 1, 2), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]), value=value)
    return F.pad(x.permute(0, 2, 1), pads[1], value=value)


def _max(layer, x):
    pool = F.max_pool2d if layer.rank == 2 else F.max_pool1d
    y = pool(_padded(layer, x, -np.inf), layer.pool_size, layer.strides)
    return y.permute(0, 2, 3, 1) if layer.rank == 2 else y.permute(0, 2, 1)


def _average(layer, x):
    pool = F.avg_pool2d if layer.rank == 2 else F.avg_pool1d
    ones = torch.ones_like(x[:1, ..., :1])
    y = pool(_padded(layer, x, 0.0), layer.pool_size, layer.strides) / \
        pool(_padded(layer, ones, 0.0), layer.pool_size, layer.strides)
    return y.permute(0, 2, 3, 1) if layer.rank == 2 else y.permute(0, 2, 1)


CASES = [
    (layers.MaxPooling2D(), (6, 7, 3), _max),
    (layers.MaxPooling2D((3, 2), strides=(2, 1), padding="same"), (7, 5, 2), _max),
    (layers.MaxPooling2D(3, strides=1), (5, 5, 2), _max),  # overlapping windows: gradients add up
    (layers.AveragePooling2D(2), (6, 7, 3), _average),
    (layers.AveragePooling2D(3, strides=2, padding="same"), (7, 6, 2), _average),
    (layers.AveragePooling2D((2, 3), strides=1, padding="same"), (4, 5, 2), _average),
    (layers.MaxPooling1D(3, padding="same"), (10, 2), _max),
    (layers.AveragePooling1D(4, strides=3, padding="same"), (11, 2), _average),
    (layers.GlobalAveragePooling2D(), (4, 5, 3), lambda layer, x: x.mean(dim=(1, 2))),
    (layers.GlobalMaxPooling2D(keepdims=True), (4, 5, 3), lambda layer, x: x.amax(dim=(1, 2), keepdim=True)),
    (layers.GlobalMaxPooling1D(), (6, 3), lambda layer, x: x.amax(dim=1)),
    (layers.GlobalAveragePooling1D(keepdims=True), (6, 3), lambda layer, x: x.mean(dim=1, keepdim=True)),
]


@pytest.mark.parametrize("layer, shape, reference", CASES, ids=[f"{type(c[0]).__name__}-{i}" for i, c in
                                                                enumerate(CASES)])
def test_values_and_input_gradients_match_pytorch(layer, shape, reference):
    rng = np.random.default_rng(0)
    layer.build(shape, np.random.default_rng(1), "float64")
    x = rng.standard_normal((3, *shape))
    y = layer.forward(x, training=True)
    grad = rng.standard_normal(y.shape)
    dx = layer.backward(grad)
    xt = torch.tensor(x, requires_grad=True)
    expected = reference(layer, xt)
    expected.backward(torch.tensor(grad))
    assert y.shape == tuple(expected.shape) == (3, *layer.output_shape(shape))
    np.testing.assert_allclose(y, expected.detach().numpy(), atol=1e-12, rtol=0)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-12, rtol=0)


def test_shapes_and_errors():
    assert layers.MaxPooling2D().output_shape((26, 26, 32)) == (13, 13, 32)
    assert layers.MaxPooling2D(2, padding="same").output_shape((27, 27, 8)) == (14, 14, 8)
    assert layers.GlobalAveragePooling2D(keepdims=True).output_shape((7, 7, 64)) == (1, 1, 64)
    with pytest.raises(ValueError, match=r"MaxPooling2D pool_size must be an int or a pair of ints >= 1; got 0"):
        layers.MaxPooling2D(0)
    with pytest.raises(ValueError, match="does not fit in inputs of per-sample shape"):
        layers.MaxPooling2D(4).output_shape((3, 8, 1))
    with pytest.raises(ValueError, match=r"AveragePooling1D takes inputs of per-sample shape \(length, channels\)"):
        layers.AveragePooling1D(2).output_shape((4, 4, 4))


KERAS_ONLY = {"activity_regularizer", "kernel_constraint", "bias_constraint"}  # as Dense: not taken here


@pytest.mark.parametrize("name", ["Conv1D", "Conv2D", "MaxPooling1D", "MaxPooling2D", "AveragePooling1D",
                                  "AveragePooling2D", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
                                  "GlobalMaxPooling1D", "GlobalMaxPooling2D"])
def test_the_signature_is_keras(name):
    import inspect
    keras = pytest.importorskip("keras")

    def parameters(cls):  # a default of (1, 1) is the same as 1 (each spatial axis takes it)
        return {p.name: p.default[0] if isinstance(p.default, tuple) and len(set(p.default)) == 1 else p.default
                for p in inspect.signature(cls.__init__).parameters.values()
                if p.kind is p.POSITIONAL_OR_KEYWORD and p.name not in ("self", "name")}

    theirs, ours = parameters(getattr(keras.layers, name)), parameters(getattr(layers, name))
    assert {key: value for key, value in theirs.items() if key not in KERAS_ONLY} == ours
