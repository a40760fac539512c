"""The fused-loop experiment computes the same training step as minikeras (numba-compiled when
installed, plain Python otherwise), so its timings compare equal work."""
import numpy as np
import pytest

import minikeras as mk
from bench.investigations.fused import FusedSeedNet, main, numpy_openblas_gemm

WIDTHS, BATCH, L2, LR = [12, 8, 8, 4], 16, 0.01, 0.1


def _model_with_the_weights_of(net):
    model = mk.Model(input_dim=WIDTHS[0], seed=0)
    for units in WIDTHS[1:-1]:
        model.add_layer(units, "relu", batch_norm=True, l2=L2)
    model.add_layer(WIDTHS[-1], "softmax", l2=L2)
    model.compile(optimizer=mk.optimizers.SGD(LR))
    dense = [layer for layer in model.layers if isinstance(layer, mk.layers.Dense)]
    for layer, kernel in zip(dense, net.kernels):
        layer.params["kernel"][...] = kernel
    return model, dense


@pytest.mark.parametrize("gemm", [None, numpy_openblas_gemm()], ids=["numpy update", "update in the product"])
def test_fused_steps_match_minikeras(gemm):
    net = FusedSeedNet(WIDTHS, BATCH, l2=L2, gemm_update=gemm)
    model, dense = _model_with_the_weights_of(net)
    rng = np.random.default_rng(2)
    for _ in range(3):
        x = rng.standard_normal((BATCH, WIDTHS[0])).astype(np.float32)
        y = rng.integers(0, WIDTHS[-1], BATCH)
        expected_loss = model.train_on_batch(x, y)
        assert net.step(x, y, LR) == pytest.approx(expected_loss, rel=1e-5)
    for layer, kernel in zip(dense, net.kernels):
        np.testing.assert_allclose(kernel, layer.params["kernel"], rtol=1e-4, atol=1e-6)


def test_the_blas_call_checks_its_arrays():
    gemm = numpy_openblas_gemm()
    assert gemm is not None, "numpy's wheels bundle OpenBLAS; this numpy links another BLAS"
    a, b = np.ones((3, 2), np.float32), np.ones((3, 4), np.float32)
    with pytest.raises(ValueError, match="shapes do not fit"):
        gemm(1.0, a, b, 0.0, np.empty((4, 2), np.float32))
    with pytest.raises(ValueError, match="C-contiguous float32"):
        gemm(1.0, a.astype(np.float64), b, 0.0, np.empty((2, 4), np.float32))


def test_the_experiment_runs(capsys):
    times = main(["--repeats", "1", "--samples", "200"])
    assert {"floor", "floor + gather", "fused loops"} <= set(times)
    assert "fused loops" in capsys.readouterr().out
