import numpy as np

from minikeras import layers


def test_flatten_round_trip():
    flatten = layers.Flatten()
    flatten.build((2, 3, 4), np.random.default_rng(0), "float32")
    x = np.arange(48, dtype="float32").reshape(2, 2, 3, 4)
    y = flatten.forward(x)
    assert y.shape == (2, 24) and flatten.output_shape((2, 3, 4)) == (24,)
    np.testing.assert_array_equal(flatten.backward(y), x)
