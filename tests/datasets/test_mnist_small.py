import numpy as np

from minikeras.datasets import mnist_small


def test_embedded_subset_is_stratified_small_and_offline():
    (x_train, y_train), (x_test, y_test) = mnist_small.load_data()
    assert x_train.shape == (6000, 28, 28) and x_test.shape == (1000, 28, 28) and x_train.dtype == np.uint8
    assert np.all(np.bincount(y_train) == 600) and np.all(np.bincount(y_test) == 100)
    assert mnist_small.FILE.stat().st_size < 2 * 1024 * 1024
    assert 20 < x_train.mean() < 50  # real digits: mostly black background
