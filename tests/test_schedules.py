import pytest

from minikeras import schedules


@pytest.mark.parametrize("step, expected", [
    (0, 1e-5), (250, 1e-5 + 0.5 * (0.1 - 1e-5)), (500, 0.1), (750, 1e-5 + 0.5 * (0.1 - 1e-5)),
    (1000, 1e-5), (1500, 0.1), (2000, 1e-5),
])
def test_triangular(step, expected):
    assert schedules.CyclicLR(1e-5, 1e-1, step_size=500)(step) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("step, expected", [(100, 1.0), (300, 0.5), (500, 0.25), (400, 0.0), (350, 0.25)])
def test_triangular2_halves_each_cycle(step, expected):
    schedule = schedules.CyclicLR(0.0 + 1e-9, 1.0 + 1e-9, step_size=100, mode="triangular2")
    assert schedule(step) == pytest.approx(expected + 1e-9, abs=1e-9)


def test_exp_range_scales_by_gamma_to_the_step():
    schedule = schedules.CyclicLR(0.1, 1.1, step_size=10, mode="exp_range", gamma=0.99)
    assert schedule(10) == pytest.approx(0.1 + 1.0 * 0.99 ** 10)
    assert schedule(5) == pytest.approx(0.1 + 0.5 * 0.99 ** 5)


def test_exponential_decay():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert schedule(0) == 0.1 and schedule(10) == pytest.approx(0.05) and schedule(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    stairs = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    assert stairs(9) == 0.1 and stairs(10) == pytest.approx(0.05)


def test_step_decay():
    schedule = schedules.StepDecay(1.0, factor=0.1, step_size=3)
    assert [schedule(t) for t in range(7)] == pytest.approx([1, 1, 1, 0.1, 0.1, 0.1, 0.01])


@pytest.mark.parametrize("kwargs, message", [
    ({"eta_min": 0.1, "eta_max": 0.01, "step_size": 5}, "eta_min <= eta_max"),
    ({"eta_min": 0.01, "eta_max": 0.1, "step_size": 0}, "step_size"),
    ({"eta_min": 0.01, "eta_max": 0.1, "step_size": 5, "mode": "cosine"}, "Unknown CyclicLR mode"),
    ({"eta_min": -1, "eta_max": 0.1, "step_size": 5}, "eta_min"),
])
def test_bad_cyclic_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        schedules.CyclicLR(**kwargs)
