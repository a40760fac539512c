"""``keras.ops.numpy``: the numpy-like ops (also at ``minikeras.ops`` itself)."""
from .comparisons import *  # noqa: F403
from .comparisons import __all__ as _comparisons
from .linalg_ops import cross, dot, einsum, inner, kron, matmul, outer, tensordot, vdot
from .math_ops import *  # noqa: F403 - the group is the union of these modules
from .math_ops import __all__ as _math
from .numpy_misc import *  # noqa: F403
from .numpy_misc import __all__ as _misc
from .reductions import *  # noqa: F403
from .reductions import __all__ as _reductions
from .shapes import *  # noqa: F403
from .shapes import __all__ as _shapes

__all__ = ["cross", "dot", "einsum", "inner", "kron", "matmul", "outer", "tensordot", "vdot", *_comparisons, *_math,
           *_misc, *_reductions, *_shapes]
