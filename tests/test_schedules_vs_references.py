"""Keras' schedules against Keras 3 itself, and OneCycle against PyTorch's OneCycleLR, step by step."""
import math

import numpy as np
import pytest

from minikeras import schedules

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

STEPS = [0, 1, 5, 9, 10, 11, 24, 25, 37, 70, 99, 100, 101, 250]
KERAS_CASES = {
    "CosineDecay": dict(initial_learning_rate=0.1, decay_steps=40, alpha=0.1),
    "CosineDecay_warmup": dict(initial_learning_rate=0.0, decay_steps=60, warmup_target=0.5, warmup_steps=25),
    "CosineDecayRestarts": dict(initial_learning_rate=0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5, alpha=0.01),
    "CosineDecayRestarts_even": dict(initial_learning_rate=0.1, first_decay_steps=7, t_mul=1.0),
    "PiecewiseConstantDecay": dict(boundaries=[10, 25], values=[1.0, 0.5, 0.1]),
    "PolynomialDecay": dict(initial_learning_rate=0.1, decay_steps=37, end_learning_rate=0.001, power=2.0),
    "PolynomialDecay_cycle": dict(initial_learning_rate=0.1, decay_steps=37, power=0.5, cycle=True),
    "InverseTimeDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5),
    "InverseTimeDecay_staircase": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.5, staircase=True),
    "ExponentialDecay": dict(initial_learning_rate=0.1, decay_steps=10, decay_rate=0.9, staircase=True),
}


@pytest.mark.parametrize("case", sorted(KERAS_CASES))
def test_keras_schedule_values(case):
    name, options = case.split("_")[0], KERAS_CASES[case]
    ours = getattr(schedules, name)(**options)
    theirs = getattr(keras.optimizers.schedules, name)(**options)
    expected = [float(keras.ops.convert_to_numpy(theirs(step))) for step in STEPS]
    np.testing.assert_allclose([ours(step) for step in STEPS], expected, rtol=1e-5, atol=1e-8)


def test_keras_schedule_configs_load():
    for case, options in KERAS_CASES.items():
        theirs = getattr(keras.optimizers.schedules, case.split("_")[0])(**options)
        ours = schedules.registry.from_config({"class_name": type(theirs).__name__, "config": theirs.get_config()})
        assert [ours(step) for step in STEPS] == pytest.approx([float(theirs(step)) for step in STEPS], rel=1e-5)


def test_keras_module_path():
    from minikeras.optimizers.schedules import CosineDecay, LearningRateSchedule

    assert CosineDecay is schedules.CosineDecay and issubclass(CosineDecay, LearningRateSchedule)


@pytest.mark.parametrize("options", [
    dict(max_lr=0.5, total_steps=100),
    dict(max_lr=0.5, total_steps=57, pct_start=0.25, anneal_strategy="linear", div_factor=10.0),
    dict(max_lr=0.5, total_steps=80, three_phase=True, final_div_factor=100.0),
], ids=["cos", "linear", "three_phase"])
def test_one_cycle_matches_pytorch(options):
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, **options)
    expected = []
    for _ in range(options["total_steps"]):
        expected.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    ours = schedules.OneCycle(**options)
    np.testing.assert_allclose([ours(step) for step in range(options["total_steps"])], expected, rtol=1e-9)
    assert ours(10 * options["total_steps"]) == pytest.approx(expected[-1])


@pytest.mark.parametrize("make, message", [
    (lambda: schedules.PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1]), "must increase"),
    (lambda: schedules.PiecewiseConstantDecay([10], [1.0]), "one more value than boundaries"),
    (lambda: schedules.CosineDecay(0.1, 0), "decay_steps"),
    (lambda: schedules.OneCycle(0.1, 100, pct_start=1.0), "pct_start"),
    (lambda: schedules.OneCycle(0.1, 100, anneal_strategy="exp"), "anneal_strategy"),
    (lambda: schedules.PolynomialDecay(0.1, 10, power=math.nan), "power"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()
