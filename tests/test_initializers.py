import numpy as np
import pytest

from minikeras import initializers

SHAPE = (400, 300)


@pytest.mark.parametrize("spec, std", [
    ("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 700)), ("fan_in", 1 / np.sqrt(400)),
    (initializers.Normal(0.01), 0.01), (initializers.Normal(0.1), 0.1),
])
def test_normal_initializers_have_the_documented_std(spec, std):
    values = initializers.get(spec).draw(SHAPE, np.random.default_rng(0), np.float64)
    assert values.shape == SHAPE
    assert abs(values.mean()) < 4 * std / np.sqrt(values.size)
    assert values.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("spec, value", [("zeros", 0.0), ("ones", 1.0)])
def test_constants(spec, value):
    values = initializers.get(spec).draw((3, 2), np.random.default_rng(0), np.float32)
    assert values.dtype == np.float32 and np.all(values == value)


def test_uniform_bounds():
    values = initializers.Uniform(-1, 1).draw((200, 100), np.random.default_rng(0), np.float32)
    assert values.min() >= -1 and values.max() < 1 and abs(values.mean()) < 0.02
    assert values.std() == pytest.approx(2 / np.sqrt(12), rel=0.01)
    with pytest.raises(ValueError, match="low < high"):
        initializers.Uniform(1, 1)


def test_dtype_is_respected():
    assert initializers.He().draw((3, 2), np.random.default_rng(0), np.float32).dtype == np.float32


def test_unknown_name_and_bad_stddev():
    with pytest.raises(ValueError, match="Unknown initializer 'orthogonl'.*fan_in.*orthogonal"):
        initializers.get("orthogonl")
    with pytest.raises(ValueError, match="stddev"):
        initializers.Normal(0)


KERAS_NAMES = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
               "random_normal", "random_uniform", "truncated_normal", "orthogonal", "identity", "constant",
               "variance_scaling", "zeros", "ones"]


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_keras_names_give_keras_classes_and_defaults(name):
    keras = pytest.importorskip("keras")
    ours = initializers.get(name)
    theirs = getattr(keras.initializers, type(ours).__name__)()  # (Keras' own get("constant") fails)
    assert type(ours) is type(initializers.get(type(theirs).__name__))
    assert theirs.get_config().items() <= ours.get_config().items()  # Keras' Identity leaves out its gain
    assert getattr(initializers, name) is type(ours)
    assert initializers.deserialize({"class_name": type(ours).__name__, "config": ours.get_config()}).get_config() \
        == ours.get_config()


FAN_IN, FAN_OUT = 400, 300


@pytest.mark.parametrize("name, scale, fan", [("he", 2, FAN_IN), ("lecun", 1, FAN_IN),
                                              ("glorot", 2, FAN_IN + FAN_OUT)])
def test_variance_scaling_presets_statistics(name, scale, fan):
    rng = np.random.default_rng(1)
    std = np.sqrt(scale / fan)
    uniform = initializers.get(f"{name}_uniform").draw(SHAPE, rng, np.float64)
    limit = np.sqrt(3) * std
    assert -limit <= uniform.min() < -0.99 * limit and 0.99 * limit < uniform.max() <= limit
    assert uniform.std() == pytest.approx(std, rel=0.01)
    normal = initializers.get(f"{name}_normal").draw(SHAPE, rng, np.float64)
    assert normal.std() == pytest.approx(std, rel=0.01)
    assert np.abs(normal).max() <= 2 * std / 0.87962566103423978  # truncated at two untruncated stddevs


def test_truncated_normal_stays_within_two_stddevs():
    values = initializers.TruncatedNormal(mean=1.0, stddev=0.5).draw(SHAPE, np.random.default_rng(2), np.float64)
    assert np.abs(values - 1.0).max() <= 1.0 and values.mean() == pytest.approx(1.0, abs=0.005)


@pytest.mark.parametrize("shape", [(50, 20), (20, 50), (4, 5, 6)])
def test_orthogonal_gives_orthonormal_rows_or_columns(shape):
    values = initializers.Orthogonal(gain=2.0).draw(shape, np.random.default_rng(3), np.float64)
    matrix = values.reshape(-1, shape[-1])
    product = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(product, 4.0 * np.eye(len(product)), atol=1e-12)


def test_identity_and_constant():
    np.testing.assert_array_equal(initializers.Identity(3.0).draw((2, 3), None, np.float64), 3 * np.eye(2, 3))
    np.testing.assert_array_equal(initializers.Constant(0.5).draw((2, 2), None, np.float32), np.full((2, 2), 0.5))
    with pytest.raises(ValueError, match="2-D shape"):
        initializers.Identity().draw((2, 2, 2), None, np.float64)


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "random_normal", "random_uniform",
                                  "truncated_normal", "orthogonal", "variance_scaling", "lecun_normal"])
def test_seed_fixes_the_draw_whatever_the_model_generator(name):
    cls = type(initializers.get(name))
    first = cls(seed=7).draw((30, 20), np.random.default_rng(0), np.float32)
    np.testing.assert_array_equal(first, cls(seed=7).draw((30, 20), np.random.default_rng(1), np.float32))
    assert not np.array_equal(first, cls(seed=8).draw((30, 20), np.random.default_rng(0), np.float32))


@pytest.mark.parametrize("name", ["he_normal", "glorot_uniform", "lecun_normal", "truncated_normal"])
def test_spread_matches_keras_draws(name):
    keras = pytest.importorskip("keras")
    theirs = keras.ops.convert_to_numpy(keras.initializers.get({"class_name": name, "config": {"seed": 1}})(SHAPE))
    ours = initializers.get(name).draw(SHAPE, np.random.default_rng(1), np.float32)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.02)
    assert np.abs(ours).max() <= np.abs(theirs).max() * 1.02 + 1e-6


def test_fans_follow_keras_for_vectors_kernels_and_given_axes():
    def spread(shape, **axes):
        return initializers.VarianceScaling(distribution="untruncated_normal", **axes).draw(
            shape, np.random.default_rng(4), np.float64).std()
    assert spread((40000,)) == pytest.approx(np.sqrt(1 / 40000), rel=0.02)
    assert spread((3, 3, 64, 100)) == pytest.approx(np.sqrt(1 / (9 * 64)), rel=0.02)
    assert spread((50, 8, 100), input_axes=[0, 1], output_axes=[2]) == pytest.approx(np.sqrt(1 / 400), rel=0.02)



def test_an_initializer_is_called_as_keras_calls_it():
    values = initializers.GlorotUniform(seed=0)(shape=(3, 3))
    assert values.shape == (3, 3) and values.dtype == np.float32
    np.testing.assert_array_equal(values, initializers.GlorotUniform(seed=0)((3, 3)))  # a seed: the same values
    assert initializers.get("he_normal")((4, 2), dtype="float64").dtype == np.float64
    unseeded = initializers.RandomNormal()
    assert not np.array_equal(unseeded((50,)), unseeded((50,)))  # no seed: a fresh draw each call, as Keras
    np.testing.assert_array_equal(initializers.Ones()(5), np.ones(5, np.float32))
