"""Every differentiable op's VJP, in float64, against PyTorch autograd (through Keras' own op of
the same name on the PyTorch backend) and against centered differences; forward values too."""
from __future__ import annotations

import numpy as np
import pytest

from minikeras import layers, ops, tape

keras = pytest.importorskip("keras")
torch = pytest.importorskip("torch")

R = np.random.default_rng(7)


def normal(*shape):
    return R.standard_normal(shape)


def positive(*shape):
    return R.uniform(0.5, 2.0, shape)


def unit(*shape):
    return R.uniform(-0.8, 0.8, shape)


def spd(n):
    a = R.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


def distinct(*shape):
    """Entries far apart, so that max, sort and quantiles have no ties nearby."""
    return R.permutation(np.arange(int(np.prod(shape)), dtype=np.float64)).reshape(shape) * 0.37 + 0.1


# (op name, differentiable arrays, other arguments, keyword arguments)
CASES = [
    ("add", [normal(3, 4), normal(4)], [], {}),
    ("subtract", [normal(3, 1), normal(1, 4)], [], {}),
    ("multiply", [normal(2, 3, 4), normal(3, 1)], [], {}),
    ("divide", [normal(3, 4), positive(4)], [], {}),
    ("true_divide", [normal(3, 4), positive(3, 4)], [], {}),
    ("power", [positive(3, 4), normal(3, 4)], [], {}),
    ("negative", [normal(3, 4)], [], {}),
    ("maximum", [normal(3, 4), normal(3, 4)], [], {}),
    ("minimum", [normal(3, 4), normal(4)], [], {}),
    ("mod", [positive(3, 4) * 3, positive(3, 4)], [], {}),
    ("fmod", [normal(3, 4) * 3, positive(3, 4)], [], {}),
    ("exp", [normal(3, 4)], [], {}),
    ("exp2", [normal(3, 4)], [], {}),
    ("expm1", [normal(3, 4)], [], {}),
    ("log", [positive(3, 4)], [], {}),
    ("log2", [positive(3, 4)], [], {}),
    ("log10", [positive(3, 4)], [], {}),
    ("log1p", [positive(3, 4)], [], {}),
    ("logaddexp", [normal(3, 4), normal(4)], [], {}),
    ("logaddexp2", [normal(3, 4), normal(3, 4)], [], {}),
    ("sqrt", [positive(3, 4)], [], {}),
    ("rsqrt", [positive(3, 4)], [], {}),
    ("cbrt", [positive(3, 4)], [], {}),
    ("square", [normal(3, 4)], [], {}),
    ("reciprocal", [positive(3, 4)], [], {}),
    ("abs", [normal(3, 4)], [], {}),
    ("absolute", [normal(3, 4)], [], {}),
    ("fabs", [normal(3, 4)], [], {}),
    ("hypot", [normal(3, 4), normal(3, 4)], [], {}),
    ("sin", [normal(3, 4)], [], {}),
    ("cos", [normal(3, 4)], [], {}),
    ("tan", [unit(3, 4)], [], {}),
    ("arcsin", [unit(3, 4)], [], {}),
    ("arccos", [unit(3, 4)], [], {}),
    ("arctan", [normal(3, 4)], [], {}),
    ("arctan2", [normal(3, 4), normal(3, 4)], [], {}),
    ("sinh", [normal(3, 4)], [], {}),
    ("cosh", [normal(3, 4)], [], {}),
    ("tanh", [normal(3, 4)], [], {}),
    ("arcsinh", [normal(3, 4)], [], {}),
    ("arccosh", [positive(3, 4) + 1], [], {}),
    ("arctanh", [unit(3, 4)], [], {}),
    ("deg2rad", [normal(3, 4)], [], {}),
    ("rad2deg", [normal(3, 4)], [], {}),
    ("sinc", [normal(3, 4)], [], {}),
    ("erf", [normal(3, 4)], [], {}),
    ("erfc", [normal(3, 4)], [], {}),
    ("erfinv", [unit(3, 4)], [], {}),
    ("clip", [normal(3, 4)], [-0.5, 0.5], {}),
    ("where", [normal(3, 4), normal(3, 4)], [], {"condition": normal(3, 4) > 0}),
    ("nan_to_num", [normal(3, 4)], [], {}),
    ("divide_no_nan", [normal(3, 4), positive(3, 4)], [], {}),
    ("sum", [normal(3, 4, 2)], [], {"axis": (0, 2)}),
    ("sum", [normal(3, 4)], [], {"axis": 1, "keepdims": True}),
    ("mean", [normal(3, 4, 2)], [], {"axis": 1}),
    ("mean", [normal(3, 4)], [], {}),
    ("max", [distinct(3, 4)], [], {"axis": 1}),
    ("min", [distinct(3, 4)], [], {"axis": 0, "keepdims": True}),
    ("amax", [distinct(3, 4)], [], {}),
    ("amin", [distinct(3, 4)], [], {"axis": -1}),
    ("ptp", [distinct(3, 4)], [], {"axis": 1}),
    ("prod", [normal(3, 4)], [], {"axis": 1}),
    ("prod", [normal(2, 3)], [], {}),
    ("var", [normal(3, 4)], [], {"axis": 1}),
    ("std", [normal(3, 4)], [], {"axis": 0}),
    ("average", [normal(3, 4), positive(4)], [], {"axis": 1}),
    ("logsumexp", [normal(3, 4)], [], {"axis": 1}),
    ("cumsum", [normal(3, 4)], [], {"axis": 1}),
    ("cumprod", [normal(3, 4)], [], {"axis": 0}),
    ("sort", [distinct(3, 4)], [], {"axis": 1}),
    ("median", [distinct(3, 4)], [], {"axis": 1}),
    ("quantile", [distinct(3, 5)], [0.3], {"axis": 1}),
    ("percentile", [distinct(3, 5)], [70.0], {"axis": 0}),
    ("norm", [normal(3, 4)], [], {"axis": 1}),
    ("norm", [normal(3, 4)], [], {}),
    ("nansum", [normal(3, 4)], [], {"axis": 1}),
    ("nanmean", [normal(3, 4)], [], {"axis": 1}),
    ("reshape", [normal(3, 4)], [(2, 6)], {}),
    ("ravel", [normal(3, 4)], [], {}),
    ("expand_dims", [normal(3, 4)], [1], {}),
    ("squeeze", [normal(3, 1, 4)], [], {"axis": 1}),
    ("transpose", [normal(2, 3, 4)], [], {"axes": (1, 2, 0)}),
    ("moveaxis", [normal(2, 3, 4)], [0, -1], {}),
    ("swapaxes", [normal(2, 3, 4)], [0, 2], {}),
    ("broadcast_to", [normal(3, 1)], [(2, 3, 4)], {}),
    ("tile", [normal(2, 3)], [(2, 2)], {}),
    ("repeat", [normal(2, 3)], [2], {"axis": 1}),
    ("pad", [normal(2, 3)], [((1, 2), (0, 1))], {}),
    ("pad", [normal(3, 4)], [((1, 1), (2, 0))], {"mode": "reflect"}),
    ("flip", [normal(2, 3)], [], {"axis": 1}),
    ("roll", [normal(2, 5)], [2], {"axis": 1}),
    ("rot90", [normal(2, 3)], [], {}),
    ("diagonal", [normal(3, 4)], [], {"offset": 1}),
    ("trace", [normal(3, 3)], [], {}),
    ("diag", [normal(4)], [], {"k": 1}),
    ("tril", [normal(3, 3)], [], {}),
    ("triu", [normal(3, 4)], [], {"k": 1}),
    ("copy", [normal(3, 4)], [], {}),
    ("take", [normal(4, 3)], [np.array([0, 2, 2])], {"axis": 0}),
    ("take_along_axis", [normal(3, 4)], [np.array([[0, 1], [3, 3], [2, 0]])], {"axis": 1}),
    ("diff", [normal(3, 5)], [], {"axis": 1}),
    ("trapezoid", [normal(3, 5)], [], {}),
    ("cdist", [normal(3, 2), normal(4, 2)], [], {}),
    ("cross", [normal(4, 3), normal(4, 3)], [], {}),
    ("matmul", [normal(3, 4), normal(4, 2)], [], {}),
    ("matmul", [normal(2, 3, 4), normal(4)], [], {}),
    ("matmul", [normal(4), normal(2, 4, 3)], [], {}),
    ("dot", [normal(3, 4), normal(4, 2)], [], {}),
    ("tensordot", [normal(2, 3, 4), normal(3, 4, 5)], [], {"axes": 2}),
    ("tensordot", [normal(3, 4), normal(4, 3)], [], {"axes": ([0], [1])}),
    ("einsum", [normal(2, 3), normal(3, 4)], [], {"subscripts": "ij,jk->ik"}),
    ("einsum", [normal(2, 3), normal(2, 3)], [], {"subscripts": "ij,ij->i"}),
    ("einsum", [normal(3, 3)], [], {"subscripts": "ii->"}),
    ("einsum", [normal(2, 3), normal(4)], [], {"subscripts": "ij,k->ik"}),
    ("outer", [normal(3), normal(4)], [], {}),
    ("inner", [normal(3, 4), normal(2, 4)], [], {}),
    ("vdot", [normal(5), normal(5)], [], {}),
    ("kron", [normal(2, 3), normal(2, 2)], [], {}),
    ("concatenate", [normal(2, 3), normal(2, 1)], [], {"axis": 1}),
    ("stack", [normal(2, 3), normal(2, 3)], [], {"axis": 1}),
    ("hstack", [normal(2, 3), normal(2, 1)], [], {}),
    ("vstack", [normal(2, 3), normal(1, 3)], [], {}),
    ("append", [normal(2, 3), normal(2, 3)], [], {"axis": 0}),
    ("get_item", [normal(4, 5)], [(slice(1, 3), [0, 2, 2])], {}),
    ("slice", [normal(4, 5)], [(1, 2), (2, 3)], {}),
    ("slice_update", [normal(4, 5), normal(2, 2)], [], {"start_indices": (1, 2)}),
    ("scatter_update", [normal(4, 3), normal(2, 3)], [], {"indices": np.array([[0], [2]])}),
    ("scatter", [normal(3)], [], {"indices": np.array([[0, 1], [2, 2], [0, 1]]), "shape": (3, 4)}),
    ("segment_sum", [normal(5, 2)], [np.array([0, 0, 1, 2, 2])], {"num_segments": 3}),
    ("segment_max", [distinct(5, 2)], [np.array([0, 0, 1, 2, 2])], {"num_segments": 3}),
    ("cast", [normal(3, 4)], ["float64"], {}),
    ("inv", [spd(3)], [], {}),
    ("det", [spd(3)], [], {}),
    ("logdet", [spd(3)], [], {}),
    ("solve", [spd(3), normal(3, 2)], [], {}),
    ("cholesky", [spd(3)], [], {}),
    ("relu", [normal(3, 4)], [], {}),
    ("relu6", [normal(3, 4) * 4 + 3], [], {}),
    ("sigmoid", [normal(3, 4)], [], {}),
    ("softplus", [normal(3, 4)], [], {}),
    ("softsign", [normal(3, 4)], [], {}),
    ("silu", [normal(3, 4)], [], {}),
    ("swish", [normal(3, 4)], [], {}),
    ("log_sigmoid", [normal(3, 4)], [], {}),
    ("leaky_relu", [normal(3, 4)], [], {"negative_slope": 0.1}),
    ("hard_sigmoid", [normal(3, 4) * 2], [], {}),
    ("hard_silu", [normal(3, 4) * 2], [], {}),
    ("hard_swish", [normal(3, 4) * 2], [], {}),
    ("elu", [normal(3, 4)], [], {"alpha": 0.7}),
    ("selu", [normal(3, 4)], [], {}),
    ("celu", [normal(3, 4)], [], {"alpha": 1.5}),
    ("gelu", [normal(3, 4)], [], {}),
    ("gelu", [normal(3, 4)], [], {"approximate": False}),
    ("glu", [normal(3, 4)], [], {}),
    ("tanh_shrink", [normal(3, 4)], [], {}),
    ("hard_tanh", [normal(3, 4) * 2], [], {}),
    ("hard_shrink", [normal(3, 4)], [], {}),
    ("soft_shrink", [normal(3, 4)], [], {"threshold": 0.3}),
    ("squareplus", [normal(3, 4)], [], {}),
    ("sparse_plus", [normal(3, 4) * 2], [], {}),
    ("sparse_sigmoid", [normal(3, 4) * 2], [], {}),
    ("threshold", [normal(3, 4)], [0.1, -1.0], {}),
    ("softmax", [normal(3, 4)], [], {"axis": -1}),
    ("softmax", [normal(3, 4)], [], {"axis": 0}),
    ("log_softmax", [normal(3, 4)], [], {"axis": -1}),
    ("sparsemax", [normal(3, 5)], [], {}),
    ("binary_crossentropy", [R.uniform(0, 1, (3, 4)), R.uniform(0.1, 0.9, (3, 4))], [], {}),
    ("binary_crossentropy", [R.uniform(0, 1, (3, 4)), normal(3, 4)], [], {"from_logits": True}),
    ("categorical_crossentropy", [np.eye(4)[[0, 2, 3]], R.uniform(0.1, 1, (3, 4))], [], {}),
    ("categorical_crossentropy", [np.eye(4)[[0, 2, 3]], normal(3, 4)], [], {"from_logits": True}),
    ("sparse_categorical_crossentropy", [normal(3, 4)], [], {"target": np.array([0, 3, 1]), "from_logits": True}),
    ("moments", [normal(3, 4)], [], {"axes": [0]}),
    ("batch_normalization", [normal(3, 4), normal(4), positive(4), normal(4), normal(4)], [],
     {"axis": -1, "epsilon": 1e-3}),
    ("layer_normalization", [normal(3, 4), positive(4), normal(4)], [], {}),
    ("rms_normalization", [normal(3, 4), positive(4)], [], {}),
    ("normalize", [normal(3, 4)], [], {}),
    ("normalize", [normal(3, 4)], [], {"order": 1}),
    ("psnr", [R.uniform(0, 1, (3, 4)), R.uniform(0, 1, (3, 4))], [1.0], {}),
    ("dot_product_attention", [normal(2, 3, 2, 4), normal(2, 5, 2, 4), normal(2, 5, 2, 4)], [], {}),
    ("conv", [normal(2, 5, 6, 3), normal(3, 3, 3, 4)], [], {}),
    ("conv", [normal(2, 7, 6, 2), normal(3, 2, 2, 3)], [], {"strides": 2, "padding": "same"}),
    ("conv", [normal(2, 7, 7, 4), normal(2, 2, 2, 4)], [], {"dilation_rate": 2, "padding": "same"}),  # 2 groups
    ("conv", [normal(2, 9, 3), normal(3, 3, 2)], [], {"strides": 2, "padding": "same"}),
    ("depthwise_conv", [normal(2, 5, 6, 3), normal(3, 3, 3, 2)], [], {"padding": "same"}),
    ("depthwise_conv", [normal(2, 8, 2), normal(3, 2, 1)], [], {"dilation_rate": 2}),
    ("separable_conv", [normal(2, 6, 5, 2), normal(3, 2, 2, 2), normal(1, 1, 4, 3)], [], {"strides": (2, 1)}),
    ("max_pool", [distinct(2, 6, 5, 3)], [2], {}),
    ("max_pool", [distinct(2, 7, 7, 2)], [3], {"strides": 2, "padding": "same"}),
    ("max_pool", [distinct(2, 9, 2)], [2], {"strides": 1}),
    ("average_pool", [normal(2, 6, 5, 3)], [(2, 3)], {}),
    ("average_pool", [normal(2, 9, 2)], [3], {"strides": 2}),
    ("average_pool", [normal(2, 6, 8, 2)], [2], {"padding": "same"}),  # no padding needed: Keras' backends agree
    ("dot_product_attention", [normal(2, 3, 2, 4), normal(2, 3, 2, 4), normal(2, 3, 2, 4)], [],
     {"is_causal": True}),
    ("top_k", [distinct(3, 5)], [2], {}),
    ("slogdet", [spd(3)], [], {}),
    ("split", [normal(4, 6)], [3], {"axis": 1}),
    ("cholesky_inverse", [np.linalg.cholesky(spd(3))], [], {}),
    ("corrcoef", [normal(3, 5)], [], {}),
    ("nanmax", [distinct(3, 4)], [], {"axis": 1}),
    ("nanmin", [distinct(3, 4)], [], {"axis": 0}),
    ("nanprod", [normal(3, 4)], [], {"axis": 1}),
    ("nanvar", [normal(3, 4)], [], {"axis": 1}),
    ("nanstd", [normal(3, 4)], [], {"axis": 1}),
    ("nancumsum", [normal(3, 4)], [], {"axis": 1}),
    ("nancumprod", [normal(3, 4)], [], {"axis": 1}),
    ("dstack", [normal(2, 3), normal(2, 3)], [], {}),
    ("fliplr", [normal(2, 3)], [], {}),
    ("flipud", [normal(2, 3)], [], {}),
    ("diagflat", [normal(2, 2)], [], {}),
    ("unstack", [normal(3, 2)], [], {}),
]

# Where the arrays go in the call: keyword names for ops whose differentiable inputs are not
# their first positional arguments.
KEYWORD_ARRAYS = {"average": ["x", "weights"], "batch_normalization": ["x", "mean", "variance", "offset", "scale"],
                  "layer_normalization": ["x", "gamma", "beta"], "rms_normalization": ["x", "scale"],
                  "where": ["x1", "x2"], "slice_update": ["inputs", "updates"], "scatter_update": ["inputs", "updates"],
                  "scatter": ["values"], "sparse_categorical_crossentropy": ["output"]}
SEQUENCE_INPUT = {"concatenate", "stack", "hstack", "vstack", "dstack"}


def _call(module_op, arrays, args, kwargs, name):
    if name in SEQUENCE_INPUT:
        return module_op(list(arrays), *args, **kwargs)
    if name in KEYWORD_ARRAYS:
        return module_op(*args, **dict(zip(KEYWORD_ARRAYS[name], arrays)), **kwargs)
    if name == "einsum":
        return module_op(kwargs["subscripts"], *arrays)
    return module_op(*arrays, *args, **kwargs)


def _differentiable(outputs):
    """The float outputs of an op's result (one array, or the float members of a tuple or list)."""
    items = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    return [item for item in items if _dtype_kind(item) == "f"]


def _dtype_kind(item) -> str:
    if isinstance(item, torch.Tensor):
        return "f" if item.dtype.is_floating_point else "i"
    return np.asarray(getattr(item, "value", item)).dtype.kind


def _ours(name, arrays, args, kwargs, cotangents=None):
    """Outputs and (with cotangents) input gradients of minikeras' op."""
    with tape.recording() as recording:
        leaves = [tape.watch(np.array(a)) for a in arrays]
        outputs = _differentiable(_call(getattr(ops, name), leaves, args, kwargs, name))
        values = [np.asarray(getattr(o, "value", o)) for o in outputs]
        if cotangents is None:
            return values, None
        seeds = [(o, c) for o, c in zip(outputs, cotangents) if isinstance(o, tape.Tensor)]
        grads = recording.gradients(seeds)
    return values, [grads.get(id(leaf), np.zeros_like(leaf.value)) for leaf in leaves]


def _sparsemax_layer(arrays, cotangents):
    """minikeras' Sparsemax layer (its own forward and backward): the oracle where Keras 3.15's
    PyTorch sparsemax is wrong (its rows do not sum to 1)."""
    layer = layers.Sparsemax()
    layer.build(arrays[0].shape[1:], np.random.default_rng(0), "float64")
    value = layer.forward(arrays[0])
    return [value.copy()], [layer.backward(cotangents[0]).copy()]


# Where Keras' op on PyTorch gives wrong results, another independent implementation is the oracle.
ORACLES = {"sparsemax": _sparsemax_layer}


def _torch(name, arrays, args, kwargs, cotangents):
    if name in ORACLES:
        return ORACLES[name](arrays, cotangents)
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    torch_kwargs = {k: torch.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
    if name == "einsum":
        torch_kwargs = {}
    torch_args = [torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args]
    outputs = _differentiable(_call(getattr(keras.ops, name), leaves, torch_args,
                                    torch_kwargs if name != "einsum" else kwargs, name))
    total = sum((o * torch.tensor(c)).sum() for o, c in zip(outputs, cotangents))
    grads = torch.autograd.grad(total, leaves, allow_unused=True)
    return ([o.detach().numpy() for o in outputs],
            [np.zeros_like(a) if g is None else g.numpy() for g, a in zip(grads, arrays)])


def _numeric(name, arrays, args, kwargs, cotangents, h=1e-6):
    def objective(current):
        values, _ = _ours(name, current, args, kwargs)
        return sum(float(np.sum(v * c)) for v, c in zip(values, cotangents))

    grads = []
    for k, array in enumerate(arrays):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            plus = [a.copy() for a in arrays]
            minus = [a.copy() for a in arrays]
            plus[k][index] += h
            minus[k][index] -= h
            grad[index] = (objective(plus) - objective(minus)) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize("name, arrays, args, kwargs", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_vjp_matches_pytorch_and_differences(name, arrays, args, kwargs):
    values, _ = _ours(name, arrays, args, kwargs)
    cotangents = [R.standard_normal(v.shape) for v in values]
    values, grads = _ours(name, arrays, args, kwargs, cotangents)
    torch_values, torch_grads = _torch(name, arrays, args, kwargs, cotangents)
    for ours, theirs in zip(values, torch_values):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6, err_msg=f"{name} forward")
    for ours, theirs in zip(grads, torch_grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6, err_msg=f"{name} VJP vs PyTorch")
    numeric_grads = _numeric(name, arrays, args, kwargs, cotangents)
    if name == "cholesky":  # numpy reads the lower triangle only; the VJP is the symmetric gradient (as PyTorch's)
        numeric_grads = [(g + g.T) / 2 for g in numeric_grads]
    for ours, numeric in zip(grads, numeric_grads):
        np.testing.assert_allclose(ours, numeric, rtol=1e-4, atol=1e-5, err_msg=f"{name} VJP vs differences")


def test_every_differentiable_op_has_a_case():
    """An op that records a VJP is in CASES (found by running each op once on a tracked input)."""
    covered = {case[0] for case in CASES}
    unchecked = [name for name in ops.__all__ if name not in covered and _records_a_vjp(name)]
    assert unchecked == []


def _records_a_vjp(name) -> bool:
    op = getattr(ops, name)
    if not callable(op) or isinstance(op, type):
        return False
    with tape.recording():
        leaf = tape.watch(positive(3, 3))
        try:
            out = op(leaf)
        except Exception:  # noqa: BLE001 - ops that need more arguments are covered by name below
            return name in _NEEDS_ARGUMENTS
    items = out if isinstance(out, (list, tuple)) else [out]
    return any(isinstance(item, tape.Tensor) and item is not leaf for item in items)


_NEEDS_ARGUMENTS = {"add", "subtract", "multiply", "divide", "true_divide", "power", "maximum", "minimum", "mod",
                    "fmod",
                    "logaddexp", "logaddexp2", "hypot", "arctan2", "clip", "where", "divide_no_nan", "reshape",
                    "expand_dims", "moveaxis", "swapaxes", "broadcast_to", "tile", "repeat", "pad", "take",
                    "take_along_axis", "cdist", "cross", "matmul", "dot", "tensordot", "einsum", "outer", "inner",
                    "vdot", "kron", "concatenate", "stack", "hstack", "vstack", "append", "get_item", "slice",
                    "slice_update", "scatter_update", "scatter", "segment_sum", "segment_max", "cast", "solve",
                    "threshold", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
                    "moments", "batch_normalization", "psnr", "dot_product_attention", "top_k", "split", "quantile",
                    "percentile", "average"}
