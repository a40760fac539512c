"""Each optimizer's update against the formula computed by hand for two steps.

SGD runs on short arrays (numpy ufuncs) and on long ones (numpy's BLAS axpy, minikeras.backend)."""
import math

import numpy as np
import pytest

from minikeras import backend, optimizers, schedules

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


SGD_LENGTHS = pytest.mark.parametrize("copies", [1, backend.MIN_BLAS_SIZE], ids=["ufuncs", "blas"])


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


def test_adam_amsgrad_uses_the_largest_second_moment():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, v, v_max = W0.copy(), np.zeros(2), np.zeros(2), np.zeros(2)
    for t, g in enumerate((G2, G1), start=1):  # the second gradient is smaller: v falls, v_max does not
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v_max) + eps)
    optimizer = optimizers.Adam(lr, amsgrad=True)
    param = W0.copy()
    optimizer.build([param])
    for g in (G2, G1):
        optimizer.apply([param], [g.copy()])
    np.testing.assert_allclose(param, w)


def test_adamw_decays_weights_before_the_adam_step():
    lr, wd = 0.01, 0.1
    adam = optimizers.Adam(lr)
    param = W0 * (1 - lr * wd)
    adam.build([param])
    adam.apply([param], [G1.copy()])
    decayed = W0.copy()
    adamw = optimizers.AdamW(lr, weight_decay=wd)
    adamw.build([decayed])
    adamw.apply([decayed], [G1.copy()])
    np.testing.assert_allclose(decayed, param)


def test_adagrad():
    lr, eps = 0.1, 1e-7
    w, acc = W0.copy(), np.full(2, 0.1)
    for g in (G1, G2):
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    np.testing.assert_allclose(_two_steps(optimizers.Adagrad(lr)), w)


def test_lamb_scales_adams_direction_by_each_variables_trust_ratio():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    w, m, v = [W0.copy(), W0[::-1] * 3], [np.zeros(2)] * 2, [np.zeros(2)] * 2
    for t, g in enumerate((G1, G2), start=1):
        for i in range(2):
            grad = g if i == 0 else -2 * g
            m[i] = b1 * m[i] + (1 - b1) * grad
            v[i] = b2 * v[i] + (1 - b2) * grad ** 2
            u = (m[i] / (1 - b1 ** t)) / (np.sqrt(v[i] / (1 - b2 ** t)) + eps)
            w[i] = w[i] - lr * np.linalg.norm(w[i]) / np.linalg.norm(u) * u
    optimizer = optimizers.Lamb(lr)
    flat = np.concatenate([W0, W0[::-1] * 3])
    optimizer.build([flat], variable_sizes=[2, 2])  # two variables in one flat array, as a model's
    for g in (G1, G2):
        optimizer.apply([flat], [np.concatenate([g, -2 * g])])
    np.testing.assert_allclose(flat, np.concatenate(w))


@pytest.mark.parametrize("warmup_steps", [0, 3])
def test_schedule_free_adamw(warmup_steps):
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    y, z, v = W0.copy(), W0.copy(), np.zeros(2)
    for t, g in enumerate((G1, G2), start=1):
        rate = lr * min(t / warmup_steps, 1.0) if warmup_steps else lr
        v = b2 * v + (1 - b2) * g * g
        new_z = z - rate * g / (np.sqrt(v / (1 - b2 ** t)) + eps)
        x = (y - (1 - b1) * z) / b1
        x = (1 - 1 / t) * x + new_z / t
        y, z = (1 - b1) * new_z + b1 * x, new_z
    np.testing.assert_allclose(_two_steps(optimizers.ScheduleFreeAdamW(lr, warmup_steps=warmup_steps)), y)


def test_muon_steps_a_matrix_along_its_orthogonalized_momentum_and_the_rest_with_adamw():
    lr, mu = 0.1, 0.95
    kernel, bias = np.array([[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]]), W0.copy()
    grads = [(np.arange(6.0).reshape(3, 2) - 2.5, G1), (np.ones((3, 2)), G2)]
    m, ma, va = np.zeros((3, 2)), np.zeros(2), np.zeros(2)
    for t, (g, gb) in enumerate(grads, start=1):
        kernel, bias = kernel * (1 - 0.004 * lr), bias * (1 - 0.004 * lr)  # both decays are 0.004 by default
        m = mu * m + g
        direction = g + mu * m
        x = direction.T / (np.linalg.norm(direction) + 1e-7)  # tall: work on the transpose
        for _ in range(5):
            gram = x @ x.T
            x = 3.4445 * x + (-4.7750 * gram + 2.0315 * gram @ gram) @ x
        kernel = kernel - lr * x.T * np.sqrt(3) * 0.2
        ma, va = 0.9 * ma + 0.1 * gb, 0.999 * va + 0.001 * gb ** 2
        bias = bias - lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t) * ma / (np.sqrt(va) + 1e-7)
    optimizer = optimizers.Muon(lr)
    flat = np.concatenate([[1.0, -2.0, 0.5, 3.0, 2.0, 1.0], W0])
    optimizer.build([flat], variable_shapes=[(3, 2), (2,)], variable_names=["dense/kernel", "dense/bias"])
    for g, gb in grads:
        optimizer.apply([flat], [np.concatenate([g.reshape(-1), gb])])
    np.testing.assert_allclose(flat, np.concatenate([kernel.reshape(-1), bias]))


def test_muon_orthogonalization_and_exclusions():
    matrix = np.random.default_rng(0).normal(size=(30, 8))
    singular_values = np.linalg.svd(optimizers.newton_schulz_orthogonalize(matrix, 5, 3.4445, -4.7750, 2.0315),
                                    compute_uv=False)
    assert singular_values.min() > 0.6 and singular_values.max() < 1.25  # Muon's band around 1, not exactly 1
    muon = optimizers.Muon(exclude_layers=["^head/"])
    assert not muon.uses_adamw((4, 3), "dense/kernel")
    assert muon.uses_adamw((4, 3), "head/kernel") and muon.uses_adamw((4, 3), "token_embedding/embeddings")
    assert muon.uses_adamw((3,), "dense/bias")


@pytest.mark.parametrize("relative_step", [True, False])
def test_adafactor_factors_a_matrix_and_not_a_vector(relative_step):
    lr, clip = 0.5, 0.3
    kernel, bias = np.array([[1.0, -2.0, 0.5], [3.0, 2.0, 1.0]]), W0.copy()
    grads = [(np.arange(6.0).reshape(2, 3) - 2.5, G1), (np.array([[1.0, -1.0, 2.0], [0.5, 0.0, -3.0]]), G2)]
    r, c, v = np.zeros(2), np.zeros(3), np.zeros(2)
    for t, (g, gb) in enumerate(grads, start=1):
        rate = min(lr, 1 / np.sqrt(t)) if relative_step else lr
        rho, beta = min(rate, 1 / np.sqrt(t)), 1 - t ** -0.8
        squared = g ** 2 + 1e-30
        r, c = beta * r + (1 - beta) * squared.mean(axis=1), beta * c + (1 - beta) * squared.mean(axis=0)
        u = g / np.sqrt(np.outer(r / r.mean(), c))
        kernel = kernel - max(1e-3, np.sqrt(np.mean(kernel ** 2))) * rho * u / max(1, np.sqrt(np.mean(u ** 2)) / clip)
        v = beta * v + (1 - beta) * (gb ** 2 + 1e-30)
        u = gb / np.sqrt(v)
        bias = bias - max(1e-3, np.sqrt(np.mean(bias ** 2))) * rho * u / max(1, np.sqrt(np.mean(u ** 2)) / clip)
    optimizer = optimizers.Adafactor(lr, clip_threshold=clip, relative_step=relative_step)
    flat = np.concatenate([[1.0, -2.0, 0.5, 3.0, 2.0, 1.0], W0])
    optimizer.build([flat], variable_shapes=[(2, 3), (2,)])
    for g, gb in grads:
        optimizer.apply([flat], [np.concatenate([g.reshape(-1), gb])])
    np.testing.assert_allclose(flat, np.concatenate([kernel.reshape(-1), bias]))


def test_ftrl():
    lr, l1, l2, shrink, beta = 0.1, 0.05, 0.02, 0.03, 0.1
    w, n, z = W0.copy(), np.full(2, 0.1), np.zeros(2)
    for g in (G1, G2):
        new_n = n + g * g
        z = z + g + 2 * shrink * w - (np.sqrt(new_n) - np.sqrt(n)) / lr * w
        w = (np.clip(z, -l1, l1) - z) / (np.sqrt(new_n) / lr + 2 * (l2 + beta / (2 * lr)))
        n = new_n
    optimizer = optimizers.Ftrl(lr, l1_regularization_strength=l1, l2_regularization_strength=l2,
                                l2_shrinkage_regularization_strength=shrink, beta=beta)
    np.testing.assert_allclose(_two_steps(optimizer), w)


def test_adadelta():
    lr, rho, eps = 1.0, 0.95, 1e-7
    w, acc_g, acc_d = W0.copy(), np.zeros(2), np.zeros(2)
    for g in (G1, G2):
        acc_g = rho * acc_g + (1 - rho) * g * g
        delta = -np.sqrt(acc_d + eps) * g / np.sqrt(acc_g + eps)
        acc_d = rho * acc_d + (1 - rho) * delta * delta
        w = w + lr * delta
    np.testing.assert_allclose(_two_steps(optimizers.Adadelta(lr)), w)


def test_adamax():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    w, m, u = W0.copy(), np.zeros(2), np.zeros(2)
    for t, g in enumerate((G1, G2), start=1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1 ** t) * (u + eps))
    np.testing.assert_allclose(_two_steps(optimizers.Adamax(lr)), w)


def test_nadam():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7
    mu = [b1 * (1 - 0.5 * 0.96 ** k) for k in range(4)]  # mu[k] for k = 1, 2, 3
    w, m, v = W0.copy(), np.zeros(2), np.zeros(2)
    for t, g in enumerate((G1, G2), start=1):
        product = math.prod(mu[1:t + 1])
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu[t + 1] * m / (1 - product * mu[t + 1]) + (1 - mu[t]) * g / (1 - product)
        w = w - lr * m_hat / (np.sqrt(v / (1 - b2 ** t)) + eps)
    np.testing.assert_allclose(_two_steps(optimizers.Nadam(lr)), w)


def test_lion():
    lr, b1, b2 = 0.01, 0.9, 0.99
    w, m = W0.copy(), np.zeros(2)
    for g in (G1, G2):
        w = w - lr * np.sign(b1 * m + (1 - b1) * g)
        m = b2 * m + (1 - b2) * g
    np.testing.assert_allclose(_two_steps(optimizers.Lion(lr)), w)


def test_rmsprop_centered_with_momentum():
    lr, rho, eps, beta = 0.01, 0.9, 1e-7, 0.5
    w, v, a, s = W0.copy(), np.zeros(2), np.zeros(2), np.zeros(2)
    for g in (G1, G2):
        v = rho * v + (1 - rho) * g * g
        a = rho * a + (1 - rho) * g
        s = beta * s + lr * g / np.sqrt(v - a * a + eps)
        w = w - s
    np.testing.assert_allclose(_two_steps(optimizers.RMSprop(lr, momentum=beta, centered=True)), w)


def test_clipnorm_clips_each_variable_and_global_clipnorm_all_of_them():
    grad = np.array([3.0, 4.0, 0.3, 0.4])  # variable norms 5 and 0.5, total sqrt(25.25)
    for options, expected in [({"clipnorm": 1.0}, [0.6, 0.8, 0.3, 0.4]),
                              ({"global_clipnorm": 1.0}, grad / math.sqrt(25.25)),
                              ({"clipvalue": 0.35}, [0.35, 0.35, 0.3, 0.35])]:
        param = np.zeros(4)
        optimizer = optimizers.SGD(1.0, **options)
        optimizer.build([param], variable_sizes=[2, 2])
        optimizer.apply([param], [grad.copy()])
        np.testing.assert_allclose(-param, expected)


def test_fit_with_ema_ends_on_the_averaged_weights():
    import minikeras as mk
    from tests.conftest import blobs
    x, y = blobs()

    def trained(**options):
        model = mk.Model(input_dim=5, seed=0)
        model.add_layer(8, "relu")
        model.add_layer(3, "softmax")
        model.compile(optimizer=optimizers.SGD(0.1, **options))
        model.fit(x, y, epochs=2, batch_size=32, verbose=0)
        return model

    averaged, plain = trained(use_ema=True, ema_momentum=0.9), trained()
    (average,) = averaged.optimizer.slots["average"]
    np.testing.assert_array_equal(averaged.engine.flat_params, average)
    assert not np.allclose(averaged.engine.flat_params, plain.engine.flat_params)


def test_common_arguments_survive_the_config():
    optimizer = optimizers.Nadam(0.01, clipnorm=2.0, weight_decay=0.001, name="mine", use_ema=True,
                                 ema_overwrite_frequency=5)
    clone = optimizers.registry.from_config({"class_name": "Nadam", "config": optimizer.get_config()})
    assert clone.get_config() == optimizer.get_config()
    assert (clone.clipnorm, clone.weight_decay, clone.name) == (2.0, 0.001, "mine")
    assert (clone.use_ema, clone.ema_momentum, clone.ema_overwrite_frequency) == (True, 0.99, 5)


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
    (lambda: optimizers.get("adagradd"), "Unknown optimizer 'adagradd'"),
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of clipnorm, clipvalue and global_clipnorm"),
    (lambda: optimizers.Adam(clipnorm=-1.0), "clipnorm must be a finite positive float or None"),
    (lambda: optimizers.Adam(weight_decay=float("nan")), "weight_decay"),
    (lambda: optimizers.RMSprop(loss_scale_factor=128.0), "loss_scale_factor"),
    (lambda: optimizers.RMSprop(use_ema=True, ema_momentum=1.5), "ema_momentum"),
    (lambda: optimizers.RMSprop(use_ema=True, ema_overwrite_frequency=0), "ema_overwrite_frequency"),
    (lambda: optimizers.Lion(beta_1=0.0), "Lion beta_1"),
    (lambda: optimizers.AdamW(weight_decay=None), "AdamW needs a weight_decay"),
    (lambda: optimizers.Adagrad(initial_accumulator_value=-1), "initial_accumulator_value"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
