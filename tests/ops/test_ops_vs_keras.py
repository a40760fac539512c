"""`minikeras.ops` against Keras 3's ``keras.ops``: the same names (or a documented reason), the
same signatures, and the same values and dtypes for the ops without a gradient."""
from __future__ import annotations

import inspect
import pathlib
import re

import numpy as np
import pytest

from minikeras import ops

keras = pytest.importorskip("keras")

DOCS = pathlib.Path(__file__).parents[2] / "docs" / "coming-from-keras.md"
R = np.random.default_rng(3)
X = R.standard_normal((3, 4)).astype("float32")
INTS = np.array([[3, 1, 2], [0, 5, 5]], dtype="int32")


def _listed_as_missing() -> set[str]:
    """The ops named in the "keras.ops names minikeras does not have" table of Coming from Keras."""
    text = DOCS.read_text()
    section = text.split("<!-- ops-not-implemented -->")[1].split("<!-- /ops-not-implemented -->")[0]
    first_cells = [line.split("|")[1] for line in section.strip().splitlines()[2:]]
    return {name for cell in first_cells for name in re.findall(r"`([a-z_0-9]+)`", cell)}


def test_every_keras_op_is_implemented_or_listed_with_a_reason():
    keras_names = {name for name in dir(keras.ops) if not name.startswith("_")}
    missing = keras_names - set(ops.__all__)
    listed = _listed_as_missing()
    assert sorted(missing - listed) == []
    assert sorted(listed & set(ops.__all__)) == []  # the table names nothing that exists


def test_signatures_are_keras_own():
    different = []
    for name in sorted(set(ops.__all__) & set(dir(keras.ops)) - {"linalg", "nn", "numpy"}):
        theirs, ours = inspect.signature(getattr(keras.ops, name)), inspect.signature(getattr(ops, name))
        if [(p.name, p.default, p.kind) for p in theirs.parameters.values()] != \
                [(p.name, p.default, p.kind) for p in ours.parameters.values()]:
            different.append((name, str(theirs), str(ours)))
    assert different == []


VALUE_CASES = [
    ("argmax", (X,), {"axis": 1}), ("argmin", (X,), {}), ("argsort", (X,), {}), ("sign", (X,), {}),
    ("floor", (X,), {}), ("ceil", (X,), {}), ("round", (X * 10,), {"decimals": 1}), ("trunc", (X * 3,), {}),
    ("equal", (X, 0.0), {}), ("greater", (X, X[::-1]), {}), ("logical_and", (X > 0, X > 1), {}),
    ("logical_not", (X > 0,), {}), ("isnan", (np.array([1.0, np.nan]),), {}), ("isclose", (X, X + 1e-9), {}),
    ("all", (X > -5,), {"axis": 0}), ("any", (X > 1,), {}), ("count_nonzero", (INTS,), {"axis": 1}),
    ("one_hot", (np.array([0, 2, 3]), 4), {}), ("multi_hot", (np.array([[0, 2], [1, 1]]),), {"num_classes": 4}),
    ("searchsorted", (np.array([1.0, 2.0, 3.0]), np.array([2.5, 0.0])), {}),
    ("digitize", (np.array([0.5, 1.5, 9.0]), np.array([1.0, 2.0])), {}), ("bincount", (np.array([0, 1, 1, 3]),), {}),
    ("in_top_k", (np.array([1, 0]), np.array([[0.1, 0.9, 0.0], [0.2, 0.3, 0.5]]), 2), {}),
    ("top_k", (X, 2), {}), ("zeros", ((2, 3),), {}), ("ones_like", (INTS,), {}), ("full", ((2,), 7.0), {}),
    ("eye", (3,), {"k": 1}), ("arange", (5,), {}), ("arange", (0.0, 1.0, 0.25), {}), ("linspace", (0, 1, 5), {}),
    ("tri", (3,), {}), ("identity", (2,), {}), ("shape", (X,), {}), ("ndim", (X,), {}), ("size", (X,), {}),
    ("convert_to_tensor", ([[1.0, 2.0]],), {}), ("cast", (X, "int32"), {}), ("nonzero", (INTS > 2,), {}),
    ("unique", (np.array([3, 1, 3, 2]),), {}), ("floor_divide", (INTS, 2), {}), ("mod", (INTS, 3), {}),
    ("bitwise_and", (INTS, 6), {}), ("left_shift", (INTS, 1), {}), ("extract_sequences", (X, 2, 1), {}),
    ("segment_sum", (X, np.array([0, 1, 1])), {}), ("meshgrid", (np.arange(2), np.arange(3)), {}),
    ("select", ([X > 0, X < -1], [X, -X]), {}), ("nanmedian", (X,), {}), ("histogram", (X.ravel(),), {"bins": 3}),
    ("median", (X,), {"axis": 0}), ("quantile", (X, np.array([0.1, 0.9])), {"axis": 1}),
    ("split", (X, [1, 3]), {"axis": 1}), ("hanning", (5,), {}),
    ("vander", (np.array([1.0, 2.0], dtype="float32"),), {}),
    ("moments", (X, [0]), {}), ("logsumexp", (X,), {}), ("erfinv", (np.array([-0.5, 0.2]),), {}),
    ("sparse_categorical_crossentropy", (np.array([1, 0, 3]), X), {"from_logits": True}),
    ("categorical_crossentropy", (np.eye(4, dtype="float32")[:3], np.abs(X)), {}),
]


# Keras' index dtypes differ by backend (PyTorch's int64, JAX's int32); minikeras' are int32.
INDEX_DTYPE_BY_BACKEND = {"top_k", "nonzero"}


def _numpy(result):
    if isinstance(result, (tuple, list)):
        return [_numpy(item) for item in result]
    return keras.ops.convert_to_numpy(result) if not isinstance(result, (int, float, tuple)) else result


@pytest.mark.parametrize("name, args, kwargs", VALUE_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(VALUE_CASES)])
def test_values_and_dtypes_match_keras(name, args, kwargs):
    ours, theirs = getattr(ops, name)(*args, **kwargs), _numpy(getattr(keras.ops, name)(*args, **kwargs))
    if name == "nonzero":  # Keras' PyTorch backend stacks the index arrays
        ours = np.asarray(ours)
    for mine, keras_value in zip(ours if isinstance(ours, (tuple, list)) else [ours],
                                 theirs if isinstance(theirs, list) else [theirs]):
        mine = np.asarray(mine)
        np.testing.assert_allclose(mine, keras_value, rtol=1e-5, atol=1e-6)
        if name not in INDEX_DTYPE_BY_BACKEND:
            assert mine.dtype == np.asarray(keras_value).dtype, (name, mine.dtype, np.asarray(keras_value).dtype)
