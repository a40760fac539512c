import numpy as np
import pytest

from bench.cases import Case, minikeras_model, random_data
from bench.investigations.breakdown import PARTS, epoch_seconds, main, step


def test_breaks_a_bench_case_into_parts(capsys):
    costs = main(["--case", "CIFAR seed net, BN, batch 100", "--samples", "600", "--repeats", "1"])
    assert set(costs) == {*PARTS, "the rest", "fit's bookkeeping"}
    assert "| gather the shuffled batch |" in capsys.readouterr().out


def test_unknown_case_is_refused():
    with pytest.raises(SystemExit):
        main(["--case", "no such case"])


def _trained_pair():
    case = Case("small", [20, 8, 3], 10, 40)
    x, y = random_data(case)
    return case, x, y, minikeras_model(case), minikeras_model(case)


def test_the_whole_step_is_the_engines_train_step():
    case, x, y, by_fit, by_steps = _trained_pair()
    by_fit.fit(x, y, batch_size=10, shuffle=False, verbose=0)
    epoch_seconds(by_steps, x, y, 10, shuffle=False)
    for a, b in zip(by_fit.get_weights(), by_steps.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_leaving_out_the_update_leaves_the_weights():
    case, x, y, model, _ = _trained_pair()
    model.fit(x, y, batch_size=10, verbose=0)
    before = model.get_weights()
    epoch_seconds(model, x, y, 10, update=False)
    for name, (old, new) in zip(["kernel", "bias", "gamma", "beta"], zip(before, model.get_weights())):
        np.testing.assert_array_equal(old, new, err_msg=name)


def test_leaving_out_the_penalty_lowers_the_reported_loss_by_it():
    case, x, y, model, _ = _trained_pair()
    engine = model.engine
    data = engine.dataset(x[:10], y[:10])
    with_penalty = step(engine, data.x, data.targets, data.weights, update=False)
    without = step(engine, data.x, data.targets, data.weights, penalty=False, update=False)
    assert with_penalty - without == pytest.approx(float(engine.penalty()), rel=1e-5)
