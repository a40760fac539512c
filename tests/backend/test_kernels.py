"""Kernels of minikeras.backend that the layer tests do not reach one by one."""
import numpy as np
import pytest

from minikeras import backend
from minikeras.backend import kernels


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.longdouble])
def test_column_sums_are_the_sums_and_means_over_rows(dtype):
    x = np.random.default_rng(0).standard_normal((100, 7)).astype(dtype)
    out = np.empty(7, dtype)
    np.testing.assert_allclose(backend.column_sums(x, out), x.sum(axis=0), rtol=1e-5)
    np.testing.assert_allclose(backend.column_sums(x, out, 1.0 / 100), x.mean(axis=0), rtol=1e-5)
    assert backend.column_sums(x, out) is out


def test_column_sums_take_strided_inputs_and_other_dtypes():
    x = np.random.default_rng(1).standard_normal((9, 40))
    out = np.empty(4, np.float32)
    backend.column_sums(x[::2, ::10], out)  # float64, not contiguous
    np.testing.assert_allclose(out, x[::2, ::10].sum(axis=0), rtol=1e-6)


def test_the_shared_constant_vectors_cannot_be_changed_by_a_caller():
    backend.column_sums(np.ones((3, 2), np.float32), np.empty(2, np.float32))
    vector = kernels._constant_vector(3, 1.0, np.dtype(np.float32))
    with pytest.raises(ValueError, match="read-only"):
        vector[0] = 5
