r"""Products and linear algebra (Keras' numpy group's products and ``keras.ops.linalg``).

VJPs: for $Y = A B$, $\bar{A} = \bar{Y} B^\top$ and $\bar{B} = A^\top \bar{Y}$ (summed over
broadcast batch axes); an einsum's operand gets the einsum of the output gradient with the other
operands; $\overline{A^{-1}}$ gives $\bar{A} = -A^{-\top} \bar{Y} A^{-\top}$; a determinant
$\bar{A} = \bar{y} \det(A) A^{-\top}$; $X = A^{-1} B$ gives $\bar{B} = A^{-\top}\bar{X}$ and
$\bar{A} = -\bar{B} X^\top$. Decompositions (eig, svd, qr, ...) compute values only: a tracked
input is refused rather than given a wrong gradient.
"""
from __future__ import annotations

import numpy as np

from .dispatch import is_tracked, record, tracked, unbroadcast, value
from .math_ops import multiply
from .shapes import reshape, swapaxes, tril, triu

__all__ = ["matmul", "einsum", "tensordot", "dot", "inner", "outer", "vdot", "cross", "kron", "inv", "det", "slogdet",
           "logdet", "solve", "cholesky", "cholesky_inverse", "solve_triangular", "pinv", "eig", "eigh", "qr",
           "svd", "lstsq", "matrix_rank"]


def _t(a):
    return np.swapaxes(a, -1, -2)


def matmul(x1, x2):
    """Matrix product with numpy's rules (1-D operands are vectors; leading axes broadcast)."""
    x1, x2 = tracked(x1), tracked(x2)
    a, b = value(x1), value(x2)
    y = np.matmul(a, b)
    a2 = a[None, :] if np.ndim(a) == 1 else a
    b2 = b[:, None] if np.ndim(b) == 1 else b

    def full_grad(g):
        g = np.asarray(g)
        if np.ndim(a) == 1:
            g = np.expand_dims(g, -2)
        if np.ndim(b) == 1:
            g = np.expand_dims(g, -1)
        return g

    def grad_a(g):
        grad = np.matmul(full_grad(g), _t(b2))
        return unbroadcast(grad if np.ndim(a) > 1 else grad[..., 0, :], np.shape(a))

    def grad_b(g):
        grad = np.matmul(_t(a2), full_grad(g))
        return unbroadcast(grad if np.ndim(b) > 1 else grad[..., 0], np.shape(b))

    return record(y, (x1, x2), (grad_a, grad_b))


def einsum(subscripts, *operands, **kwargs):
    """numpy's einsum (explicit ``"ij,jk->ik"`` or implicit subscripts; no ellipsis with a tracked
    operand)."""
    items = [tracked(item) for item in operands]
    arrays = [value(item) for item in items]
    y = np.einsum(subscripts, *arrays, **kwargs)
    if "->" in subscripts:
        inputs, output = subscripts.replace(" ", "").split("->")
    else:
        inputs = subscripts.replace(" ", "")
        letters = inputs.replace(",", "")
        output = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    parts = inputs.split(",")

    def operand_grad(k):
        def vjp(g):
            if "." in subscripts:
                raise ValueError("einsum with '...' is not differentiable here; write the axes out.")
            others = [(parts[j], arrays[j]) for j in range(len(parts)) if j != k]
            present = set(output).union(*(set(p) for p, _ in others))
            target = parts[k]
            reachable = "".join(dict.fromkeys(c for c in target if c in present))
            grad = np.einsum(",".join([output, *(p for p, _ in others)]) + "->" + reachable, g,
                             *(arr for _, arr in others))
            return _to_subscripts(grad, reachable, target, np.shape(arrays[k]))
        return vjp

    return record(y, tuple(items), tuple(operand_grad(k) for k in range(len(items))))


def _to_subscripts(grad, have: str, want: str, shape):
    """`grad` over the letters `have` laid out as the operand's `want`: letters summed only inside
    the operand are broadcast, and a repeated letter (a diagonal) is written on the diagonal."""
    unique = "".join(dict.fromkeys(want))
    moved = np.einsum(f"{have}->{''.join(c for c in unique if c in have)}", grad)
    for axis, letter in enumerate(unique):
        if letter not in have:
            moved = np.expand_dims(moved, axis)
    if unique == want:
        return np.broadcast_to(moved, shape)
    full = np.zeros(shape, dtype=np.result_type(grad, np.float32))
    diagonal = np.einsum(f"{want}->{unique}", full)  # a writable view of the diagonal
    diagonal[...] = moved
    return full


def tensordot(x1, x2, axes=2):
    """Sum of products over `axes` (an int: the last ones of `x1` and first of `x2`; or two lists)."""
    a_ndim, b_ndim = np.ndim(value(tracked(x1))), np.ndim(value(tracked(x2)))
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = list(range(a_ndim - axes, a_ndim)), list(range(axes))
    else:
        a_axes, b_axes = ([axes[0]] if isinstance(axes[0], int) else list(axes[0]),
                          [axes[1]] if isinstance(axes[1], int) else list(axes[1]))
    a_axes, b_axes = [a % a_ndim for a in a_axes], [b % b_ndim for b in b_axes]
    letters = iter("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    a_sub = [next(letters) for _ in range(a_ndim)]
    b_sub = [next(letters) for _ in range(b_ndim)]
    for i, j in zip(a_axes, b_axes):
        b_sub[j] = a_sub[i]
    out = [c for i, c in enumerate(a_sub) if i not in a_axes] + [c for j, c in enumerate(b_sub) if j not in b_axes]
    return einsum(f"{''.join(a_sub)},{''.join(b_sub)}->{''.join(out)}", x1, x2)


def dot(x1, x2):
    """numpy's dot: a product of scalars, the inner product of vectors, a matrix product, or a sum
    over the last axis of `x1` and the second to last of `x2`."""
    a_ndim, b_ndim = np.ndim(value(tracked(x1))), np.ndim(value(tracked(x2)))
    if a_ndim == 0 or b_ndim == 0:
        return multiply(x1, x2)
    return tensordot(x1, x2, axes=([a_ndim - 1], [max(b_ndim - 2, 0)]))


def inner(x1, x2):
    a_ndim, b_ndim = np.ndim(value(tracked(x1))), np.ndim(value(tracked(x2)))
    if a_ndim == 0 or b_ndim == 0:
        return dot(x1, x2)
    return tensordot(x1, x2, axes=([a_ndim - 1], [b_ndim - 1]))


def outer(x1, x2):
    return einsum("i,j->ij", reshape(x1, (-1,)), reshape(x2, (-1,)))


def vdot(x1, x2):
    return einsum("i,i->", reshape(x1, (-1,)), reshape(x2, (-1,)))


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    r"""Cross product of 3-vectors; $\bar{a} = b \times \bar{y}$, $\bar{b} = \bar{y} \times a$."""
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = tracked(x1), tracked(x2)
    a, b = np.moveaxis(value(x1), axisa, -1), np.moveaxis(value(x2), axisb, -1)
    y = np.moveaxis(np.cross(a, b), -1, axisc)

    def grad_a(g):
        return np.moveaxis(unbroadcast(np.cross(b, np.moveaxis(g, axisc, -1)), a.shape), -1, axisa)

    def grad_b(g):
        return np.moveaxis(unbroadcast(np.cross(np.moveaxis(g, axisc, -1), a), b.shape), -1, axisb)

    return record(y, (x1, x2), (grad_a, grad_b))


def kron(x1, x2):
    """Kronecker product (differentiable for matrices)."""
    a, b = value(tracked(x1)), value(tracked(x2))
    if np.ndim(a) == 2 and np.ndim(b) == 2:
        (m, n), (p, q) = np.shape(a), np.shape(b)
        return reshape(einsum("ij,kl->ikjl", x1, x2), (m * p, n * q))
    return _values_only("kron", np.kron, x1, x2)


def _values_only(name, compute, *inputs, **kwargs):
    """An op computed without a gradient: refused on tracked inputs."""
    items = [tracked(item) for item in inputs]
    if any(is_tracked(item) for item in items):
        raise ValueError(f"ops.{name} has no gradient here; call it outside the differentiated path "
                         f"(for example on ops.stop_gradient(x)).")
    return compute(*(value(item) for item in items), **kwargs)


# -- keras.ops.linalg ------------------------------------------------------------------------------
def inv(x):
    """Matrix inverse (of the last two axes)."""
    x = tracked(x)
    y = np.linalg.inv(value(x))
    return record(y, (x,), (lambda g: -np.matmul(_t(y), np.matmul(g, _t(y))),))


def det(x):
    """Determinant of the last two axes."""
    x = tracked(x)
    v = value(x)
    y = np.linalg.det(v)
    return record(y, (x,), (lambda g: (np.asarray(g) * y)[..., None, None] * _t(np.linalg.inv(v)),))


def slogdet(x):
    """``(sign, log |det|)``; the gradient flows through the log."""
    x = tracked(x)
    v = value(x)
    sign, logabs = np.linalg.slogdet(v)
    return sign, record(logabs, (x,), (lambda g: np.asarray(g)[..., None, None] * _t(np.linalg.inv(v)),))


def logdet(x):
    """$\\log \\det x$ of positive-definite matrices."""
    return slogdet(x)[1]


def solve(a, b):
    """$X = A^{-1} B$."""
    a, b = tracked(a), tracked(b)
    av, bv = value(a), value(b)
    y = np.linalg.solve(av, bv)

    def grad_b(g):
        return unbroadcast(np.linalg.solve(_t(av), g), np.shape(bv))

    def grad_a(g):
        gb = np.linalg.solve(_t(av), g)
        gb2, y2 = (gb[..., None], y[..., None]) if np.ndim(bv) == 1 else (gb, y)
        return unbroadcast(-np.matmul(gb2, _t(y2)), np.shape(av))

    return record(y, (a, b), (grad_a, grad_b))


def cholesky(x, upper=False):
    r"""Lower (or `upper`) Cholesky factor; VJP $\bar{A} = \tfrac12 L^{-\top} \Phi(L^\top \bar{L}) L^{-1}$
    symmetrized, with $\Phi$ the lower triangle with half its diagonal."""
    x = tracked(x)
    lower = np.linalg.cholesky(value(x))

    def vjp(g):
        g = _t(g) if upper else g
        phi = np.tril(np.matmul(_t(lower), g))
        phi = phi - 0.5 * np.eye(phi.shape[-1]) * phi
        inverse = np.linalg.inv(lower)
        grad = np.matmul(_t(inverse), np.matmul(phi, inverse))
        return 0.5 * (grad + _t(grad))

    return record(_t(lower) if upper else lower, (x,), (vjp,))


def cholesky_inverse(x, upper=False):
    """The inverse of $A = L L^\\top$ from its factor `x`."""
    factor = tracked(x)
    product = matmul(_transpose(factor), factor) if upper else matmul(factor, _transpose(factor))
    return inv(product)


def _transpose(x):
    return swapaxes(x, -1, -2)


def solve_triangular(a, b, lower=False):
    """`solve` for a triangular `a` (its other triangle is ignored)."""
    return solve(tril(a) if lower else triu(a), b)


def pinv(x, rcond=None):
    return _values_only("pinv", lambda v: np.linalg.pinv(v, rcond=1e-15 if rcond is None else rcond), x)


def eig(x):
    return _values_only("eig", np.linalg.eig, x)


def eigh(x):
    return _values_only("eigh", np.linalg.eigh, x)


def qr(x, mode="reduced"):
    return _values_only("qr", lambda v: np.linalg.qr(v, mode=mode), x)


def svd(x, full_matrices=True, compute_uv=True):
    return _values_only("svd", lambda v: np.linalg.svd(v, full_matrices=full_matrices, compute_uv=compute_uv), x)


def lstsq(a, b, rcond=None):
    return _values_only("lstsq", lambda av, bv: np.linalg.lstsq(av, bv, rcond=rcond)[0], a, b)


def matrix_rank(x, tol=None):
    return _values_only("matrix_rank", lambda v: np.linalg.matrix_rank(v, tol), x)
