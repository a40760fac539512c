"""minikeras.backend.blas.axpy: numpy's BLAS for long contiguous arrays, ufuncs otherwise, the same sums."""
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from minikeras.backend import blas

LONG = blas.MIN_BLAS_SIZE + 3


def numpy_blas_is_ilp64_openblas() -> tuple[bool, str]:
    """Whether numpy says it was built on a 64-bit-integer OpenBLAS (as its PyPI wheels are), and its BLAS."""
    config = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    name, build = config.get("name", "?"), config.get("openblas configuration", "")
    return "openblas" in name and ("64" in name or "USE64BITINT" in build), f"{name} {config.get('version', '')}"


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_numpy_wheels_blas_is_found(dtype):
    ilp64_openblas, library = numpy_blas_is_ilp64_openblas()
    if not ilp64_openblas:
        pytest.skip(f"numpy is linked with {library}, not a 64-bit-integer OpenBLAS: there is no symbol to find, "
                    f"and the update runs as ufuncs ({blas.status()['reason']})")
    if os.environ.get(blas.SWITCH):
        pytest.skip(f"{blas.SWITCH}={os.environ[blas.SWITCH]} is set for this run")
    # numpy's wheels ship scipy-openblas64: losing the lookup would lose speed silently.
    assert blas.available(dtype), f"no {dtype} axpy found in {library}, which numpy {np.__version__} is linked with"
    assert blas.status()["active"]


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
    before = blas.status()
    with blas.ufuncs_only():
        assert not blas.available() and not blas.status()["active"]
        blas.axpy(0.25, x, by_ufuncs, scratch)
    assert blas.status() == before
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


SUBPROCESS_TESTS = ["tests/backend/test_blas.py", "tests/test_optimizers.py", "tests/test_reference.py"]


def _run_tests_in_subprocess(prelude: str, env: dict) -> subprocess.CompletedProcess:
    script = textwrap.dedent(prelude) + textwrap.dedent(f"""
        import sys, pytest
        sys.exit(pytest.main(["-q", "-o", "addopts=", "-p", "no:cacheprovider", "-k", "not subprocess",
                              *{SUBPROCESS_TESTS!r}]))
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                          env={**os.environ, **env}, cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))


def test_switched_off_by_the_environment_the_tests_pass_in_a_subprocess():
    result = _run_tests_in_subprocess("""
        from minikeras import backend
        status = backend.blas_status()
        assert not status["active"] and "MINIKERAS_BLAS_UPDATE=0" in status["reason"], status
    """, {blas.SWITCH: "0"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_on_a_blas_without_the_symbols_the_tests_pass_in_a_subprocess():
    # Hide every symbol of numpy's libraries from the lookup, as on MKL, Accelerate or Windows.
    result = _run_tests_in_subprocess("""
        import ctypes, types
        real_cdll = ctypes.CDLL
        ctypes.CDLL = lambda *args, **kwargs: types.SimpleNamespace()
        from minikeras import backend
        ctypes.CDLL = real_cdll
        status = backend.blas_status()
        assert not status["active"] and "no ILP64 cblas axpy symbol" in status["reason"], status
        import tests.backend.test_blas as module
        module.numpy_blas_is_ilp64_openblas = lambda: (False, "a BLAS without the symbols (simulated)")
    """, {})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
