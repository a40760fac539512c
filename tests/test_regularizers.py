import numpy as np
import pytest

from minikeras import regularizers


def test_l2_penalty_and_gradient():
    weights = np.array([[1.0, -2.0], [3.0, 0.5]])
    l2 = regularizers.L2(0.1)
    assert l2.penalty(weights) == pytest.approx(0.1 * (1 + 4 + 9 + 0.25))
    grad = np.ones_like(weights)
    l2.add_gradient(weights, grad, np.empty_like(weights))
    np.testing.assert_allclose(grad, 1 + 2 * 0.1 * weights)


def test_negative_strength_refused():
    with pytest.raises(ValueError, match=">= 0"):
        regularizers.L2(-1)
