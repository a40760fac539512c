import numpy as np
import pytest

from minikeras import layers


def _built(width=3, momentum=0.9):
    bn = layers.BatchNorm(momentum=momentum)
    bn.build((width,), np.random.default_rng(0), "float64")
    return bn


def test_training_normalizes_with_biased_batch_variance():
    bn = _built()
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(50, 3))
    y = bn.forward(x, training=True)
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + bn.epsilon)
    np.testing.assert_allclose(y, expected, atol=1e-12)


def test_gamma_beta_scale_and_shift():
    bn = _built()
    bn.params["gamma"][:] = 2.0
    bn.params["beta"][:] = -1.0
    x = np.random.default_rng(1).standard_normal((20, 3))
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + bn.epsilon)
    np.testing.assert_allclose(bn.forward(x, training=True), 2.0 * x_hat - 1.0, atol=1e-12)


def test_moving_averages_follow_the_momentum_rule():
    bn = _built(momentum=0.8)
    rng = np.random.default_rng(2)
    mean, var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(2.0, 4.0, size=(30, 3))
        bn.forward(x, training=True)
        mean = 0.8 * mean + 0.2 * x.mean(0)
        var = 0.8 * var + 0.2 * x.var(0)
    np.testing.assert_allclose(bn.state["moving_mean"], mean)
    np.testing.assert_allclose(bn.state["moving_var"], var)


def test_inference_uses_moving_statistics_and_does_not_update_them():
    bn = _built()
    bn.state["moving_mean"][:] = [1.0, 2.0, 3.0]
    bn.state["moving_var"][:] = [4.0, 9.0, 16.0]
    x = np.random.default_rng(3).standard_normal((7, 3))
    expected = (x - [1.0, 2.0, 3.0]) / np.sqrt(np.array([4.0, 9.0, 16.0]) + bn.epsilon)
    np.testing.assert_allclose(bn.forward(x, training=False), expected)
    np.testing.assert_array_equal(bn.state["moving_mean"], [1.0, 2.0, 3.0])


def test_weights_order_is_gamma_beta_moving_mean_moving_var():
    assert _built().weight_names() == ["gamma", "beta", "moving_mean", "moving_var"]
    layer = _built(5)
    assert layer.count_params() == 20
    assert [w.size for w in layer.trainable_weights] == [5, 5]
    assert [w.size for w in layer.non_trainable_weights] == [5, 5]


@pytest.mark.parametrize("kwargs", [{"momentum": 1.5}, {"epsilon": 0.0}])
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        layers.BatchNorm(**kwargs)


def test_float64_input_into_a_float32_layer_is_converted_as_numpy_would():
    layer = layers.BatchNorm()
    layer.build((5,), np.random.default_rng(0))
    x = np.random.default_rng(1).standard_normal((8, 5))
    y = layer.forward(x, training=True)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-6)
    assert layer.backward(np.ones((8, 5))).dtype == np.float32
