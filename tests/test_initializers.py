import numpy as np
import pytest

from minikeras import initializers

SHAPE = (400, 300)


@pytest.mark.parametrize("spec, std", [
    ("he", np.sqrt(2 / 400)), ("xavier", np.sqrt(2 / 700)), ("fan_in", 1 / np.sqrt(400)),
    (initializers.Normal(0.01), 0.01), (initializers.Normal(0.1), 0.1),
])
def test_normal_initializers_have_the_documented_std(spec, std):
    values = initializers.get(spec)(SHAPE, np.random.default_rng(0), np.float64)
    assert values.shape == SHAPE
    assert abs(values.mean()) < 4 * std / np.sqrt(values.size)
    assert values.std() == pytest.approx(std, rel=0.01)


@pytest.mark.parametrize("spec, value", [("zeros", 0.0), ("ones", 1.0)])
def test_constants(spec, value):
    values = initializers.get(spec)((3, 2), np.random.default_rng(0), np.float32)
    assert values.dtype == np.float32 and np.all(values == value)


def test_uniform_bounds():
    values = initializers.Uniform(-1, 1)((200, 100), np.random.default_rng(0), np.float32)
    assert values.min() >= -1 and values.max() < 1 and abs(values.mean()) < 0.02
    assert values.std() == pytest.approx(2 / np.sqrt(12), rel=0.01)
    with pytest.raises(ValueError, match="low < high"):
        initializers.Uniform(1, 1)


def test_dtype_is_respected():
    assert initializers.He()((3, 2), np.random.default_rng(0), np.float32).dtype == np.float32


def test_unknown_name_and_bad_stddev():
    with pytest.raises(ValueError, match="Unknown initializer 'orthogonl'.*fan_in.*orthogonal"):
        initializers.get("orthogonl")
    with pytest.raises(ValueError, match="stddev"):
        initializers.Normal(0)
