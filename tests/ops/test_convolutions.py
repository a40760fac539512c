"""The convolution and pooling ops compute what the layers of the same name compute (their VJPs
are checked against PyTorch in test_vjp.py), and refuse what they do not support clearly."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers, ops


def _layer_output(layer, x, *weights):
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    for variable, weight in zip(layer.trainable_weights, weights):
        variable.assign(weight)
    return layer.forward(x)


@pytest.mark.parametrize("layer, op", [
    (layers.AveragePooling2D(3, strides=2, padding="same"), lambda x: ops.average_pool(x, 3, 2, "same")),
    (layers.MaxPooling2D(3, strides=2, padding="same"), lambda x: ops.max_pool(x, 3, 2, "same")),
    (layers.AveragePooling1D(2, padding="same"), lambda x: ops.average_pool(x[:, 0], 2, padding="same")),
])
def test_pooling_ops_match_the_pooling_layers(layer, op):
    x = np.random.default_rng(1).standard_normal((2, 7, 6, 3))
    source = x[:, 0] if layer.rank == 1 else x
    np.testing.assert_allclose(op(x), _layer_output(layer, source), rtol=1e-12)


def test_conv_ops_match_the_convolution_layers():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 7, 6, 4))
    kernel, depthwise, pointwise = rng.standard_normal((3, 2, 2, 6)), rng.standard_normal((2, 2, 4, 2)), \
        rng.standard_normal((1, 1, 8, 5))
    conv = layers.Conv2D(6, (3, 2), strides=2, padding="same", groups=2, use_bias=False)
    np.testing.assert_allclose(ops.conv(x, kernel, 2, "same"), _layer_output(conv, x, kernel), rtol=1e-12)
    separable = layers.SeparableConv2D(5, 2, depth_multiplier=2, dilation_rate=2, use_bias=False)
    np.testing.assert_allclose(ops.separable_conv(x, depthwise, pointwise, dilation_rate=2),
                               _layer_output(separable, x, depthwise, pointwise), rtol=1e-12)


@pytest.mark.parametrize("call, message", [
    (lambda x: ops.conv(x, np.ones((3, 3, 2, 4)), data_format="channels_first"), "channels-last inputs"),
    (lambda x: ops.conv(x, np.ones((3, 2, 4))), r"a kernel for inputs of shape \(2, 5, 5, 2\) has 4 axes"),
    (lambda x: ops.conv(x, np.ones((3, 3, 3, 4))), "the inputs' 2 channels must be a multiple"),
    (lambda x: ops.conv(x, np.ones((7, 7, 2, 4))), "does not fit"),
    (lambda x: ops.conv(x, np.ones((3, 3, 2, 4)), padding="full"), "padding must be one of"),
    (lambda x: ops.depthwise_conv(x, np.ones((3, 3, 3, 1))), r"\(kernel size..., 2, multiplier\)"),
    (lambda x: ops.max_pool(x[0, 0], 2), r"inputs \(N, length, channels\) or \(N, height, width, channels\)"),
    (lambda x: ops.average_pool(x, (2, 2, 2)), "pool_size must be an int or a pair"),
])
def test_what_the_ops_do_not_support_is_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call(np.ones((2, 5, 5, 2)))
