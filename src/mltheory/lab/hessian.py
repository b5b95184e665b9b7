"""Hessian spectra without forming the Hessian: Hessian–vector products through ``torch.func``
and Lanczos (``scipy.sparse.linalg.eigsh``) on them.

``hvp(v) = ∇²f(x) v`` is the vector–Jacobian product of the gradient (the Hessian is
symmetric): ``torch.func.vjp(torch.func.grad(f), x)`` records the gradient's computation at x
once, and each product is then one backward pass through it, never building the d×d matrix.
(Forward-over-reverse, ``jvp(grad(f), (x,), (v,))``, computes the same product but re-traces
the gradient on every call: measured 15× slower on these small problems.) The extreme
eigenvalues of a Hessian in thousands of dimensions cost a few hundred such products.
Used to tell a minimum (smallest eigenvalue ≥ 0) from a saddle (< 0) at the end of training.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, eigsh

DENSE_FALLBACK_MAX = 4000  # the largest dimension whose Hessian is ever formed (as a fallback)
# ARPACK restarts before giving up: converged cases here need a handful; a cluster of flat
# directions that has not converged after this many will not soon.
LANCZOS_RESTARTS = 100


def hvp_function(
    f: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor
) -> Callable[[torch.Tensor], torch.Tensor]:
    """``v ↦ ∇²f(x) v`` for a scalar ``f`` of a flat tensor ``x`` (reverse-over-reverse, the
    gradient's graph recorded once at ``x``)."""
    _, vjp_of_grad = torch.func.vjp(torch.func.grad(f), x)

    def hvp(v: torch.Tensor) -> torch.Tensor:
        return vjp_of_grad(v)[0]

    return hvp


def hessian_operator(
    f: Callable[[torch.Tensor], torch.Tensor],
    x: torch.Tensor,
    *,
    deflate: torch.Tensor | None = None,
    shift: float = 0.0,
) -> LinearOperator:
    """The Hessian of ``f`` at ``x`` as a SciPy ``LinearOperator`` on float64 vectors.

    ``deflate`` (``d × k``, orthonormal columns) restricts it to the orthogonal complement of
    those directions: the operator becomes ``P⊥ H P⊥ + shift·Q Qᵀ``, whose spectrum is H's on
    the complement plus ``shift`` (k times) on the deflated directions. With ``shift`` above
    H's largest eigenvalue, the smallest eigenvalue of the operator is the smallest of H
    restricted to the complement (e.g. after removing a symmetry's flat directions)."""
    hvp = hvp_function(f, x)
    d = x.numel()

    def matvec(v: np.ndarray) -> np.ndarray:
        t = torch.as_tensor(np.asarray(v, dtype=np.float64).reshape(-1), dtype=x.dtype)
        if deflate is None:
            return hvp(t).detach().numpy()
        along = deflate.T @ t
        perp = t - deflate @ along
        hp = hvp(perp)
        out = hp - deflate @ (deflate.T @ hp) + shift * (deflate @ along)
        return out.detach().numpy()

    return LinearOperator((d, d), matvec=matvec, dtype=np.float64)


def extreme_eigenvalues(
    op: LinearOperator,
    k: int = 1,
    *,
    which: str = "SA",
    v0: np.ndarray | None = None,
    tol: float = 1e-10,
) -> np.ndarray:
    """The ``k`` smallest (``which="SA"``) or largest (``"LA"``) eigenvalues of a symmetric
    operator by Lanczos, sorted increasing. Pass ``v0`` (a fixed start vector) for results that
    do not depend on SciPy's own random start.

    Lanczos converges slowly on a large cluster of equal extreme eigenvalues (e.g. a Hessian
    with many flat directions). If ARPACK does not converge, and the dimension is at most
    ``DENSE_FALLBACK_MAX``, the operator is applied to the d unit vectors and the dense matrix's
    eigenvalues are returned instead (d operator products: affordable at such sizes)."""
    d = op.shape[0]
    if not 0 < k < d:
        raise ValueError(f"Lanczos needs 0 < k < dimension ({d}); got k = {k}")
    try:
        values = eigsh(
            op,
            k=k,
            which=which,
            v0=v0,
            tol=tol,
            ncv=min(d, max(2 * k + 1, 20)),
            maxiter=LANCZOS_RESTARTS,
            return_eigenvectors=False,
        )
    except ArpackNoConvergence:
        if d > DENSE_FALLBACK_MAX:
            raise
        dense = np.stack([op.matvec(e) for e in np.eye(d)], axis=1)
        spectrum = np.linalg.eigvalsh((dense + dense.T) / 2)
        values = spectrum[:k] if which == "SA" else spectrum[-k:]
    return np.sort(values)


def orthonormal_span(vectors: torch.Tensor, rtol: float = 1e-8) -> torch.Tensor:
    """An orthonormal basis (``d × k``) of the span of the columns of ``vectors`` (``d × m``),
    dropping directions whose singular value is below ``rtol`` times the largest (a zero or
    degenerate set spans less)."""
    if vectors.numel() == 0:
        return vectors
    u, s, _ = torch.linalg.svd(vectors, full_matrices=False)
    if float(s.max()) == 0.0:
        return vectors[:, :0]
    return u[:, s > rtol * s.max()]
