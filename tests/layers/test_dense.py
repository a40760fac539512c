import numpy as np
import pytest

from minikeras import initializers, layers, regularizers


def test_forward_is_affine_map():
    dense = layers.Dense(3)
    dense.build((4,), np.random.default_rng(0), "float64")
    x = np.random.default_rng(1).standard_normal((5, 4))
    dense.params["bias"][:] = [1.0, 2.0, 3.0]
    np.testing.assert_allclose(dense.forward(x), x @ dense.params["kernel"] + [1.0, 2.0, 3.0])
    assert dense.params["kernel"].shape == (4, 3) and dense.params["bias"].shape == (3,)


def test_the_kernel_regularizer_is_declared_and_backward_leaves_its_gradient_to_the_engine():
    regularizer = regularizers.L2(0.5)
    dense = layers.Dense(2, kernel_regularizer=regularizer, bias_initializer="ones")
    dense.build((3,), np.random.default_rng(0), "float64")
    assert dense.regularizers() == {"kernel": regularizer}
    assert layers.Dense(2).regularizers() == {}
    dense.forward(np.zeros((1, 3)), training=True)
    dense.backward(np.zeros((1, 2)))
    np.testing.assert_array_equal(dense.grads["kernel"], 0)


def test_without_bias_has_only_a_kernel():
    dense = layers.Dense(2, use_bias=False)
    dense.build((3,), np.random.default_rng(0), "float32")
    assert list(dense.params) == ["kernel"] and dense.weight_names() == ["kernel"]


def test_first_layer_skips_input_gradient():
    dense = layers.Dense(2)
    dense.build((3,), np.random.default_rng(0), "float32")
    dense.needs_input_grad = False
    dense.forward(np.ones((4, 3), dtype="float32"), training=True)
    assert dense.backward(np.ones((4, 2), dtype="float32")) is None
    np.testing.assert_allclose(dense.grads["kernel"], 4.0)


def test_initializer_by_name_and_instance():
    dense = layers.Dense(2, kernel_initializer=initializers.Normal(0.01))
    assert isinstance(dense.kernel_initializer, initializers.Normal)
    assert isinstance(layers.Dense(2, kernel_initializer="xavier").kernel_initializer, initializers.Xavier)


@pytest.mark.parametrize("units", [0, -1, 2.5, "ten", True])
def test_bad_units(units):
    with pytest.raises(ValueError, match="positive integer"):
        layers.Dense(units)


def test_maps_the_last_axis_of_wider_inputs_as_keras_does():
    dense = layers.Dense(2, activation="relu")
    x = np.random.default_rng(0).standard_normal((4, 5, 3)).astype("float32")
    y = dense(x)
    kernel, bias = dense.get_weights()
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-6)
    assert dense.call_output_shape((5, 3)) == (5, 2)
    with pytest.raises(ValueError, match="last axis"):
        layers.Dense(2).build((), np.random.default_rng(0), "float32")


def test_float64_gradients_into_a_float32_layer_are_converted_as_numpy_would():
    dense = layers.Dense(3)
    dense.build((5,), np.random.default_rng(0))
    dense.forward(np.ones((4, 5)), training=True)
    dense.backward(np.ones((4, 3)))
    np.testing.assert_array_equal(dense.grads["bias"], np.full(3, 4, np.float32))
