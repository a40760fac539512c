import math

import numpy as np
import pytest

from minikeras import search


def test_log_uniform_samples_span_decades_within_bounds():
    values = [t["l2"] for t in search.sample_trials({"l2": search.LogUniform(1e-5, 1e-1)}, 2000, seed=0)]
    assert min(values) >= 1e-5 and max(values) <= 1e-1
    logs = np.log10(values)
    for decade in range(-5, -1):  # about a quarter of the draws in each decade
        share = np.mean((logs >= decade) & (logs < decade + 1))
        assert 0.2 < share < 0.3


def test_other_dimensions():
    trials = search.sample_trials({"u": search.Uniform(2, 3), "i": search.IntUniform(1, 3),
                                   "c": search.Choice(["relu", "tanh"]), "g": [16, 32]}, 500, seed=1)
    assert all(2 <= t["u"] <= 3 for t in trials)
    assert {t["i"] for t in trials} == {1, 2, 3} and all(isinstance(t["i"], int) for t in trials)
    assert {t["c"] for t in trials} == {"relu", "tanh"} and {t["g"] for t in trials} == {16, 32}


def test_sampling_is_reproducible():
    space = {"l2": search.LogUniform(1e-5, 1e-1), "lr": {"uniform": [0.01, 0.1]}}
    assert search.sample_trials(space, 5, seed=3) == search.sample_trials(space, 5, seed=3)
    assert search.sample_trials(space, 5, seed=3) != search.sample_trials(space, 5, seed=4)


def test_grid_is_the_cartesian_product():
    trials = search.grid_trials({"a": [1, 2], "b": ["x", "y", "z"]})
    assert len(trials) == 6 and {"a": 2, "b": "z"} in trials
    with pytest.raises(ValueError, match="Grid search needs a list"):
        search.grid_trials({"a": search.Uniform(0, 1)})


def _records(values, scores):
    return [{"trial": i, "params": {"l2": v}, "status": "ok", "metrics": {"val_accuracy": s}}
            for i, (v, s) in enumerate(zip(values, scores))]


def test_refine_narrows_around_the_best_trials_in_log_space():
    space = {"l2": search.LogUniform(1e-5, 1e-1)}
    records = _records([1e-5, 1e-4, 1e-3, 3e-3, 1e-2, 1e-1], [0.40, 0.45, 0.52, 0.53, 0.51, 0.30])
    records.append({"trial": 9, "params": {"l2": 5e-3}, "status": "failed", "error": "x"})
    fine = search.refine(space, records, "val_accuracy", top=3, fraction=0.25)["l2"]
    # best three: 1e-3, 3e-3, 1e-2 -> log10 span [-3, -2], widened by 0.25 * 4 decades each side
    assert fine == search.LogUniform(10 ** -4, 10 ** -1)
    fine = search.refine(space, records, "val_accuracy", top=3, fraction=0.05)["l2"]
    assert math.isclose(math.log10(fine.low), -3.2) and math.isclose(math.log10(fine.high), -1.8)


def test_refine_min_mode_and_choice():
    space = {"act": search.Choice(["relu", "tanh", "sigmoid"])}
    records = [{"trial": i, "params": {"act": a}, "status": "ok", "metrics": {"loss": s}}
               for i, (a, s) in enumerate([("relu", 0.1), ("tanh", 0.5), ("sigmoid", 0.9)])]
    assert search.refine(space, records, "loss", mode="min", top=2)["act"].options == ["relu", "tanh"]
    with pytest.raises(ValueError, match="No finished trial"):
        search.refine(space, [], "loss")


@pytest.mark.parametrize("spec, message", [
    ({"log_uniform": [0, 1]}, "0 < low"), ({"uniform": [2, 1]}, "low < high"), ({"normal": [0, 1]}, "one key of"),
    (3.5, "must be LogUniform"),
])
def test_bad_dimensions(spec, message):
    with pytest.raises(ValueError, match=message):
        search.sample_trials({"p": spec}, 1)
