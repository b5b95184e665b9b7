"""The minimum nuclear norm solver against closed forms, and the spectral measures of rank."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab.data.matrix_sensing import gaussian_sensing, planted_low_rank
from mltheory.lab.low_rank import (
    effective_rank,
    min_nuclear_norm,
    nuclear_norm,
    singular_value_threshold,
)

F64 = torch.float64


def test_one_measurement_has_the_dual_norm_as_its_minimum():
    # min ‖X‖_* s.t. ⟨A, X⟩ = y is |y| / ‖A‖_op: the operator norm is the nuclear norm's dual,
    # attained by X = y·u vᵀ/σ₁ with (u, v) A's top singular pair.
    g = torch.Generator().manual_seed(0)
    a = torch.randn(1, 5, 4, generator=g, dtype=F64)
    y = torch.tensor([2.0], dtype=F64)
    sol = min_nuclear_norm(a, y, tol=1e-9)
    exact = 2.0 / torch.linalg.matrix_norm(a[0], ord=2)
    assert float(sol.value) == pytest.approx(float(exact), rel=1e-7)
    assert float(sol.lower_bound) <= float(exact) * (1 + 1e-12)
    assert torch.linalg.matrix_rank(sol.solution, rtol=1e-6) == 1


def test_observing_the_diagonal_has_the_l1_norm_as_its_minimum():
    # ‖X‖_* ≥ Σ|X_ii| (trace against a diagonal sign matrix of operator norm 1), attained by
    # the diagonal matrix itself.
    n = 6
    a = torch.zeros(n, n, n, dtype=F64)
    for i in range(n):
        a[i, i, i] = 1.0
    y = torch.randn(n, generator=torch.Generator().manual_seed(1), dtype=F64)
    sol = min_nuclear_norm(a, y, tol=1e-9)
    assert float(sol.value) == pytest.approx(float(y.abs().sum()), rel=1e-7)
    assert torch.allclose(sol.solution, torch.diag(y), atol=1e-6)


def test_enough_gaussian_measurements_recover_a_low_rank_matrix_exactly():
    # Recht, Fazel & Parrilo: with m well above r(2n − r), the minimiser is M* itself.
    g = torch.Generator().manual_seed(2)
    target = planted_low_rank(12, 10, [1.0, 0.6], g)
    problem = gaussian_sensing(target, 100, g)  # r(n1 + n2 − r) = 40 degrees of freedom
    sol = min_nuclear_norm(problem.operators, problem.observations, tol=1e-8)
    assert float(sol.relative_gap) < 1e-8
    assert torch.allclose(sol.solution, target, atol=1e-6)


def test_certificate_brackets_the_minimum_and_batches_agree():
    g = torch.Generator().manual_seed(3)
    target = planted_low_rank(8, 8, [1.0, 0.5], g, batch=(3,))
    problem = gaussian_sensing(target, 30, g)  # too few to recover: a non-trivial minimum
    batched = min_nuclear_norm(problem.operators, problem.observations, tol=1e-7)
    assert batched.value.shape == (3,)
    assert bool((batched.lower_bound <= batched.value).all())
    assert float(batched.relative_gap.max()) < 1e-7
    # The solution interpolates exactly (it is a projection onto the affine set).
    assert torch.allclose(problem.measure(batched.solution), problem.observations, atol=1e-10)
    # Its nuclear norm is below M*'s (M* interpolates too), and each instance alone agrees.
    assert bool((batched.value <= nuclear_norm(target) * (1 + 1e-9)).all())
    for i in range(3):
        one = min_nuclear_norm(problem.operators[i], problem.observations[i], tol=1e-7)
        assert float(one.value) == pytest.approx(float(batched.value[i]), rel=1e-6)


def test_too_few_iterations_leave_a_visible_gap():
    g = torch.Generator().manual_seed(4)
    problem = gaussian_sensing(planted_low_rank(8, 8, [1.0, 0.5], g), 30, g)
    sol = min_nuclear_norm(problem.operators, problem.observations, max_iter=3)
    assert sol.iterations == 3
    assert float(sol.relative_gap) > 1e-3  # the certificate says it is not done


def test_effective_rank_counts_equal_directions():
    eye = torch.diag(torch.tensor([2.0, 2.0, 2.0, 0.0, 0.0], dtype=F64))
    assert float(effective_rank(eye)) == pytest.approx(3.0)
    assert float(effective_rank(torch.ones(4, 4, dtype=F64))) == pytest.approx(1.0)
    spread = torch.diag(torch.tensor([1.0, 0.5], dtype=F64))
    assert 1.0 < float(effective_rank(spread)) < 2.0


def test_singular_value_threshold_shrinks_and_clips():
    u, _ = torch.linalg.qr(torch.randn(5, 5, generator=torch.Generator().manual_seed(5)).double())
    x = u @ torch.diag(torch.tensor([3.0, 1.0, 0.2, 0.0, 0.0], dtype=F64)) @ u.T
    out = singular_value_threshold(x, 0.5)
    assert torch.allclose(
        torch.linalg.svdvals(out), torch.tensor([2.5, 0.5, 0, 0, 0], dtype=F64), atol=1e-12
    )
