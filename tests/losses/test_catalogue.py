"""Every loss: its value against an independent float64 reference (PyTorch's function where it has
the same one), its gradient against centered differences, sample weights and reductions."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from minikeras import losses, ops, saving
from tests.conftest import max_relative_error, numeric_gradient

EPS = 1e-7
RNG = np.random.default_rng(0)
N, C = 7, 4
LOGITS = RNG.standard_normal((N, C)) * 2
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(axis=1, keepdims=True)
SIGMOID_LOGITS = RNG.standard_normal((N, 1)) * 2
SIGMOID = 1 / (1 + np.exp(-SIGMOID_LOGITS))
IDS = RNG.integers(0, C, N)
ONE_HOT = np.eye(C)[IDS]
BINARY = RNG.integers(0, 2, (N, 1)).astype(float)
REAL_OUT = RNG.standard_normal((N, C)) * 2
REAL_TARGETS = RNG.standard_normal((N, C)) * 2
POSITIVE_OUT = RNG.uniform(0.1, 3.0, (N, C))
POSITIVE_TARGETS = RNG.uniform(0.1, 3.0, (N, C))
DISTRIBUTION = RNG.dirichlet(np.ones(C), N)


def _t(array):
    return torch.tensor(array, dtype=torch.float64)


def _signed(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


# name -> (loss, output, prepared targets, reference per-sample losses)
@saving.register_keras_serializable(package="LossCatalogue")
def squared_error_of_ops(y_true, y_pred):
    return ops.mean(ops.square(y_pred - y_true), axis=-1)


CASES = {
    "categorical_crossentropy": (losses.CategoricalCrossentropy(), PROBS, ONE_HOT,
                                 F.cross_entropy(_t(LOGITS), _t(IDS).long(), reduction="none").numpy()),
    "categorical_crossentropy, from_logits, smoothing": (
        losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), LOGITS, IDS,
        F.cross_entropy(_t(LOGITS), _t(IDS).long(), reduction="none", label_smoothing=0.2).numpy()),
    "sparse_categorical_crossentropy": (losses.SparseCategoricalCrossentropy(), PROBS, IDS,
                                        F.cross_entropy(_t(LOGITS), _t(IDS).long(), reduction="none").numpy()),
    "binary_crossentropy": (losses.BinaryCrossentropy(), SIGMOID, BINARY,
                            F.binary_cross_entropy(_t(SIGMOID), _t(BINARY), reduction="none").numpy()[:, 0]),
    "binary_crossentropy, from_logits, smoothing": (
        losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), SIGMOID_LOGITS, BINARY,
        F.binary_cross_entropy_with_logits(_t(SIGMOID_LOGITS), _t(BINARY * 0.9 + 0.05),
                                           reduction="none").numpy()[:, 0]),
    "mean_squared_error": (losses.MeanSquaredError(), REAL_OUT, REAL_TARGETS,
                           F.mse_loss(_t(REAL_OUT), _t(REAL_TARGETS), reduction="none").numpy().mean(axis=1)),
    "mean_absolute_error": (losses.MeanAbsoluteError(), REAL_OUT, REAL_TARGETS,
                            F.l1_loss(_t(REAL_OUT), _t(REAL_TARGETS), reduction="none").numpy().mean(axis=1)),
    "mean_absolute_percentage_error": (losses.MeanAbsolutePercentageError(), REAL_OUT, REAL_TARGETS,
                                       100 * np.mean(np.abs(REAL_TARGETS - REAL_OUT) / np.abs(REAL_TARGETS), axis=1)),
    "mean_squared_logarithmic_error": (losses.MeanSquaredLogarithmicError(), POSITIVE_OUT, POSITIVE_TARGETS,
                                       np.mean((np.log(POSITIVE_OUT + 1) - np.log(POSITIVE_TARGETS + 1)) ** 2, axis=1)),
    "huber": (losses.Huber(delta=1.5), REAL_OUT, REAL_TARGETS,
              F.huber_loss(_t(REAL_OUT), _t(REAL_TARGETS), reduction="none", delta=1.5).numpy().mean(axis=1)),
    "log_cosh": (losses.LogCosh(), REAL_OUT, REAL_TARGETS, np.mean(np.log(np.cosh(REAL_OUT - REAL_TARGETS)), axis=1)),
    "kl_divergence": (losses.KLDivergence(), PROBS, DISTRIBUTION,
                      F.kl_div(_t(np.log(PROBS)), _t(DISTRIBUTION), reduction="none").numpy().sum(axis=1)),
    "poisson": (losses.Poisson(), POSITIVE_OUT, POSITIVE_TARGETS,
                np.mean(POSITIVE_OUT - POSITIVE_TARGETS * np.log(POSITIVE_OUT + EPS), axis=1)),
    "hinge": (losses.Hinge(), REAL_OUT, _signed(ONE_HOT),
              np.mean(np.maximum(1 - _signed(ONE_HOT) * REAL_OUT, 0), axis=1)),
    "squared_hinge": (losses.SquaredHinge(), REAL_OUT, _signed(ONE_HOT),
                      np.mean(np.maximum(1 - _signed(ONE_HOT) * REAL_OUT, 0) ** 2, axis=1)),
    "a function of ops (LossFunctionWrapper)": (
        losses.LossFunctionWrapper(squared_error_of_ops), REAL_OUT, REAL_TARGETS,
        F.mse_loss(_t(REAL_OUT), _t(REAL_TARGETS), reduction="none").numpy().mean(axis=1)),
    "categorical_hinge": (losses.CategoricalHinge(), REAL_OUT, ONE_HOT,
                          np.maximum(np.max((1 - ONE_HOT) * REAL_OUT, axis=1) - np.sum(ONE_HOT * REAL_OUT, axis=1)
                                     + 1, 0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_equals_the_reference(name):
    loss, output, targets, per_sample = CASES[name]
    value, _ = loss.value_and_gradient(output.copy(), targets)
    assert abs(value - per_sample.mean()) <= 1e-6 * max(1.0, abs(per_sample.mean())), (value, per_sample.mean())


@pytest.mark.parametrize("name", sorted(CASES))
def test_gradient_matches_centered_differences(name):
    loss, output, targets, _ = CASES[name]
    output = output.copy()
    _, grad = loss.value_and_gradient(output.copy(), targets)
    numeric = numeric_gradient(lambda: loss.value_and_gradient(output.copy(), targets)[0], output)
    assert max_relative_error(grad, numeric) < 1e-6


@pytest.mark.parametrize("name", sorted(CASES))
def test_sample_weights_and_the_sum_reduction(name):
    loss, output, targets, per_sample = CASES[name]
    weights = np.linspace(0.0, 2.0, N)
    weighted, grad = loss.value_and_gradient(output.copy(), targets, weights)
    assert weighted == pytest.approx(np.mean(weights * per_sample), rel=1e-6, abs=1e-9)
    config = {**loss.get_config(), "reduction": "sum"}
    summed_loss = losses.registry.from_config({"class_name": type(loss).__name__, "config": config})
    summed, summed_grad = summed_loss.value_and_gradient(output.copy(), targets, weights)
    assert summed == pytest.approx(np.sum(weights * per_sample), rel=1e-6, abs=1e-9)
    np.testing.assert_allclose(summed_grad, grad * N, rtol=1e-9, atol=1e-12)
    assert not np.any(grad[0])  # a sample of weight 0 has no gradient


@pytest.mark.parametrize("name", sorted(CASES))
def test_config_round_trip(name):
    loss = CASES[name][0]
    clone = losses.registry.from_config({"class_name": type(loss).__name__, "config": loss.get_config()})
    assert clone.get_config() == loss.get_config()


def test_the_fused_binary_path_is_the_probability_path_of_the_sigmoid():
    loss = losses.BinaryCrossentropy()
    from_logits, grad_logits = loss.value_and_gradient(SIGMOID_LOGITS.copy(), BINARY, from_logits=True)
    from_probs, grad_probs = loss.value_and_gradient(SIGMOID.copy(), BINARY)
    assert from_logits == pytest.approx(from_probs, rel=1e-9)
    np.testing.assert_allclose(grad_logits, grad_probs * SIGMOID * (1 - SIGMOID), rtol=1e-9)


def test_binary_crossentropy_from_extreme_logits_is_finite():
    loss, grad = losses.BinaryCrossentropy(from_logits=True).value_and_gradient(np.array([[1e4], [-1e4]]),
                                                                           np.array([[0.0], [0.0]]))
    assert loss == pytest.approx(1e4 / 2) and np.all(np.isfinite(grad))


def test_binary_labels_outside_0_1_are_refused():
    with pytest.raises(ValueError, match=r"binary_crossentropy expects labels in \[0, 1\].*from -1.0 to 1.0"):
        losses.BinaryCrossentropy().prepare_targets(np.array([-1, 1]), 1, np.float32)


@pytest.mark.parametrize("labels", [np.array([0, 1, 1]), np.array([[0], [1], [1]]), np.array([0.0, 1.0, 1.0])])
def test_binary_and_regression_targets_of_shape_n_or_n_1(labels):
    for loss in (losses.BinaryCrossentropy(), losses.MeanAbsoluteError()):
        np.testing.assert_array_equal(loss.prepare_targets(labels, 1, np.float32), [[0.0], [1.0], [1.0]])
    np.testing.assert_array_equal(losses.MeanSquaredError().prepare_targets(np.array([0.5, -2.0]), 1, np.float32),
                                  [[0.5], [-2.0]])


def test_sparse_targets_must_be_ids():
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy expects class ids"):
        losses.SparseCategoricalCrossentropy().prepare_targets(ONE_HOT, C, np.float32)


def test_hinge_converts_0_1_labels_to_signs():
    np.testing.assert_array_equal(losses.Hinge().prepare_targets(np.array([0, 1]), 1, np.float64), [[-1.0], [1.0]])
    np.testing.assert_array_equal(losses.Hinge().prepare_targets(np.array([-1, 1]), 1, np.float64), [[-1.0], [1.0]])


def test_every_registered_loss_is_covered():
    covered = {type(CASES[name][0]) for name in CASES}
    assert {cls for cls in losses.registry.classes() if cls.__module__.startswith("minikeras.")} <= covered
