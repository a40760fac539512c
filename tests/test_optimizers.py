"""Each optimizer's update against the formula computed by hand for two steps.

SGD runs on short arrays (numpy ufuncs) and on long ones (numpy's BLAS axpy, minikeras.ops)."""
import math

import numpy as np
import pytest

from minikeras import ops, optimizers, schedules

W0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 0.25])
G2 = np.array([-1.0, 2.0])


def _two_steps(optimizer, copies=1):
    """The parameter after two updates, W0 and the gradients repeated `copies` times."""
    param = np.tile(W0, copies)
    optimizer.build([param])
    for grad in (G1, G2):
        optimizer.apply([param], [np.tile(grad, copies)])
    return param


SGD_LENGTHS = pytest.mark.parametrize("copies", [1, ops.MIN_BLAS_SIZE], ids=["ufuncs", "blas"])


@SGD_LENGTHS
def test_plain_sgd(copies):
    expected = W0 - 0.1 * G1 - 0.1 * G2
    np.testing.assert_allclose(_two_steps(optimizers.SGD(0.1), copies), np.tile(expected, copies))


@SGD_LENGTHS
def test_momentum_keras_form(copies):
    v1 = -0.1 * G1
    v2 = 0.9 * v1 - 0.1 * G2
    expected = np.tile(W0 + v1 + v2, copies)
    np.testing.assert_allclose(_two_steps(optimizers.SGD(0.1, momentum=0.9), copies), expected)
    np.testing.assert_allclose(_two_steps(optimizers.Momentum(0.1), copies), expected)


@SGD_LENGTHS
def test_nesterov_keras_form(copies):
    v1 = -0.1 * G1
    w1 = W0 + 0.9 * v1 - 0.1 * G1
    v2 = 0.9 * v1 - 0.1 * G2
    np.testing.assert_allclose(_two_steps(optimizers.SGD(0.1, momentum=0.9, nesterov=True), copies),
                               np.tile(w1 + 0.9 * v2 - 0.1 * G2, copies))


def test_adam():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, v = W0.copy(), np.zeros(2), np.zeros(2)
    for t, g in enumerate((G1, G2), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(_two_steps(optimizers.Adam(lr)), w)


def test_rmsprop():
    lr, rho, eps = 0.01, 0.9, 1e-7
    w, v = W0.copy(), np.zeros(2)
    for g in (G1, G2):
        v = rho * v + (1 - rho) * g * g
        w = w - lr * g / np.sqrt(v + eps)
    np.testing.assert_allclose(_two_steps(optimizers.RMSprop(lr)), w)


def test_keras_defaults_from_names():
    assert optimizers.get("sgd").learning_rate == 0.01 and optimizers.get("sgd").momentum == 0.0
    assert optimizers.get("momentum").momentum == 0.9
    adam = optimizers.get("adam")
    assert (adam.learning_rate, adam.beta_1, adam.beta_2, adam.epsilon) == (0.001, 0.9, 0.999, 1e-7)
    rms = optimizers.get("rmsprop")
    assert (rms.learning_rate, rms.rho, rms.epsilon) == (0.001, 0.9, 1e-7)


def test_schedule_is_called_with_the_update_count():
    optimizer = optimizers.SGD(schedules.StepDecay(1.0, 0.5, step_size=1))
    param = np.zeros(1)
    optimizer.build([param])
    rates = [optimizer.apply([param], [np.ones(1)]) for _ in range(3)]
    assert rates == [1.0, 0.5, 0.25] and optimizer.iterations == 3
    np.testing.assert_allclose(param, -1.75)


def test_schedule_cannot_be_overwritten_but_float_can():
    with pytest.raises(TypeError, match="schedule"):
        optimizers.SGD(schedules.StepDecay(1.0, 0.5, 1)).learning_rate = 0.1
    optimizer = optimizers.SGD(0.1)
    optimizer.learning_rate = 0.2
    assert optimizer.current_learning_rate() == 0.2


def test_config_round_trip_with_schedule():
    optimizer = optimizers.SGD(schedules.CyclicLR(1e-5, 1e-1, 500), momentum=0.5)
    clone = optimizers.registry.from_config({"class_name": "SGD", "config": optimizer.get_config()})
    assert clone.get_config() == optimizer.get_config()


@pytest.mark.parametrize("make, message", [
    (lambda: optimizers.SGD(-0.1), "learning_rate"),
    (lambda: optimizers.SGD(0.1, momentum=1.0), "momentum"),
    (lambda: optimizers.Adam(beta_1=1.5), "beta_1"),
    (lambda: optimizers.get("adagrad"), "Unknown optimizer 'adagrad'"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
