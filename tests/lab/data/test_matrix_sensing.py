"""Planted low-rank matrices, Gaussian measurement operators and completion masks."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab.data.matrix_sensing import (
    completion_mask,
    gaussian_operators,
    gaussian_sensing,
    planted_low_rank,
    random_orthonormal,
)

F64 = torch.float64


def test_planted_matrix_has_the_requested_spectrum():
    g = torch.Generator().manual_seed(0)
    m = planted_low_rank(7, 5, [3.0, 1.0, 0.5], g, batch=(4,))
    assert m.shape == (4, 7, 5)
    s = torch.linalg.svdvals(m)
    assert torch.allclose(s[:, :3], torch.tensor([3.0, 1.0, 0.5], dtype=F64).expand(4, 3))
    assert float(s[:, 3:].abs().max()) < 1e-12
    psd = planted_low_rank(6, 6, [2.0, 1.0], g, psd=True)
    assert torch.allclose(psd, psd.T) and float(torch.linalg.eigvalsh(psd).min()) > -1e-12


def test_planted_matrix_refuses_impossible_shapes():
    g = torch.Generator().manual_seed(0)
    with pytest.raises(ValueError, match="rank"):
        planted_low_rank(3, 2, [1.0, 1.0, 1.0], g)
    with pytest.raises(ValueError, match="square"):
        planted_low_rank(3, 4, [1.0], g, psd=True)


def test_random_orthonormal_columns():
    q = random_orthonormal(9, 4, torch.Generator().manual_seed(1), batch=(2,))
    assert torch.allclose(q.mT @ q, torch.eye(4, dtype=F64).expand(2, 4, 4), atol=1e-12)


def test_measure_and_adjoint_are_adjoint_and_match_the_definition():
    g = torch.Generator().manual_seed(2)
    target = planted_low_rank(6, 5, [1.0, 0.5], g, batch=(3,))
    problem = gaussian_sensing(target, 11, g)
    assert problem.m == 11 and problem.observations.shape == (3, 11)
    direct = torch.einsum("bmij,bij->bm", problem.operators, target)
    assert torch.allclose(problem.observations, direct)
    x = torch.randn(3, 6, 5, generator=g, dtype=F64)
    r = torch.randn(3, 11, generator=g, dtype=F64)
    lhs = (problem.measure(x) * r).sum(-1)
    rhs = (x * problem.adjoint(r)).sum((-2, -1))
    assert torch.allclose(lhs, rhs)


def test_symmetric_operators_are_symmetric_with_unit_off_diagonal_variance():
    a = gaussian_operators(4000, 3, 3, torch.Generator().manual_seed(3), symmetric=True)
    assert torch.allclose(a, a.mT)
    assert float(a[:, 0, 1].var()) == pytest.approx(1.0, abs=0.1)
    assert float(a[:, 0, 0].var()) == pytest.approx(2.0, abs=0.2)


def test_completion_mask_rate_and_symmetry():
    g = torch.Generator().manual_seed(4)
    mask = completion_mask(60, 60, 0.3, g, symmetric=True, batch=(5,))
    assert mask.dtype == torch.bool and torch.equal(mask, mask.mT)
    assert float(mask.double().mean()) == pytest.approx(0.3, abs=0.02)
    assert not completion_mask(4, 4, 0.0, g).any() and completion_mask(4, 4, 1.0, g).all()
    with pytest.raises(ValueError):
        completion_mask(4, 4, 1.5, g)
