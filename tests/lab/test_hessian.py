"""Hessian spectra by Lanczos on Hessian–vector products, against dense Hessians."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mltheory.lab.hessian import (
    extreme_eigenvalues,
    hessian_operator,
    hvp_function,
    orthonormal_span,
)

F64 = torch.float64


def quartic(a: torch.Tensor):
    """A non-convex scalar function with an indefinite Hessian: ½xᵀAx + ¼Σx⁴ − Σx₀x₁."""

    def f(x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x @ a @ x + 0.25 * (x**4).sum() - x[0] * x[1]

    return f


@pytest.fixture
def problem():
    g = torch.Generator().manual_seed(0)
    b = torch.randn(12, 12, generator=g, dtype=F64)
    f = quartic((b + b.T) / 2)
    x = torch.randn(12, generator=g, dtype=F64)
    return f, x, torch.func.hessian(f)(x)


def test_hvp_is_the_hessian_times_the_vector(problem):
    f, x, dense = problem
    v = torch.randn(12, generator=torch.Generator().manual_seed(1), dtype=F64)
    hvp = hvp_function(f, x)
    assert torch.allclose(hvp(v), dense @ v, atol=1e-12)
    assert torch.allclose(hvp(2 * v), 2 * (dense @ v), atol=1e-12)  # reusable, linear


def test_lanczos_finds_the_extreme_eigenvalues(problem):
    f, x, dense = problem
    exact = np.linalg.eigvalsh(dense.numpy())
    op = hessian_operator(f, x)
    v0 = np.ones(12)
    assert exact[0] < 0 < exact[-1]  # indefinite: a saddle-like point
    assert np.allclose(extreme_eigenvalues(op, 3, v0=v0), exact[:3], atol=1e-9)
    assert np.allclose(extreme_eigenvalues(op, 1, which="LA", v0=v0), exact[-1:], atol=1e-9)


def test_deflation_removes_the_given_directions(problem):
    f, x, dense = problem
    values, vectors = np.linalg.eigh(dense.numpy())
    basis = torch.from_numpy(vectors[:, :2])  # the two lowest eigenvectors
    op = hessian_operator(f, x, deflate=basis, shift=10 * abs(values).max())
    got = extreme_eigenvalues(op, 1, v0=np.ones(12))
    assert got[0] == pytest.approx(values[2], abs=1e-9)


def test_lanczos_refuses_k_as_large_as_the_dimension(problem):
    f, x, _ = problem
    with pytest.raises(ValueError, match="dimension"):
        extreme_eigenvalues(hessian_operator(f, x), 12)


def test_orthonormal_span_drops_degenerate_directions():
    a = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 0.0]], dtype=F64)
    q = orthonormal_span(a)
    assert q.shape == (3, 1)
    assert torch.allclose(q.T @ q, torch.eye(1, dtype=F64))
    assert orthonormal_span(torch.zeros(4, 2, dtype=F64)).shape == (4, 0)
