"""Running a layer forward and backward and comparing it with the same computation in PyTorch
(float64, 1e-10): the oracle of the convolution tests."""
from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")


def check_against_torch(layer, shape, torch_weights, expected_output):
    """Run `layer` forward and backward on random inputs; compare the output, the input's gradient
    and each weight's with PyTorch (`expected_output(x, weights)` builds PyTorch's output)."""
    rng = np.random.default_rng(0)
    layer.build(shape, np.random.default_rng(1), "float64")
    if layer.bias is not None:
        layer.bias.assign(rng.standard_normal(layer.bias.shape))
    x = rng.standard_normal((3, *shape))
    y = layer.forward(x, training=True)
    grad = rng.standard_normal(y.shape)
    dx = layer.backward(grad)
    xt = torch.tensor(x, requires_grad=True)
    weights = {name: torch.tensor(layer.params[name], requires_grad=True) for name in torch_weights}
    expected = expected_output(xt, weights)
    expected.backward(torch.tensor(grad))
    assert y.shape == tuple(expected.shape) == (3, *layer.output_shape(shape))
    np.testing.assert_allclose(y, expected.detach().numpy(), atol=1e-10, rtol=0)
    np.testing.assert_allclose(dx, xt.grad.numpy(), atol=1e-10, rtol=0)
    for name, weight in weights.items():
        np.testing.assert_allclose(layer.grads[name], weight.grad.numpy(), atol=1e-10, rtol=0)
