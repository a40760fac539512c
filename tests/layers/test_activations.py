import numpy as np
import pytest

from minikeras import activations as activation_functions
from minikeras import initializers, layers
from minikeras.layers import activations

X = np.array([[-3.0, -0.5, 0.0, 0.5, 3.0]])


def _forward(layer, x=X):
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    return layer.forward(x)


@pytest.mark.parametrize("layer, expected", [
    (layers.ReLU(), np.maximum(X, 0)),
    (layers.LeakyReLU(0.1), np.where(X > 0, X, 0.1 * X)),
    (layers.Sigmoid(), 1 / (1 + np.exp(-X))),
    (layers.Tanh(), np.tanh(X)),
    (layers.ScaledTanh(), 1.7159 * np.tanh(2 * X / 3)),
    (layers.Linear(), X),
])
def test_formulas(layer, expected):
    np.testing.assert_allclose(_forward(layer), expected, rtol=1e-12)


def test_softmax_rows_sum_to_one_and_are_stable_for_huge_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4 + 1, -1e4]])
    probs = _forward(layers.Softmax(), logits)
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0], [1.0, 0.0, 0.0])
    np.testing.assert_allclose(probs[1], np.exp([0, 1, 0]) / np.exp([0, 1, 0]).sum())


def test_sigmoid_does_not_overflow():
    np.testing.assert_allclose(_forward(layers.Sigmoid(), np.array([[-1e4, 1e4]])), [[0.0, 1.0]])


@pytest.mark.parametrize("name", activations.registry.names())
def test_every_activation_name_builds_a_layer(name):
    assert isinstance(activations.get(name), layers.Layer)


def test_unknown_activation_names_the_choices():
    with pytest.raises(ValueError, match="Unknown activation 'relu7'.*leaky_relu"):
        activations.get("relu7")


def test_leaky_relu_alpha_checked():
    with pytest.raises(ValueError, match="LeakyReLU negative_slope must be in \\[0, 1\\); got 1.5"):
        layers.LeakyReLU(1.5)
    with pytest.raises(ValueError, match="got 2"):
        layers.LeakyReLU(alpha=2)
    assert layers.LeakyReLU().negative_slope == 0.3 and layers.LeakyReLU(alpha=0.1).negative_slope == 0.1
    assert activations.get("leaky_relu").negative_slope == 0.2  # Keras' function default


TORCH_FUNCTIONS = {  # our layer -> the same function in PyTorch
    "ELU": (lambda: layers.ELU(0.7), lambda t, F: F.elu(t, alpha=0.7)),
    "SELU": (layers.SELU, lambda t, F: F.selu(t)),
    "Swish": (layers.Swish, lambda t, F: F.silu(t)),
    "Softplus": (layers.Softplus, lambda t, F: F.softplus(t)),
    "Softsign": (layers.Softsign, lambda t, F: F.softsign(t)),
    "HardSigmoid": (layers.HardSigmoid, lambda t, F: F.hardsigmoid(t)),
    "HardSwish": (layers.HardSwish, lambda t, F: F.hardswish(t)),
    "Mish": (layers.Mish, lambda t, F: F.mish(t)),
    "ReLU6": (layers.ReLU6, lambda t, F: F.relu6(t)),
    "Exponential": (layers.Exponential, lambda t, F: t.exp()),
    "GELU": (layers.GELU, lambda t, F: F.gelu(t)),
    "GELU(approximate)": (lambda: layers.GELU(approximate=True), lambda t, F: F.gelu(t, approximate="tanh")),
    "LogSoftmax": (layers.LogSoftmax, lambda t, F: F.log_softmax(t, dim=-1)),
    "Softmax": (layers.Softmax, lambda t, F: F.softmax(t, dim=-1)),
    "CELU": (lambda: layers.CELU(0.7), lambda t, F: F.celu(t, alpha=0.7)),
    "HardShrink": (lambda: layers.HardShrink(0.6), lambda t, F: F.hardshrink(t, lambd=0.6)),
    "SoftShrink": (lambda: layers.SoftShrink(0.6), lambda t, F: F.softshrink(t, lambd=0.6)),
    "Threshold": (lambda: layers.Threshold(0.3, -2.0), lambda t, F: F.threshold(t, 0.3, -2.0)),
    "HardTanh": (layers.HardTanh, lambda t, F: F.hardtanh(t)),
    "LogSigmoid": (layers.LogSigmoid, lambda t, F: F.logsigmoid(t)),
    "TanhShrink": (layers.TanhShrink, lambda t, F: F.tanhshrink(t)),
}


@pytest.mark.parametrize("name", sorted(TORCH_FUNCTIONS))
def test_values_and_gradients_match_pytorch(name):
    torch = pytest.importorskip("torch")
    make, reference = TORCH_FUNCTIONS[name]
    rng = np.random.default_rng(3)
    x = rng.uniform(-5, 5, size=(8, 6))
    x[0, :4] = [-30.0, 30.0, -2.999, 5.999]  # far tails (no overflow) and points beside the kinks
    grad = rng.normal(size=x.shape)
    layer = make()
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    y = layer.forward(x, training=True).copy()
    dx = layer.backward(grad)
    t = torch.tensor(x, requires_grad=True)
    expected = reference(t, torch.nn.functional)
    expected.backward(torch.tensor(grad))
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(dx, t.grad.numpy(), rtol=1e-6, atol=1e-12)


@pytest.mark.parametrize("name", ["elu", "selu", "silu", "swish", "softplus", "softsign", "hard_sigmoid", "hard_silu",
                                  "hard_swish", "mish", "relu6", "exponential", "gelu", "log_softmax", "celu",
                                  "hard_shrink", "soft_shrink", "squareplus", "glu", "hard_tanh",
                                  "log_sigmoid", "sparse_plus", "sparse_sigmoid", "tanh_shrink"])
def test_keras_activation_functions_agree(name):
    keras = pytest.importorskip("keras")
    x = np.linspace(-6, 6, 24).reshape(2, -1) * np.array([[1.0], [0.2]])  # wide and narrow ranges
    theirs = keras.ops.convert_to_numpy(getattr(keras.activations, name)(keras.ops.convert_to_tensor(x)))
    np.testing.assert_allclose(getattr(activation_functions, name)(x), theirs, rtol=1e-6, atol=1e-7)
    assert layers.Dense(3, activation=name).activation is not None


def _torch_pair(layer, x, grad, reference):
    """(our y, our dx, PyTorch's y, PyTorch's dx) for a float64 layer and a PyTorch function."""
    torch = pytest.importorskip("torch")
    layer.build(x.shape[1:], np.random.default_rng(0), "float64")
    y, dx = layer.forward(x, training=True).copy(), layer.backward(grad).copy()
    t = torch.tensor(x, requires_grad=True)
    expected = reference(t, torch)
    expected.backward(torch.tensor(grad))
    return y, dx, expected.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("axis", [1, 2, -1, -2])
@pytest.mark.parametrize("layer_class, function", [(layers.Softmax, "softmax"), (layers.LogSoftmax, "log_softmax")])
def test_softmax_and_log_softmax_along_any_axis_match_pytorch(layer_class, function, axis):
    rng = np.random.default_rng(4)
    x, grad = rng.normal(size=(5, 3, 4)) * 4, rng.normal(size=(5, 3, 4))
    ours_y, ours_dx, y, dx = _torch_pair(layer_class(axis=axis), x, grad,
                                         lambda t, torch: getattr(torch.nn.functional, function)(t, dim=axis))
    np.testing.assert_allclose(ours_y, y, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_dx, dx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("axis", [0, 3, -3, 1.0])
def test_softmax_axis_must_be_a_per_sample_axis(axis):
    error = TypeError if isinstance(axis, float) else ValueError
    with pytest.raises(error, match="axis"):
        layers.Softmax(axis=axis).build((3, 4), np.random.default_rng(0))


def test_a_softmax_over_another_axis_is_not_fused_with_the_loss():
    import minikeras as mk
    model = mk.Sequential([layers.Reshape((2, 3)), layers.Softmax(axis=1), layers.Flatten()], input_dim=6)
    model.compile(loss="mse")
    fused = mk.Sequential([layers.Dense(3), layers.Softmax()], input_dim=6)
    fused.compile(loss="categorical_crossentropy")
    assert fused.engine.fused and not model.engine.fused


@pytest.mark.parametrize("shared_axes", [None, [1], [2], [1, 2]])
def test_prelu_matches_pytorch(shared_axes):
    rng = np.random.default_rng(5)
    x, grad = rng.normal(size=(6, 3, 4)), rng.normal(size=(6, 3, 4))
    layer = layers.PReLU(alpha_initializer=initializers.Constant(0.25), shared_axes=shared_axes)
    alpha_shape = [1 if axis in (shared_axes or ()) else size for axis, size in enumerate((3, 4), start=1)]
    torch = pytest.importorskip("torch")
    alpha = torch.full(alpha_shape, 0.25, dtype=torch.float64, requires_grad=True)
    ours_y, ours_dx, y, dx = _torch_pair(layer, x, grad, lambda t, torch: torch.where(t > 0, t, alpha * t))
    np.testing.assert_allclose(ours_y, y, rtol=1e-12)
    np.testing.assert_allclose(ours_dx, dx, rtol=1e-12)
    np.testing.assert_allclose(layer.grads["alpha"], alpha.grad.numpy(), rtol=1e-10)


def test_prelu_refuses_constraints_and_bad_shared_axes():
    with pytest.raises(ValueError, match="constraints"):
        layers.PReLU(alpha_constraint="non_neg")
    with pytest.raises(ValueError, match="shared_axes must be input axes 1..2"):
        layers.PReLU(shared_axes=[3]).build((3, 4), np.random.default_rng(0))


def test_prelu_matches_keras():
    keras = pytest.importorskip("keras")
    x = np.random.default_rng(6).normal(size=(4, 5)).astype("float32")
    theirs = keras.layers.PReLU(alpha_initializer=keras.initializers.Constant(0.3))
    ours = layers.PReLU(alpha_initializer=initializers.Constant(0.3))
    np.testing.assert_allclose(ours(x), keras.ops.convert_to_numpy(theirs(x)), rtol=1e-6)
    assert sorted(ours.get_config()) == sorted(k for k in theirs.get_config() if k not in ("dtype", "alpha_constraint"))


def test_keras_threshold_and_parameters_agree():
    keras = pytest.importorskip("keras")
    x = np.linspace(-3, 3, 13).reshape(1, -1)
    for ours, theirs in [(activation_functions.threshold(x, 0.5, -1.0), keras.activations.threshold(x, 0.5, -1.0)),
                         (activation_functions.celu(x, 0.5), keras.activations.celu(x, 0.5)),
                         (activation_functions.squareplus(x, 1.0), keras.activations.squareplus(x, 1.0)),
                         (activation_functions.soft_shrink(x, 1.0), keras.activations.soft_shrink(x, 1.0))]:
        np.testing.assert_allclose(ours, keras.ops.convert_to_numpy(theirs), rtol=1e-6, atol=1e-7)


def _simplex_projection_by_bisection(z):
    """Sparsemax's definition solved another way: the tau with sum(max(z - tau, 0)) = 1, by bisection."""
    low, high = z.min(axis=-1, keepdims=True) - 1, z.max(axis=-1, keepdims=True)
    for _ in range(200):
        middle = (low + high) / 2
        too_low = np.maximum(z - middle, 0).sum(axis=-1, keepdims=True) > 1
        low, high = np.where(too_low, middle, low), np.where(too_low, high, middle)
    return np.maximum(z - (low + high) / 2, 0)


@pytest.mark.parametrize("axis", [-1, 1])
def test_sparsemax_is_the_projection_onto_the_simplex(axis):
    # Not compared with Keras: Keras 3.15's sparsemax takes a wrong threshold when more than one entry is
    # in the support (keras-team/keras#23425, fixed by #23469).
    z = np.random.default_rng(7).normal(scale=2.0, size=(50, 6, 3))
    expected = np.moveaxis(_simplex_projection_by_bisection(np.moveaxis(z, axis, -1)), -1, axis)
    np.testing.assert_allclose(activation_functions.sparsemax(z, axis=axis), expected, atol=1e-12)
    probabilities = activation_functions.sparsemax(np.array([[3.0, 1.0, 0.2, 2.9], [0.0, 0.0, 0.0, 0.0]]))
    np.testing.assert_allclose(probabilities, [[0.55, 0.0, 0.0, 0.45], [0.25, 0.25, 0.25, 0.25]], atol=1e-12)


def test_glu_matches_pytorch():
    rng = np.random.default_rng(8)
    x, grad = rng.normal(size=(5, 4, 6)), rng.normal(size=(5, 2, 6))
    ours_y, ours_dx, y, dx = _torch_pair(layers.GLU(axis=1), x, grad,
                                         lambda t, torch: torch.nn.functional.glu(t, dim=1))
    np.testing.assert_allclose(ours_y, y, rtol=1e-12)
    np.testing.assert_allclose(ours_dx, dx, rtol=1e-10, atol=1e-14)


def test_serialize_and_deserialize_by_name():
    assert activation_functions.serialize(activation_functions.gelu) == "gelu"
    assert activation_functions.deserialize("sparse_plus") is activation_functions.sparse_plus
    with pytest.raises(ValueError, match="Unknown activation 'swishy'"):
        activation_functions.deserialize("swishy")
