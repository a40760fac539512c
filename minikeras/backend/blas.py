"""``y += alpha * x`` on numpy's own BLAS, so that long updates run on every BLAS thread.

numpy's ufuncs run on the calling thread alone. The BLAS numpy ships with (OpenBLAS in the
PyPI wheels) splits a long axpy over its worker threads: the threads that run the matrix
products and spin idle between them, so the update gets the second core for nothing. A Python
thread of our own would fight those spinning workers instead (docs/performance.md has both
measurements). numpy does not expose axpy, so it is looked up with ctypes in the library numpy
was linked with, under the names of the ILP64 builds numpy's wheels use (64-bit integer
arguments). Where it is not found, where ``MINIKERAS_BLAS_UPDATE=0`` is set in the environment,
and for short, non-contiguous or mixed-dtype arrays, the same update runs as numpy ufuncs, with
the same result up to the rounding of ``alpha * x``. `status()` says which path is active and why.
"""
from __future__ import annotations

import contextlib
import ctypes
import os

import numpy as np

# Set to 0 (or "off", "false", "no") to run every update as numpy ufuncs.
SWITCH = "MINIKERAS_BLAS_UPDATE"

# Below this many elements a threaded axpy is no faster than the ufuncs (thread wake-up costs
# what the second core saves; measured at 50,000 float32 elements) and the ctypes call costs more.
MIN_BLAS_SIZE = 1 << 16

# Symbol names of ILP64 builds: scipy-openblas64 (numpy >= 2 wheels), openblas64_ (numpy 1.26 wheels,
# checked with nm on numpy-1.26.4-cp311-manylinux2014_x86_64).
ILP64_NAMES = ("scipy_cblas_{}64_", "cblas_{}64_")


def _numpy_extension_path() -> str:
    try:
        from numpy._core import _multiarray_umath  # type: ignore[attr-defined]
    except ImportError:  # numpy 1.x
        from numpy.core import _multiarray_umath
    return _multiarray_umath.__file__


def numpy_blas_function(routine: str, argtypes: list):
    """The CBLAS `routine` (``"saxpy"``) of the BLAS numpy is linked with, taking 64-bit integers;
    None when numpy's BLAS is not such a build.

    dlsym on numpy's extension module searches the libraries it was loaded with, so this finds
    the very library (and thread pool) numpy's matrix products use, not another copy."""
    try:
        library = ctypes.CDLL(_numpy_extension_path())
    except (OSError, ImportError, AttributeError):
        return None
    names = [name.format(routine) for name in ILP64_NAMES]
    function = next((getattr(library, name) for name in names if hasattr(library, name)), None)
    if function is not None:
        function.argtypes = argtypes
        function.restype = None
    return function


def _find_axpy() -> dict:
    """``{dtype: axpy function}``, for the dtypes numpy's BLAS has it for."""
    size, address = ctypes.c_int64, ctypes.c_void_p
    found = {}
    for dtype, letter, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
        function = numpy_blas_function(f"{letter}axpy", [size, scalar, address, size, address, size])
        if function is not None:
            found[np.dtype(dtype)] = function
    return found


def _switched_off() -> bool:
    return os.environ.get(SWITCH, "1").strip().lower() in ("0", "off", "false", "no")


_FOUND = _find_axpy()
_AXPY = {} if _switched_off() else dict(_FOUND)


def available(dtype="float32") -> bool:
    """Whether long arrays of `dtype` are updated by BLAS (else by ufuncs)."""
    return np.dtype(dtype) in _AXPY


def status() -> dict:
    """``{"active": bool, "reason": str}``: whether long updates run on numpy's threaded BLAS axpy."""
    if _AXPY:
        names = ", ".join(np.dtype(dtype).name for dtype in _AXPY)
        return {"active": True, "reason": f"numpy's BLAS axpy ({names}) for arrays of {MIN_BLAS_SIZE:,}+ elements"}
    if _FOUND and _switched_off():
        return {"active": False, "reason": f"switched off by {SWITCH}={os.environ[SWITCH]}"}
    if _FOUND:
        return {"active": False, "reason": "switched off for this block (ufuncs_only)"}
    return {"active": False, "reason": "numpy's BLAS has no ILP64 cblas axpy symbol (not an OpenBLAS wheel "
                                       "build?); updates run as numpy ufuncs"}


@contextlib.contextmanager
def ufuncs_only():
    """Within the block every `axpy` runs as numpy ufuncs (to compare the two paths)."""
    global _AXPY
    found, _AXPY = _AXPY, {}
    try:
        yield
    finally:
        _AXPY = found


def axpy(alpha: float, x: np.ndarray, y: np.ndarray, scratch: np.ndarray) -> None:
    """``y += alpha * x`` in place; `x`, `y` and `scratch` (workspace of the ufunc path) share one shape."""
    function = _AXPY.get(y.dtype) if y.size >= MIN_BLAS_SIZE else None
    if (function is not None and x.dtype == y.dtype and x.shape == y.shape
            and x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable):
        function(y.size, float(alpha), x.ctypes.data, 1, y.ctypes.data, 1)
    elif alpha == 1:
        y += x
    else:
        y += np.multiply(x, alpha, out=scratch)
