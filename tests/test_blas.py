"""minikeras.blas.axpy: numpy's BLAS for long contiguous arrays, ufuncs otherwise, the same sums."""
import numpy as np
import pytest

from minikeras import blas

LONG = blas.MIN_BLAS_SIZE + 3


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_wheels_blas_is_found(dtype):
    # CI installs numpy's wheels, which ship scipy-openblas64: losing the lookup would lose speed silently.
    assert blas.available(dtype), f"no {dtype} axpy found in the BLAS numpy {np.__version__} is linked with"


def _operands(length, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal(length).astype(dtype), rng.standard_normal(length).astype(dtype),
            np.empty(length, dtype))


@pytest.mark.parametrize("length", [10, LONG], ids=["ufuncs", "blas"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("alpha", [-0.37, 1.0, np.float32(0.5)])
def test_axpy_adds_alpha_x_in_place(length, dtype, alpha):
    x, y, scratch = _operands(length, dtype)
    expected = y.astype(np.float64) + alpha * x.astype(np.float64)
    target = y
    blas.axpy(alpha, x, y, scratch)
    assert y is target and y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == "float32" else 1e-13, atol=1e-6)


def test_blas_and_ufunc_paths_agree():
    x, y, scratch = _operands(LONG, "float32")
    by_blas = y.copy()
    blas.axpy(0.25, x, by_blas, scratch)
    by_ufuncs = y.copy()
    with blas.ufuncs_only():
        assert not blas.available()
        blas.axpy(0.25, x, by_ufuncs, scratch)
    assert blas.available()
    np.testing.assert_allclose(by_blas, by_ufuncs, rtol=1e-6, atol=1e-7)


def test_strided_and_two_dimensional_arrays():
    x, y, scratch = _operands(2 * LONG, "float32")
    expected = y[::2] + np.float32(0.5) * x[::2]
    strided = y[::2]
    blas.axpy(0.5, x[::2], strided, scratch[::2])  # not contiguous: the ufunc path
    np.testing.assert_allclose(y[::2], expected, rtol=1e-6)
    x2, y2, scratch2 = (a[:LONG - 3].reshape(-1, 64) for a in _operands(LONG, "float32", seed=1))
    expected2 = y2 - 2.0 * x2
    blas.axpy(-2.0, x2, y2, scratch2)  # a kernel-shaped C-contiguous array goes to BLAS whole
    np.testing.assert_allclose(y2, expected2, rtol=1e-6, atol=1e-6)
