"""`DepthwiseConv1D/2D` and `SeparableConv1D/2D` against PyTorch's grouped `conv2d`/`conv1d` in
float64: outputs and every gradient (input, kernels, bias) to 1e-10 for strides, paddings,
dilations and depth multipliers; plus shapes and the errors a bad argument gets."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers
from tests.layers.torch_oracle import check_against_torch

torch = pytest.importorskip("torch")
F = torch.nn.functional

DEPTHWISE = [  # (arguments, per-sample input shape)
    (dict(kernel_size=3), (7, 6, 2)),
    (dict(kernel_size=(3, 2), strides=(2, 3), padding="same", depth_multiplier=2), (7, 8, 3)),
    (dict(kernel_size=3, dilation_rate=2, padding="same", use_bias=False), (9, 8, 2)),
    (dict(kernel_size=4, strides=3, padding="same", depth_multiplier=3), (10, 11, 2)),
    (dict(kernel_size=5, padding="same"), (5, 5, 4)),
]
DEPTHWISE_1D = [
    (dict(kernel_size=3, dilation_rate=2, depth_multiplier=2), (10, 3)),
    (dict(kernel_size=4, strides=3, padding="same"), (11, 2)),
]


def _torch_depthwise(layer, x, kernel):
    """The depthwise convolution in PyTorch: one group per input channel (channels-first inside,
    padded as the layer pads), output channel ``c M + m``."""
    pads, _ = layer._geometry(tuple(x.shape[1:]))
    channels, multiplier = kernel.shape[-2:]
    if layer.rank == 2:
        weights = kernel.permute(2, 3, 0, 1).reshape(channels * multiplier, 1, *kernel.shape[:2])
        padded = F.pad(x.permute(0, 3, 1, 2), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        y = F.conv2d(padded, weights, stride=layer.strides, dilation=layer.dilation_rate, groups=channels)
        return y.permute(0, 2, 3, 1)
    weights = kernel.permute(1, 2, 0).reshape(channels * multiplier, 1, kernel.shape[0])
    y = F.conv1d(F.pad(x.permute(0, 2, 1), pads[1]), weights, stride=layer.strides, dilation=layer.dilation_rate,
                 groups=channels)
    return y.permute(0, 2, 1)


@pytest.mark.parametrize("kind, arguments, shape", [(layers.DepthwiseConv2D, *case) for case in DEPTHWISE] +
                         [(layers.DepthwiseConv1D, *case) for case in DEPTHWISE_1D])
def test_depthwise_values_and_every_gradient_match_pytorch(kind, arguments, shape):
    layer = kind(**arguments)

    def expected(x, weights):
        y = _torch_depthwise(layer, x, weights["kernel"])
        return y if "bias" not in weights else y + weights["bias"]

    check_against_torch(layer, shape, ["kernel"] + (["bias"] if arguments.get("use_bias", True) else []), expected)


@pytest.mark.parametrize("kind, arguments, shape", [
    (layers.SeparableConv2D, dict(filters=4, kernel_size=3), (7, 6, 2)),
    (layers.SeparableConv2D, dict(filters=3, kernel_size=(2, 3), strides=2, padding="same", depth_multiplier=2),
     (8, 9, 3)),
    (layers.SeparableConv2D, dict(filters=5, kernel_size=3, dilation_rate=(2, 1), use_bias=False), (9, 6, 2)),
    (layers.SeparableConv1D, dict(filters=4, kernel_size=3, padding="same", depth_multiplier=2), (10, 3)),
])
def test_separable_values_and_every_gradient_match_pytorch(kind, arguments, shape):
    layer = kind(**arguments)

    def expected(x, weights):
        depthwise = _torch_depthwise(layer, x, weights["depthwise_kernel"])
        y = depthwise @ weights["pointwise_kernel"].reshape(-1, layer.filters)
        return y if "bias" not in weights else y + weights["bias"]

    names = ["depthwise_kernel", "pointwise_kernel"] + (["bias"] if arguments.get("use_bias", True) else [])
    check_against_torch(layer, shape, names, expected)


def test_weights_have_keras_shapes_and_names():
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2)
    depthwise.build((8, 8, 3), np.random.default_rng(0))
    assert {name: v.shape for name, v in depthwise.params.items()} == {"kernel": (3, 3, 3, 2), "bias": (6,)}
    assert depthwise.kernel is depthwise.depthwise_kernel
    separable = layers.SeparableConv1D(5, 3, depth_multiplier=2)
    separable.build((8, 3), np.random.default_rng(0))
    assert {name: v.shape for name, v in separable.params.items()} == {
        "depthwise_kernel": (3, 3, 2), "pointwise_kernel": (1, 6, 5), "bias": (5,)}
    assert layers.SeparableConv2D(16, 3, strides=2, padding="same").output_shape((33, 31, 3)) == (17, 16, 16)


@pytest.mark.parametrize("call, message", [
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), "DepthwiseConv2D depth_multiplier must be"),
    (lambda: layers.SeparableConv2D(0, 3), "SeparableConv2D filters must be"),
    (lambda: layers.DepthwiseConv1D(3, padding="causal"), "DepthwiseConv1D padding must be one of"),
    (lambda: layers.SeparableConv2D(4, 3, strides=2, dilation_rate=2), "strides > 1 is not supported"),
    (lambda: layers.DepthwiseConv2D(5).output_shape((3, 8, 1)), r"does not fit in inputs of per-sample shape"),
    (lambda: layers.SeparableConv1D(4, 3).output_shape((8, 8, 1)), r"per-sample shape \(length, channels\)"),
])
def test_bad_arguments_and_shapes_are_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
