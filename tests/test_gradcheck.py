"""check_gradients on whole models: deep stacks, every activation, BatchNorm, regularization."""
import numpy as np
import pytest

import minikeras as mk
from minikeras import layers
from minikeras.layers import activations
from tests.conftest import blobs

TOLERANCE = 1e-6  # max relative error as Model.check_gradients defines it


def _deep(activation, batch_norm, dtype="float64", hidden=(7, 6, 5, 4)):
    model = mk.Model(input_dim=6, seed=0, dtype=dtype)
    for units in hidden:
        model.add_layer(units, activation, batch_norm=batch_norm, l2=0.01)
    model.add_layer(3, "softmax", l2=0.01)
    model.compile(optimizer="sgd")
    return model


# Four stacked exponentials overflow (exp(exp(exp(exp(x))))); the harness checks that layer alone.
@pytest.mark.parametrize("activation", [a for a in activations.registry.names() if a not in ("softmax", "exponential")])
@pytest.mark.parametrize("batch_norm", [False, True])
def test_deep_stacks_pass(activation, batch_norm):
    x, y = blobs(n=8, dim=6, seed=1, dtype="float64")
    hidden = (8, 6, 4, 4) if activation == "glu" else (7, 6, 5, 4)  # glu halves even widths
    errors = _deep(activation, batch_norm, hidden=hidden).check_gradients(x, y, epsilon=1e-6)
    dense = ["dense", *(f"dense_{i}" for i in range(1, 5))]  # Keras' automatic names
    names = {f"{name}/{p}" for name in dense for p in ("kernel", "bias")}
    if batch_norm:
        names |= {f"{name}/{p}" for name in ["batch_norm", "batch_norm_1", "batch_norm_2", "batch_norm_3"]
                  for p in ("gamma", "beta")}
    assert set(errors) == names
    assert max(errors.values()) < TOLERANCE, errors


def test_softmax_hidden_layer_and_mse_loss():
    x, y = blobs(n=6, dim=4, seed=2, dtype="float64")
    model = mk.Model(input_dim=4, seed=0, dtype="float64")
    model.add_layer(5, "softmax")
    model.add_layer(3, "sigmoid")
    model.compile(loss="mse")
    assert max(model.check_gradients(x, y).values()) < TOLERANCE


def test_a_wrong_backward_is_caught():
    class BrokenTanh(layers.Tanh):
        def backward(self, grad_out):
            return super().backward(grad_out) * 1.01

    mk.register_layer(BrokenTanh)
    x, y = blobs(n=6, dim=4, seed=3, dtype="float64")
    model = mk.Model(input_dim=4, seed=0, dtype="float64",
                     layers=[layers.Dense(5), BrokenTanh(), layers.Dense(3), layers.Softmax()])
    errors = model.check_gradients(x, y)
    assert errors["dense/kernel"] > 1e-3 and errors["dense_1/kernel"] < TOLERANCE


def test_float32_model_is_checked_on_a_copy_and_left_untouched():
    x, y = blobs(n=10, dim=6, seed=4)
    model = _deep("relu", batch_norm=True, dtype="float32")
    before = model.get_weights()
    errors = model.check_gradients(x, y)
    assert max(errors.values()) < TOLERANCE
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)  # BatchNorm moving statistics included


def test_dropout_is_switched_off():
    x, y = blobs(n=8, dim=6, seed=5, dtype="float64")
    model = mk.Model(input_dim=6, seed=0, dtype="float64")
    model.add_layer(8, "relu", dropout=0.5, batch_norm=True)
    model.add_layer(3, "softmax")
    assert max(model.check_gradients(x, y).values()) < TOLERANCE


def test_max_entries_checks_a_subset():
    x, y = blobs(n=5, dim=6, seed=6, dtype="float64")
    model = _deep("tanh", batch_norm=False)
    errors = model.check_gradients(x, y, max_entries=3)
    assert max(errors.values()) < TOLERANCE


def test_sample_weights_are_part_of_the_checked_loss():
    x, y = blobs(n=8, dim=6, seed=7, dtype="float64")
    weights = np.linspace(0.0, 2.0, 8)
    assert max(_deep("sigmoid", True).check_gradients(x, y, sample_weight=weights).values()) < TOLERANCE


def test_bad_epsilon():
    x, y = blobs(n=4, dim=6)
    with pytest.raises(ValueError, match="epsilon"):
        _deep("relu", False).check_gradients(x, y, epsilon=0)
