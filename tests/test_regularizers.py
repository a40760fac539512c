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


REGULARIZERS = {
    "l1": lambda: regularizers.L1(0.05),
    "l2": lambda: regularizers.L2(0.05),
    "l1_l2": lambda: regularizers.L1L2(l1=0.03, l2=0.07),
    "orthogonal rows": lambda: regularizers.OrthogonalRegularizer(0.2),
    "orthogonal columns": lambda: regularizers.OrthogonalRegularizer(0.2, mode="columns"),
}
WEIGHTS = np.random.default_rng(0).normal(size=(5, 4))


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_gradient_matches_centered_differences(name):
    regularizer = REGULARIZERS[name]()
    weights = WEIGHTS.copy()
    grad = np.zeros_like(weights)
    regularizer.add_gradient(weights, grad, np.empty_like(weights))
    step, numeric = 1e-6, np.zeros_like(weights)
    for index in np.ndindex(weights.shape):
        saved = weights[index]
        weights[index] = saved + step
        up = regularizer.penalty(weights)
        weights[index] = saved - step
        numeric[index] = (up - regularizer.penalty(weights)) / (2 * step)
        weights[index] = saved
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(REGULARIZERS))
def test_penalty_matches_keras(name):
    keras = pytest.importorskip("keras")
    ours = REGULARIZERS[name]()
    theirs = keras.regularizers.get({"class_name": type(ours).__name__, "config": ours.get_config()})
    expected = float(keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(WEIGHTS))))
    assert float(ours.penalty(WEIGHTS)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("name, expected", [("l1", regularizers.L1(0.01)), ("l2", regularizers.L2(0.01)),
                                            ("l1_l2", regularizers.L1L2(0.0, 0.0)),
                                            ("orthogonal_regularizer", regularizers.OrthogonalRegularizer())])
def test_keras_names_and_defaults(name, expected):
    found = regularizers.get(name)
    assert type(found) is type(expected) and found.get_config() == expected.get_config()
    assert regularizers.get({"class_name": type(found).__name__, "config": found.get_config()}).get_config() == \
        found.get_config()
    assert getattr(regularizers, name) is type(expected)


def test_l1_regularized_training_pushes_weights_to_zero():
    import minikeras as mk
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(200, 10)).astype("float32"), rng.integers(0, 2, 200)
    kernels = {}
    for strength in (0.0, 0.05):
        model = mk.Sequential([mk.layers.Dense(2, kernel_regularizer=regularizers.l1(strength),
                                               activation="softmax")], input_dim=10, seed=0)
        model.compile(mk.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=30, batch_size=50, verbose=0)
        kernels[strength] = model.layers[0].params["kernel"]
        data_loss = -np.log(model.predict(x, verbose=0)[np.arange(len(y)), y]).mean()
        penalty = strength * np.abs(kernels[strength]).sum()
        assert model.evaluate(x, y, verbose=0) == pytest.approx(data_loss + penalty, rel=1e-5)
    assert np.abs(kernels[0.05]).sum() < 0.5 * np.abs(kernels[0.0]).sum()


@pytest.mark.parametrize("make, message", [
    (lambda: regularizers.L1(-0.1), "l1 must be a finite number >= 0; got -0.1"),
    (lambda: regularizers.L1L2(l2=float("inf")), "l2 must be a finite number >= 0; got inf"),
    (lambda: regularizers.OrthogonalRegularizer(mode="diagonal"), "'rows' or 'columns'; got 'diagonal'"),
    (lambda: regularizers.OrthogonalRegularizer().penalty(np.ones(3)), "2-D kernel; got shape \\(3,\\)"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
