import pytest

from bench.breakdown import PARTS, main


def test_breaks_a_bench_case_into_parts(capsys):
    costs = main(["--case", "CIFAR seed net, BN, batch 100", "--samples", "600", "--repeats", "1"])
    assert set(costs) == {*PARTS, "the rest"}
    assert "| gather the shuffled batch |" in capsys.readouterr().out


def test_unknown_case_is_refused():
    with pytest.raises(SystemExit):
        main(["--case", "no such case"])


def test_skipping_the_update_leaves_the_weights():
    import numpy as np

    from bench.breakdown import _skip_update
    from bench.run import Case, minikeras_model, random_data

    case = Case("small", [20, 8, 3], 10, 40)
    x, y = random_data(case)
    model = minikeras_model(case)
    model.fit(x, y, batch_size=10, verbose=0)
    _skip_update(model)
    before = model.get_weights()
    model.fit(x, y, batch_size=10, verbose=0)
    after = model.get_weights()
    for name, (old, new) in zip(["kernel", "bias", "gamma", "beta"], zip(before, after)):
        np.testing.assert_array_equal(old, new, err_msg=name)
