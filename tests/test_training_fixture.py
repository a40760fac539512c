"""Same seed, same code path: the weights after training equal those of the committed fixture, bit for bit."""
import numpy as np
import pytest

from tests.training_fixture import PATH, trained_weights


@pytest.fixture(scope="module")
def weights():
    return trained_weights()


def test_the_fixture_covers_every_run(weights):
    with np.load(PATH) as expected:
        assert sorted(expected.files) == sorted(weights)


@pytest.mark.parametrize("run", ["seed_net", "momentum_one_hot", "adam_mse", "rmsprop_float64"])
def test_trained_weights_are_bit_identical_to_the_fixture(weights, run):
    with np.load(PATH) as expected:
        keys = [key for key in expected.files if key.startswith(run + "/")]
        assert keys
        for key in keys:
            assert weights[key].dtype == expected[key].dtype, key
            np.testing.assert_array_equal(weights[key], expected[key], err_msg=key)
