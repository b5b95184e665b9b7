"""Low-rank matrix sensing and completion: a planted low-rank matrix, random linear measurements
of it, and random masks of observed entries.

A sensing problem observes ``y_i = ⟨A_i, M*⟩ = tr(A_iᵀ M*)`` for ``m`` measurement matrices
``A_i`` (``m < n1·n2``: underdetermined) and asks for ``M*`` back; completion is the special case
``A_i = e_j e_kᵀ`` of observing entries, kept here as a 0/1 mask because it is far cheaper than
``m`` dense matrices. Everything takes an explicit generator and optional leading ``batch``
dimensions, so that many independent instances (one per run of a population) are drawn and used
as one batched computation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch


def random_orthonormal(
    n: int, k: int, generator: torch.Generator, batch: Sequence[int] = (), dtype=torch.float64
) -> torch.Tensor:
    """``(*batch, n, k)`` with orthonormal columns, Haar-distributed (QR of a Gaussian matrix
    with the signs of R's diagonal made positive)."""
    g = torch.randn(*batch, n, k, generator=generator, dtype=dtype)
    q, r = torch.linalg.qr(g)
    return q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)


def planted_low_rank(
    n1: int,
    n2: int,
    singular_values: Sequence[float],
    generator: torch.Generator,
    *,
    psd: bool = False,
    batch: Sequence[int] = (),
    dtype=torch.float64,
) -> torch.Tensor:
    """``M* = U diag(s) Vᵀ`` (``(*batch, n1, n2)``) with the given singular values and
    Haar-random singular vectors; ``psd=True`` (needs ``n1 == n2``) gives ``U diag(s) Uᵀ``."""
    s = torch.as_tensor(list(singular_values), dtype=dtype)
    r = len(s)
    if r > min(n1, n2):
        raise ValueError(f"rank {r} exceeds min(n1, n2) = {min(n1, n2)}")
    if psd and n1 != n2:
        raise ValueError(f"a PSD matrix is square; got {n1}×{n2}")
    u = random_orthonormal(n1, r, generator, batch, dtype)
    v = u if psd else random_orthonormal(n2, r, generator, batch, dtype)
    return (u * s) @ v.transpose(-2, -1)


def gaussian_operators(
    m: int,
    n1: int,
    n2: int,
    generator: torch.Generator,
    *,
    symmetric: bool = False,
    batch: Sequence[int] = (),
    dtype=torch.float64,
) -> torch.Tensor:
    """``m`` measurement matrices ``(*batch, m, n1, n2)`` with i.i.d. N(0, 1) entries, or, with
    ``symmetric``, ``(G + Gᵀ)/√2`` (off-diagonal entries N(0, 1), diagonal N(0, 2): the
    Gaussian orthogonal ensemble, as for PSD sensing)."""
    g = torch.randn(*batch, m, n1, n2, generator=generator, dtype=dtype)
    if symmetric:
        if n1 != n2:
            raise ValueError(f"symmetric measurements are square; got {n1}×{n2}")
        g = (g + g.transpose(-2, -1)) / 2**0.5
    return g


@dataclass
class SensingProblem:
    """Measurements ``y = 𝒜(M*)`` of a planted ``target`` (``(*batch, n1, n2)``) through
    ``operators`` (``(*batch, m, n1, n2)``); ``measure`` is 𝒜 and ``adjoint`` is
    ``𝒜ᵀ(r) = Σᵢ rᵢ Aᵢ``."""

    operators: torch.Tensor
    target: torch.Tensor
    observations: torch.Tensor = field(init=False)

    def __post_init__(self) -> None:
        # Both products are written as a row vector times a contiguous matrix: on a CPU,
        # torch's batched matrix–vector product (bmm with one column) is several times slower.
        self._rows = self.operators.flatten(-2).contiguous()  # (*batch, m, n1·n2)
        self._columns = self._rows.transpose(-2, -1).contiguous()  # (*batch, n1·n2, m)
        self.observations = self.measure(self.target)

    @property
    def m(self) -> int:
        return self.operators.shape[-3]

    def measure(self, x: torch.Tensor) -> torch.Tensor:
        """``⟨A_i, x⟩`` for every measurement: ``(*batch, n1, n2) → (*batch, m)``."""
        return (x.flatten(-2).unsqueeze(-2) @ self._columns).squeeze(-2)

    def adjoint(self, r: torch.Tensor) -> torch.Tensor:
        """``Σᵢ rᵢ Aᵢ``: ``(*batch, m) → (*batch, n1, n2)``."""
        return (r.unsqueeze(-2) @ self._rows).squeeze(-2).reshape(self.target.shape)


def gaussian_sensing(
    target: torch.Tensor, m: int, generator: torch.Generator, *, symmetric: bool = False
) -> SensingProblem:
    """Observe ``target`` (``(*batch, n1, n2)``) through ``m`` Gaussian measurements each."""
    *batch, n1, n2 = target.shape
    ops = gaussian_operators(
        m, n1, n2, generator, symmetric=symmetric, batch=batch, dtype=target.dtype
    )
    return SensingProblem(ops, target)


def completion_mask(
    n1: int,
    n2: int,
    p: float,
    generator: torch.Generator,
    *,
    symmetric: bool = False,
    batch: Sequence[int] = (),
) -> torch.Tensor:
    """A boolean ``(*batch, n1, n2)`` mask of observed entries, each observed independently with
    probability ``p``; ``symmetric`` draws the upper triangle (diagonal included) and mirrors
    it, so that entry (j, k) is observed exactly when (k, j) is (completion of a symmetric
    matrix, Ge, Lee & Ma 2016)."""
    if not 0 <= p <= 1:
        raise ValueError(f"p must lie in [0, 1]; got {p}")
    draw = torch.rand(*batch, n1, n2, generator=generator) < p
    if symmetric:
        if n1 != n2:
            raise ValueError(f"a symmetric mask is square; got {n1}×{n2}")
        upper = torch.triu(draw)
        draw = upper | upper.transpose(-2, -1)
    return draw
