"""The bench's custom-layer case: the Dense written with ops computes what the built-in Dense
computes (so the ratio compares equal work); its timing is measured, never asserted."""
import numpy as np

from bench import custom_layer
from minikeras import layers


def test_the_ops_dense_trains_exactly_as_the_built_in_dense():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 784)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    built_in, custom = custom_layer._model(layers.Dense), custom_layer._model(custom_layer.OpsDense)
    custom.set_weights(built_in.get_weights())
    losses = [model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history["loss"]
              for model in (built_in, custom)]
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
    for mine, theirs in zip(custom.get_weights(), built_in.get_weights()):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


def test_the_case_reports_both_medians_and_their_ratio():
    row = custom_layer.measure(repeats=1, samples=256)
    assert row["case"] == custom_layer.NAME and row["custom_vs_built_in"] == row["custom_s"] / row["built_in_s"]
