import numpy as np
import pytest

import minikeras as mk
from tests.conftest import blobs


def _model():
    model = mk.Model(input_dim=5, seed=0)
    model.add_layer(16, "relu")
    model.add_layer(3, "softmax")
    model.compile(optimizer="sgd")
    return model


def test_rates_grow_exponentially_and_the_model_is_untouched():
    x, y = blobs(n=400)
    model = _model()
    before = model.get_weights()
    result = mk.lr_range_test(model, x, y, min_lr=1e-4, max_lr=10.0, steps=60, batch_size=32)
    rates = np.array(result["lr"])
    assert rates[0] == pytest.approx(1e-4)
    np.testing.assert_allclose(rates[1:] / rates[:-1], (1e5) ** (1 / 60), rtol=1e-9)
    assert len(result["loss"]) == len(rates) == len(result["smoothed_loss"])
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_suggestion_brackets_the_useful_range():
    x, y = blobs(n=400)
    result = mk.lr_range_test(_model(), x, y, min_lr=1e-5, max_lr=100.0, steps=120, batch_size=32)
    low, high = result["suggested"]
    assert 1e-5 <= low < high <= 100.0
    lowest = int(np.argmin(result["smoothed_loss"]))
    assert high == result["lr"][lowest]
    assert len(result["lr"]) < 120  # it stopped once the loss diverged


def test_bad_bounds():
    x, y = blobs(n=10)
    with pytest.raises(ValueError, match="min_lr < max_lr"):
        mk.lr_range_test(_model(), x, y, min_lr=1.0, max_lr=0.1)
