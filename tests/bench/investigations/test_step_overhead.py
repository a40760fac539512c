"""The step-overhead investigation times the same network three ways: the builds compute the same
function (the chain ones identically), and each turn is timed for each build."""
import numpy as np

from bench.investigations.step_overhead import BUILDS, PARTS, build, main, part_times, step_times


def test_the_chain_builds_are_the_same_network_and_the_skip_one_runs_the_graph_path():
    sequential, chain, skip = (build(kind) for kind in BUILDS)
    assert sequential.engine.chain and chain.engine.chain and not skip.engine.chain
    chain.set_weights(sequential.get_weights())
    x = np.random.default_rng(0).standard_normal((3, 3072)).astype("float32")
    np.testing.assert_array_equal(chain.predict(x, verbose=0), sequential.predict(x, verbose=0))


def test_every_turn_is_timed_for_every_build(capsys):
    times = step_times(batch=2, steps=2, turns=2)
    assert set(times) == set(BUILDS) and all(len(v) == 2 and min(v) > 0 for v in times.values())
    main(["--batch", "2", "--steps", "2", "--turns", "1"])
    assert capsys.readouterr().out.count("µs/step") == 3


def test_the_parts_of_the_step_are_each_timed():
    times = part_times(batch=2, steps=2, turns=2, builds=["functional with a skip"])
    assert set(times["functional with a skip"]) == set(PARTS)
    assert all(len(values) == 2 and min(values) > 0 for values in times["functional with a skip"].values())
