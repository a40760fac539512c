"""`Conv2D` and `Conv1D` against PyTorch's `torch.nn.functional.conv2d`/`conv1d` in float64: outputs
and every gradient (input, kernel, bias) to 1e-10, for strides, paddings, dilations and groups;
plus shapes and the errors a bad argument gets."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers
from minikeras.backend import convolution
from tests.layers.torch_oracle import check_against_torch

torch = pytest.importorskip("torch")
F = torch.nn.functional

CONV2D = [  # (arguments, per-sample input shape)
    (dict(filters=4, kernel_size=3), (7, 6, 2)),
    (dict(filters=4, kernel_size=(3, 2), strides=(2, 3), padding="same"), (7, 8, 2)),
    (dict(filters=3, kernel_size=2, strides=2, padding="valid", use_bias=False), (6, 7, 1)),
    (dict(filters=5, kernel_size=(1, 3), strides=(1, 2), padding="same"), (4, 9, 3)),
    (dict(filters=6, kernel_size=3, dilation_rate=2, padding="same", groups=3), (9, 8, 3)),
    (dict(filters=4, kernel_size=(2, 3), dilation_rate=(3, 1), padding="valid", groups=2), (9, 8, 4)),
    (dict(filters=2, kernel_size=4, strides=3, padding="same"), (10, 11, 3)),
    (dict(filters=3, kernel_size=5, padding="same"), (5, 5, 2)),
]
CONV1D = [
    (dict(filters=5, kernel_size=3, padding="causal", dilation_rate=2), (10, 3)),
    (dict(filters=4, kernel_size=4, strides=3, padding="same", groups=2), (11, 2)),
    (dict(filters=3, kernel_size=2, strides=2), (9, 3)),
    (dict(filters=2, kernel_size=3, dilation_rate=3, padding="same"), (12, 2)),
]


def _torch_conv(layer, x, kernel, bias):
    """The layer's convolution in PyTorch (channels-first inside, padding applied as the layer's)."""
    pads, _ = layer._geometry(tuple(x.shape[1:]))
    if layer.rank == 2:
        padded = F.pad(x.permute(0, 3, 1, 2), (pads[1][0], pads[1][1], pads[0][0], pads[0][1]))
        y = F.conv2d(padded, kernel.permute(3, 2, 0, 1), bias, stride=layer.strides, dilation=layer.dilation_rate,
                     groups=layer.groups)
        return y.permute(0, 2, 3, 1)
    padded = F.pad(x.permute(0, 2, 1), pads[1])
    y = F.conv1d(padded, kernel.permute(2, 1, 0), bias, stride=layer.strides, dilation=layer.dilation_rate,
                 groups=layer.groups)
    return y.permute(0, 2, 1)


@pytest.mark.parametrize("kind, arguments, shape", [(layers.Conv2D, *case) for case in CONV2D] +
                         [(layers.Conv1D, *case) for case in CONV1D])
def test_values_and_every_gradient_match_pytorch(kind, arguments, shape):
    layer = kind(**arguments)
    names = ["kernel"] + (["bias"] if arguments.get("use_bias", True) else [])
    check_against_torch(layer, shape, names, lambda x, weights: _torch_conv(layer, x, weights["kernel"],
                                                                            weights.get("bias")))


@pytest.mark.parametrize("kept_bytes", [0, 2**30], ids=["columns made again", "columns kept"])
@pytest.mark.parametrize("kind, arguments, shape", [(layers.Conv2D, *CONV2D[1]), (layers.Conv2D, *CONV2D[4]),
                                                    (layers.Conv1D, *CONV1D[1])])
def test_a_batch_in_slices_gives_the_same_values_and_gradients(kind, arguments, shape, kept_bytes, monkeypatch):
    """One sample per im2col slice (3 slices), the columns kept from forward or made again."""
    monkeypatch.setattr(convolution, "IM2COL_BYTES", 1)
    monkeypatch.setattr(convolution, "KEPT_BYTES", kept_bytes)
    layer = kind(**arguments)
    check_against_torch(layer, shape, ["kernel", "bias"], lambda x, weights: _torch_conv(layer, x, weights["kernel"],
                                                                                         weights["bias"]))
    assert len(layer._kept or []) == (3 * layer.groups if kept_bytes else 0)  # per slice and group


def test_shapes_as_keras_gives_them():
    assert layers.Conv2D(32, (3, 3)).output_shape((28, 28, 1)) == (26, 26, 32)
    assert layers.Conv2D(8, 3, strides=2, padding="same").output_shape((32, 32, 3)) == (16, 16, 8)
    assert layers.Conv2D(8, 3, strides=2, padding="same").output_shape((33, 31, 3)) == (17, 16, 8)
    assert layers.Conv2D(8, 3, dilation_rate=2).output_shape((10, 10, 3)) == (6, 6, 8)
    assert layers.Conv1D(4, 5, padding="causal").output_shape((20, 2)) == (20, 4)
    assert layers.Conv2D(4, 3).build((8, 8, 6), np.random.default_rng(0)) is None


@pytest.mark.parametrize("call, message", [
    (lambda: layers.Conv2D(0, 3), "Conv2D filters must be"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"Conv2D kernel_size must be an int or a pair of ints >= 1; got \(3, 3, 3\)"),
    (lambda: layers.Conv2D(4, 3, padding="full"), r"Conv2D padding must be one of \('valid', 'same'\); got 'full'"),
    (lambda: layers.Conv2D(4, 3, padding="causal"), "Conv2D padding must be one of"),
    (lambda: layers.Conv2D(4, 3, data_format="channels_first"), "channels-last inputs"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), "strides > 1 is not supported with dilation_rate > 1"),
    (lambda: layers.Conv2D(5, 3, groups=2), r"filters \(5\) must be a multiple of groups \(2\)"),
    (lambda: layers.Conv2D(4, 3, groups=2).output_shape((8, 8, 3)), "3 channels must be a multiple of groups"),
    (lambda: layers.Conv2D(4, 5).output_shape((3, 8, 1)), r"does not fit in inputs of per-sample shape \(3, 8, 1\)"),
    (lambda: layers.Conv2D(4, 3).output_shape((8, 8)), r"per-sample shape \(height, width, channels\); got \(8, 8\)"),
    (lambda: layers.Conv1D(4, 3).output_shape((8, 8, 1)), r"per-sample shape \(length, channels\)"),
])
def test_bad_arguments_and_shapes_are_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()
