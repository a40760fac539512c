"""`minikeras.random` (Keras' ``keras.random``): seeds, distributions, and dropout's gradient."""
from __future__ import annotations

import numpy as np
import pytest

import minikeras as mk
from minikeras import ops, random, tape


def test_an_int_seed_repeats_and_a_seed_generator_moves_on():
    np.testing.assert_array_equal(random.normal((3,), seed=4), random.normal((3,), seed=4))
    generator = random.SeedGenerator(7)
    first, second = random.uniform((4,), seed=generator), random.uniform((4,), seed=generator)
    assert not np.array_equal(first, second)
    again = random.SeedGenerator(7)
    np.testing.assert_array_equal(random.uniform((4,), seed=again), first)


def test_shapes_dtypes_and_ranges():
    assert random.normal((2, 3)).dtype == np.float32 and random.randint((5,), 0, 3).dtype == np.int32
    values = random.uniform((1000,), minval=2.0, maxval=3.0, seed=1)
    assert values.min() >= 2.0 and values.max() < 3.0
    assert np.abs(random.truncated_normal((1000,), stddev=2.0, seed=1)).max() <= 4.0
    assert sorted(random.shuffle(np.arange(6), seed=1).tolist()) == list(range(6))
    draws = random.categorical(np.log(np.array([[0.0, 1.0], [1.0, 0.0]]) + 1e-12), 5, seed=0)
    np.testing.assert_array_equal(draws, [[1] * 5, [0] * 5])
    with pytest.raises(ValueError, match="seed must be an int, a keras.random.SeedGenerator or None"):
        random.normal((2,), seed="one")


def test_dropout_scales_kept_entries_and_passes_their_gradient():
    x = np.ones((200, 50))
    out = random.dropout(x, 0.25, seed=3)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1 / 0.75)
    assert abs(kept.mean() - 0.75) < 0.02
    with tape.recording() as recording:
        leaf = tape.watch(x)
        total = ops.sum(random.dropout(leaf, 0.25, seed=3))
        grads = recording.gradients([(total, np.ones(()))])
    np.testing.assert_allclose(grads[id(leaf)], np.where(kept, 1 / 0.75, 0.0))


def test_set_random_seed_makes_unseeded_draws_reproducible():
    mk.utils.set_random_seed(5)
    first = random.normal((3,))
    mk.utils.set_random_seed(5)
    np.testing.assert_array_equal(random.normal((3,)), first)
