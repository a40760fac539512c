import numpy as np
import pytest

from minikeras import backend, losses
from tests.conftest import max_relative_error, numeric_gradient

CE = losses.CategoricalCrossentropy().value_and_gradient


def _softmax(z):
    return backend.softmax(z, np.empty_like(z))


@pytest.fixture
def logits():
    return np.random.default_rng(0).standard_normal((6, 4))


def test_fused_cross_entropy_value_and_gradient(logits):
    ids = np.array([0, 1, 2, 3, 0, 1])
    loss, grad = CE(logits, ids, from_logits=True)
    probs = _softmax(logits)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(6), ids])))
    onehot = np.eye(4)[ids]
    np.testing.assert_allclose(grad, (probs - onehot) / 6)


def test_ids_and_one_hot_agree(logits):
    ids = np.array([3, 1, 2, 0, 0, 2])
    onehot = losses.prepare_targets(np.eye(4)[ids], 4, np.float64)
    for from_logits in (True, False):
        output = logits if from_logits else _softmax(logits)
        a = CE(output, ids, from_logits=from_logits)
        b = CE(output, onehot, from_logits=from_logits)
        assert a[0] == pytest.approx(b[0])
        np.testing.assert_allclose(a[1], b[1], atol=1e-15)


def test_probability_form_gradient_matches_differences():
    probs = np.random.default_rng(1).uniform(0.1, 1.0, (3, 4))
    targets = np.random.default_rng(2).uniform(0, 1, (3, 4))
    _, grad = CE(probs, targets)
    numeric = numeric_gradient(lambda: CE(probs, targets)[0], probs)
    assert max_relative_error(grad, numeric) < 1e-6


def test_stable_for_logits_of_1e4():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 0.0]])
    loss, grad = CE(logits, np.array([1, 1]), from_logits=True)
    assert loss == pytest.approx(2e4 / 2)
    np.testing.assert_allclose(grad, [[0.5, -0.5, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(CE(np.float32(logits), np.array([0, 1]), from_logits=True)[0], 0.0)


def test_sample_weights_scale_loss_and_gradient(logits):
    ids = np.array([0, 1, 2, 3, 0, 1])
    weights = np.array([0.0, 1.0, 2.0, 1.0, 0.5, 3.0])
    loss, grad = CE(logits, ids, weights, from_logits=True)
    plain_loss_rows = -np.log(_softmax(logits)[np.arange(6), ids])
    assert loss == pytest.approx(np.mean(weights * plain_loss_rows))
    _, plain_grad = CE(logits, ids, from_logits=True)
    np.testing.assert_allclose(grad, plain_grad * weights[:, None])


def test_mse_mean_over_all_entries_and_gradient():
    mse = losses.MeanSquaredError()
    output = np.random.default_rng(3).standard_normal((5, 3))
    targets = mse.prepare_targets(np.random.default_rng(4).standard_normal((5, 3)), 3, np.float64)
    loss, grad = mse.value_and_gradient(output, targets)
    assert loss == pytest.approx(np.mean((output - targets) ** 2))
    assert max_relative_error(grad, numeric_gradient(lambda: mse.value_and_gradient(output, targets)[0], output)) < 1e-6


def test_mse_one_hot_encodes_class_ids():
    targets = losses.MeanSquaredError().prepare_targets(np.array([2, 0]), 3, np.float32)
    np.testing.assert_array_equal(targets, [[0, 0, 1], [1, 0, 0]])


@pytest.mark.parametrize("labels", [np.array([0, 1, 2]), np.array([[0], [1], [2]]), np.array([0.0, 1.0, 2.0])])
def test_class_id_forms(labels):
    np.testing.assert_array_equal(losses.prepare_targets(labels, 3, np.float32), [0, 1, 2])


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3]), r"ids from 0 to 3"),
    (np.array([-1, 0]), r"ids from -1 to 0"),
    (np.array([0.5, 1.0]), "non-integer"),
    (np.zeros((2, 4)), r"shape \(2, 4\)"),
    (np.zeros((2, 2, 2)), r"shape \(2, 2, 2\)"),
    (np.array(["a", "b"]), r"Labels must be numbers.*; got <U1 values such as \['a', 'b'\]. Encode them first"),
])
def test_bad_labels_say_what_was_expected(labels, message):
    with pytest.raises(ValueError, match=message) as error:
        losses.prepare_targets(labels, 3, np.float32)
    assert "(N, 3)" in str(error.value)


def test_unknown_loss():
    with pytest.raises(ValueError, match="Unknown loss 'hinje'. Expected one of: .*hinge"):
        losses.get("hinje")
