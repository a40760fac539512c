"""The hand-written reference of the bench trains the same network as minikeras, to float32 rounding,
so that "minikeras / hand-written" compares equal work."""
import numpy as np
import pytest

import minikeras as mk
from bench.handwritten import STAGES, HandwrittenMLP


def _pair(batch_norm, activation, momentum, l2):
    model = mk.Model(input_dim=12, seed=0)
    for _ in range(2):
        model.add_layer(8, activation, batch_norm=batch_norm, l2=l2)
    model.add_layer(4, "softmax", l2=l2)
    model.compile(optimizer=mk.optimizers.SGD(0.1, momentum=momentum))
    net = HandwrittenMLP([12, 8, 8, 4], batch_size=16, batch_norm=batch_norm, activation=activation,
                         l2=l2, momentum=momentum)
    dense = [layer for layer in model.layers if isinstance(layer, mk.layers.Dense)]
    norms = [layer for layer in model.layers if isinstance(layer, mk.layers.BatchNorm)]
    for i, layer in enumerate(dense):
        net.kernels[i][...] = layer.params["kernel"]
        net.biases[i][...] = layer.params["bias"]
    return model, net, dense, norms


@pytest.mark.parametrize("batch_norm, activation, momentum, l2",
                         [(True, "relu", 0.0, 0.01), (False, "sigmoid", 0.9, 0.0), (True, "sigmoid", 0.5, 0.01)])
def test_a_handwritten_step_matches_minikeras(batch_norm, activation, momentum, l2):
    model, net, dense, norms = _pair(batch_norm, activation, momentum, l2)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((48, 12)).astype(np.float32)
    y = rng.integers(0, 4, 48)
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for begin in range(0, 48, 16):
        net.step(x[begin:begin + 16], y[begin:begin + 16], 0.1)
    for i, layer in enumerate(dense):
        np.testing.assert_allclose(net.kernels[i], layer.params["kernel"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(net.biases[i], layer.params["bias"], rtol=1e-4, atol=1e-6)
    for i, layer in enumerate(norms):
        np.testing.assert_allclose(net.gammas[i], layer.params["gamma"], rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(net.moving[i][1], layer.state["moving_var"], rtol=1e-4, atol=1e-6)


def test_every_stage_runs():
    net = HandwrittenMLP([12, 8, 8, 4], batch_size=16)
    x = np.random.default_rng(0).standard_normal((64, 12)).astype(np.float32)
    y = np.arange(64) % 4
    for stage in STAGES:
        assert net.epoch_seconds(x, y, lambda t: 0.01, stage) > 0


def test_unknown_activation_is_refused():
    with pytest.raises(ValueError, match="relu' or 'sigmoid'; got 'tanh'"):
        HandwrittenMLP([4, 3, 2], batch_size=2, activation="tanh")
