import numpy as np
import pytest

from minikeras import layers


def _built(rate, seed=0):
    dropout = layers.Dropout(rate)
    dropout.build((1000,), np.random.default_rng(seed), "float32")
    return dropout


def test_identity_at_inference():
    dropout = _built(0.5)
    x = np.ones((4, 1000), dtype="float32")
    np.testing.assert_array_equal(dropout.forward(x, training=False), x)


def test_inverted_scaling_keeps_the_mean():
    dropout = _built(0.3)
    x = np.ones((50, 1000), dtype="float32")
    y = dropout.forward(x, training=True)
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.02


def test_backward_uses_the_same_mask():
    dropout = _built(0.5)
    y = dropout.forward(np.ones((3, 1000), dtype="float32"), training=True).copy()
    np.testing.assert_array_equal(dropout.backward(np.ones((3, 1000), dtype="float32")), y)


def test_same_seed_same_masks_and_new_mask_each_call():
    first, second = _built(0.5, seed=3), _built(0.5, seed=3)
    x = np.ones((2, 1000), dtype="float32")
    a = first.forward(x, training=True).copy()
    np.testing.assert_array_equal(a, second.forward(x, training=True))
    assert not np.array_equal(a, first.forward(x, training=True))


@pytest.mark.parametrize("rate", [-0.1, 1.0, 2])
def test_bad_rate(rate):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        layers.Dropout(rate)
