"""Keras 3's ``keras.ops`` on numpy, differentiable by a tape (`minikeras.tape`).

``from minikeras import ops`` gives the names of ``keras.ops`` with Keras' signatures and
semantics. Outside training they take and return numpy arrays. While a layer's ``call`` runs
in training, the ops and operators on its inputs and weights record a tape, and gradients come
from each op's vector-Jacobian product: a custom layer needs no backward pass. The names Keras
has and minikeras does not are listed, with the reason, in "Coming from Keras".

Examples
--------
>>> from minikeras import ops
>>> ops.softmax(ops.convert_to_tensor([[1.0, 2.0, 3.0]]), axis=-1).round(3)
array([[0.09 , 0.245, 0.665]], dtype=float32)
"""
# ruff: noqa: E402
from .. import tape
from ..tape import Tensor
from . import comparisons, core, linalg_ops, math_ops, nn, numpy_misc, reductions, shapes, symbolic

# Every op records a layer call when given a symbolic tensor (a functional model being built); the
# namespaces imported below are built from the groups after that, hence the imports after code.
for _group in (comparisons, core, linalg_ops, math_ops, nn, numpy_misc, reductions, shapes):
    symbolic.make_aware(_group)

from . import linalg_ops as linalg
from . import numpy
from .comparisons import *  # noqa: F403 - the op namespace is the union of the groups
from .comparisons import __all__ as _comparisons
from .core import *  # noqa: F403
from .core import __all__ as _core
from .linalg_ops import *  # noqa: F403
from .linalg_ops import __all__ as _linalg
from .math_ops import *  # noqa: F403
from .math_ops import __all__ as _math
from .nn import *  # noqa: F403
from .nn import __all__ as _nn
from .numpy_misc import *  # noqa: F403
from .numpy_misc import __all__ as _misc
from .reductions import *  # noqa: F403
from .reductions import __all__ as _reductions
from .shapes import *  # noqa: F403
from .shapes import __all__ as _shapes

__all__ = ["Tensor", "linalg", "nn", "numpy", *_comparisons, *_core, *_linalg, *_math, *_nn, *_misc, *_reductions,
           *_shapes]

tape.OPERATORS.update({name: globals()[name] for name in (
    "add", "subtract", "multiply", "divide", "floor_divide", "mod", "power", "matmul", "negative", "absolute",
    "logical_and", "logical_or", "logical_xor", "logical_not", "less", "less_equal", "greater", "greater_equal",
    "equal", "not_equal", "get_item", "transpose")})
# numpy ufuncs on tensors (``np.exp(t)``) run the op of the same name.
tape.OPERATORS.update({name: globals()[name] for name in (
    "exp", "log", "sqrt", "square", "sin", "cos", "tan", "tanh", "sinh", "cosh", "log1p", "expm1", "abs", "maximum",
    "minimum", "true_divide", "sign", "floor", "ceil", "arcsin", "arccos", "arctan", "arctan2", "log2", "log10",
    "exp2", "reciprocal", "cbrt", "isnan", "isinf", "isfinite", "logaddexp", "hypot")})
