"""Each optimizer's update against the formula computed by hand for two steps.

SGD runs on short arrays (numpy ufuncs) and on long ones (numpy's BLAS axpy, minikeras.backend)."""
import math

import numpy as np
import pytest

import minikeras as mk
from minikeras import backend, optimizers, schedules
from minikeras.store import pack, views

W0 = np.array([1.0, -2.0])
G1 = np.array([0.5, 0.25])
G2 = np.array([-1.0, 2.0])


def _variables(values, names=None):
    return [mk.Variable(np.array(value, dtype=np.float64), dtype="float64", name=name or f"w{i}")
            for i, (value, name) in enumerate(zip(values, names or [None] * len(values)))]


def _run(optimizer, initial, steps, names=None):
    """The variables' values after one `apply` per entry of `steps` (a list of gradients each).
    An element-wise optimizer is also run as the training engine runs it (every variable in one
    flat array, one call), which must give the same values."""
    variables = _variables(initial, names)
    packed_optimizer = type(optimizer).from_config(optimizer.get_config())
    optimizer.build(variables)
    for grads in steps:
        optimizer.apply([np.array(g, dtype=np.float64) for g in grads], variables)
    if optimizer.elementwise:
        packed = _variables(initial, names)
        packed_optimizer.build(packed)
        values = pack(packed, np.float64)
        for grads in steps:
            flat = np.concatenate([np.ravel(g) for g in grads]).astype(np.float64)
            packed_optimizer._apply_packed(values, flat, views(flat, [v.shape for v in packed]))
        for variable, packed_variable in zip(variables, packed):
            np.testing.assert_allclose(packed_variable.value, variable.value, rtol=1e-12, atol=1e-15)
    return [variable.numpy() for variable in variables]


def _two_steps(optimizer, copies=1):
    """The weights after two updates, W0 and the gradients repeated `copies` times."""
    return _run(optimizer, [np.tile(W0, copies)], [[np.tile(G1, copies)], [np.tile(G2, copies)]])[0]


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
    (param,) = _run(optimizer, [W0], [[G2], [G1]])
    np.testing.assert_allclose(param, w)


def test_adamw_decays_weights_before_the_adam_step():
    lr, wd = 0.01, 0.1
    (param,) = _run(optimizers.Adam(lr), [W0 * (1 - lr * wd)], [[G1]])
    (decayed,) = _run(optimizers.AdamW(lr, weight_decay=wd), [W0], [[G1]])
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
    found = _run(optimizers.Lamb(lr), [W0, W0[::-1] * 3], [[g, -2 * g] for g in (G1, G2)])
    np.testing.assert_allclose(np.concatenate(found), np.concatenate(w))


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
    found = _run(optimizers.Muon(lr), [[[1.0, -2.0], [0.5, 3.0], [2.0, 1.0]], W0], grads, names=["kernel", "bias"])
    np.testing.assert_allclose(found[0], kernel)
    np.testing.assert_allclose(found[1], bias)


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
    found = _run(optimizer, [[[1.0, -2.0, 0.5], [3.0, 2.0, 1.0]], W0], grads)
    np.testing.assert_allclose(found[0], kernel)
    np.testing.assert_allclose(found[1], bias)


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
        found = _run(optimizers.SGD(1.0, **options), [np.zeros(2), np.zeros(2)], [[grad[:2], grad[2:]]])
        np.testing.assert_allclose(-np.concatenate(found), expected)


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
    for variable in averaged.trainable_weights:
        np.testing.assert_array_equal(variable.value, averaged.optimizer.slot(variable, "average").value)
    assert not np.allclose(averaged.get_weights()[0], plain.get_weights()[0])


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
    (param,) = _variables([np.zeros(1)])
    optimizer.build([param])
    rates = [optimizer.apply([np.ones(1)], [param]) for _ in range(3)]
    assert rates == [1.0, 0.5, 0.25] and optimizer.iterations == 3
    np.testing.assert_allclose(param.value, -1.75)


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


class KerasStyleMomentum(optimizers.Optimizer):
    """Written as Keras' guide writes an optimizer: build + update_step, slots from references."""

    def __init__(self, learning_rate=0.01, momentum=0.9, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = momentum

    def build(self, variables):
        super().build(variables)
        self.momentums = [self.add_variable_from_reference(v, "momentum") for v in variables]

    def update_step(self, gradient, variable, learning_rate):
        m = self.momentums[self._get_variable_index(variable)]
        self.assign(m, self.momentum * m - learning_rate * gradient)
        self.assign_add(variable, m)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}


def test_a_keras_style_optimizer_trains_like_the_builtin(tmp_path):
    from tests.conftest import blobs
    x, y = blobs()

    def trained(optimizer):
        model = mk.Sequential([mk.Input(shape=(5,)), mk.layers.Dense(8, activation="relu"),
                               mk.layers.BatchNormalization(), mk.layers.Dense(3, activation="softmax")], seed=0)
        model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return model

    ours, builtin = trained(KerasStyleMomentum(0.05)), trained(optimizers.SGD(0.05, momentum=0.9))
    assert not ours.optimizer.elementwise and ours.optimizer.iterations == builtin.optimizer.iterations > 0
    for a, b in zip(ours.get_weights(), builtin.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    state: dict = {}
    ours.optimizer.save_own_variables(state)
    assert sorted(state)[:2] == ["iterations", "last_learning_rate"]
    assert "momentum/dense/kernel" in state
    np.testing.assert_array_equal(state["momentum/dense/kernel"], ours.optimizer.momentums[0].value)


def test_load_own_variables_checks_everything_before_changing_anything():
    optimizer = optimizers.Adam()
    variables = _variables([W0, np.zeros((2, 2))])
    optimizer.build(variables)
    optimizer.apply([G1, np.ones((2, 2))], variables)
    state: dict = {}
    optimizer.save_own_variables(state)
    before = {key: value.copy() if isinstance(value, np.ndarray) else value for key, value in state.items()}
    broken = {**state, "v/w1": np.zeros(3), "m/w0": np.full(2, 7.0)}
    with pytest.raises(ValueError, match=r"slot 'v/w1' has shape \(3,\); expected \(2, 2\)"):
        optimizer.load_own_variables(broken)
    after: dict = {}
    optimizer.save_own_variables(after)
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
    with pytest.raises(ValueError, match="lacks 'iterations'"):
        optimizer.load_own_variables({k: v for k, v in state.items() if k != "iterations"})


@pytest.mark.parametrize("name", ["lamb", "muon", "adafactor", "adam", "adagrad"])
def test_slots_have_their_weights_dtype(name):
    kernel = mk.Variable(np.ones((3, 2)), dtype="float64", name="kernel")
    optimizer = optimizers.get(name)
    optimizer.build([kernel])
    assert {slot.dtype for slot in optimizer.variables} == {"float64"}
