"""The optimized float32 core against a plain float64 reference written from the formulas.

The reference below shares no code with minikeras: a straightforward numpy implementation of
Dense -> BatchNorm -> ReLU -> Dense -> softmax cross-entropy with L2 and SGD with momentum.
After several updates both must hold the same weights (to float32 rounding). The wide input
makes the first kernel long enough for its L2 gradient and the update to run on numpy's BLAS.
"""
import numpy as np
import pytest

import minikeras as mk
from minikeras import backend

LAMBDA, LR, MOMENTUM, EPS, BN_MOMENTUM = 0.01, 0.1, 0.9, 1e-5, 0.9


def reference_training(weights, batches):
    w1, b1, gamma, beta, mean_run, var_run, w2, b2 = [w.astype(np.float64) for w in weights]
    params = [w1, b1, gamma, beta, w2, b2]
    velocity = [np.zeros_like(p) for p in params]
    losses = []
    for x, y in batches:
        n = len(x)
        s = x @ w1 + b1
        mu, var = s.mean(0), s.var(0)
        s_hat = (s - mu) / np.sqrt(var + EPS)
        h = np.maximum(gamma * s_hat + beta, 0)
        z = h @ w2 + b2
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
        onehot = np.eye(z.shape[1])[y]
        losses.append(-np.mean(np.log(p[np.arange(n), y])) + LAMBDA * (np.sum(w1 ** 2) + np.sum(w2 ** 2)))
        g = (p - onehot) / n
        grad_w2, grad_b2 = h.T @ g + 2 * LAMBDA * w2, g.sum(0)
        g = (g @ w2.T) * (h > 0)
        grad_gamma, grad_beta = (g * s_hat).sum(0), g.sum(0)
        g_hat = g * gamma
        g = (g_hat - g_hat.mean(0) - s_hat * (g_hat * s_hat).mean(0)) / np.sqrt(var + EPS)
        grad_w1, grad_b1 = x.T @ g + 2 * LAMBDA * w1, g.sum(0)
        for param, v, grad in zip(params, velocity, [grad_w1, grad_b1, grad_gamma, grad_beta, grad_w2, grad_b2]):
            v *= MOMENTUM
            v -= LR * grad
            param += v
        mean_run = BN_MOMENTUM * mean_run + (1 - BN_MOMENTUM) * mu
        var_run = BN_MOMENTUM * var_run + (1 - BN_MOMENTUM) * var
    return [w1, b1, gamma, beta, mean_run, var_run, w2, b2], losses


@pytest.mark.parametrize("input_dim", [20, backend.MIN_BLAS_SIZE // 16 + 1], ids=["narrow", "wide"])
def test_float32_core_matches_a_float64_reference_after_several_updates(input_dim):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((6 * 32, input_dim)).astype(np.float32)
    y = rng.integers(0, 4, len(x))
    model = mk.Model(input_dim=input_dim, seed=0)
    model.add_layer(16, "relu", batch_norm=True, l2=LAMBDA)
    model.add_layer(4, "softmax", l2=LAMBDA)
    model.compile(optimizer=mk.optimizers.SGD(LR, momentum=MOMENTUM))
    batches = [(x[i:i + 32].astype(np.float64), y[i:i + 32]) for i in range(0, len(x), 32)]
    expected, expected_losses = reference_training(model.get_weights(), batches)
    history = model.fit(x, y, epochs=1, batch_size=32, shuffle=False, verbose=0)
    for ours, theirs in zip(model.get_weights(), expected):
        np.testing.assert_allclose(ours, theirs, rtol=2e-4, atol=2e-5)
    # The epoch's loss is the mean of the batch losses, each computed before its update.
    np.testing.assert_allclose(history.history["loss"][0], np.mean(expected_losses), rtol=1e-5)
