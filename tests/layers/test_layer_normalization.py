import numpy as np
import pytest

from minikeras import layers


def _run(layer, x, grad):
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    y = layer.forward(x, training=True).copy()
    return y, layer.backward(grad).copy()


@pytest.mark.parametrize("axis, normalized", [(-1, 1), ([1, 2], 2), ([-2, -1], 2)])
def test_values_and_gradients_match_pytorch_layer_norm(axis, normalized):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, grad = rng.normal(2.0, 3.0, size=(5, 3, 4)), rng.normal(size=(5, 3, 4))
    shape = x.shape[-normalized:]
    gamma, beta = rng.normal(size=shape), rng.normal(size=shape)
    layer = layers.LayerNormalization(axis=axis, epsilon=1e-5)
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    layer.set_weights([gamma, beta])
    y = layer.forward(x, training=True).copy()
    dx = layer.backward(grad).copy()
    t, g, b = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    expected = torch.nn.functional.layer_norm(t, shape, g, b, eps=1e-5)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, t.grad.numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(layer.grads["gamma"], g.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.grads["beta"], b.grad.numpy(), rtol=1e-10)


def test_normalizes_a_middle_axis_with_gamma_of_its_size():
    x = np.random.default_rng(1).normal(size=(4, 3, 5))
    layer = layers.LayerNormalization(axis=1, center=False, scale=False)
    y, _ = _run(layer, x, np.ones_like(x))
    assert layer.params == {}
    np.testing.assert_allclose(y.mean(axis=1), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=1), 1.0 / (1.0 + 1e-3 / x.var(axis=1)), rtol=1e-10)
    assert layers.LayerNormalization(axis=1).get_config()["axis"] == 1


def test_matches_keras_defaults_and_outputs():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(2).normal(size=(6, 7)).astype("float32")
    theirs = keras.layers.LayerNormalization(gamma_initializer="ones")
    ours = layers.LayerNormalization()
    np.testing.assert_allclose(ours(x), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-5, atol=1e-6)
    keras_config = {k: v for k, v in theirs.get_config().items() if not k.endswith("constraint")}
    assert ours.get_config()["epsilon"] == keras_config["epsilon"] == 1e-3
    assert set(ours.get_config()) <= set(keras_config)


@pytest.mark.parametrize("kwargs, message", [
    ({"axis": 0}, "axis must name per-sample axes"),
    ({"axis": [1, 3]}, "axis must name per-sample axes"),
    ({"epsilon": 0}, "epsilon must be a number > 0"),
    ({"gamma_constraint": "non_neg"}, "constraints"),
    ({"rms_scaling": True}, "rms_scaling"),
])
def test_bad_arguments_are_refused_with_their_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.LayerNormalization(**kwargs).build((3, 4), np.random.default_rng(0))
