"""Two-sample distances: closed forms on Gaussians, zero-mean noise under the null, and a
permutation test that rejects a shift and not its absence."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab.two_sample import (
    energy_distance,
    energy_distance_se,
    gaussian_mmd2,
    median_bandwidth,
    permutation_test,
)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def energy_distance_1d_gaussians(mean_gap: float, std: float) -> float:
    """2 E|X − Y| − E|X − X'| − E|Y − Y'| for N(0, std²) and N(mean_gap, std²):
    X − Y ~ N(−gap, 2 std²) and E|N(μ, s²)| = s √(2/π) e^{−μ²/2s²} + μ erf(μ / s√2)."""
    s = math.sqrt(2) * std

    def abs_mean(mu: float) -> float:
        return s * math.sqrt(2 / math.pi) * math.exp(-(mu**2) / (2 * s**2)) + mu * math.erf(
            mu / (s * math.sqrt(2))
        )

    return 2 * abs_mean(mean_gap) - 2 * abs_mean(0.0)


def mmd2_gaussians(mean_gap: float, std: float, h: float, d: int) -> float:
    """Gaussian-kernel MMD² between N(0, std² I) and N(gap·e₁, std² I) in d dimensions:
    E k(X, Y) = (h² / (h² + 2 std²))^{d/2} exp(−gap² / (2 (h² + 2 std²)))."""
    c = (h**2 / (h**2 + 2 * std**2)) ** (d / 2)
    return 2 * c - 2 * c * math.exp(-(mean_gap**2) / (2 * (h**2 + 2 * std**2)))


def test_energy_distance_matches_the_closed_form_for_shifted_gaussians():
    g = _gen(0)
    x = torch.randn(3000, 1, generator=g)
    y = 0.8 + torch.randn(3000, 1, generator=g)
    assert energy_distance(x, y) == pytest.approx(energy_distance_1d_gaussians(0.8, 1.0), abs=0.02)


def test_gaussian_mmd_matches_the_closed_form_in_the_plane():
    g = _gen(1)
    x = 0.5 * torch.randn(3000, 2, generator=g)
    y = torch.tensor([0.7, 0.0]) + 0.5 * torch.randn(3000, 2, generator=g)
    expected = mmd2_gaussians(0.7, 0.5, h=0.6, d=2)
    assert gaussian_mmd2(x, y, bandwidth=0.6) == pytest.approx(expected, abs=0.01)


def test_unbiased_under_the_null_and_symmetric():
    g = _gen(2)
    values = [
        energy_distance(torch.randn(200, 2, generator=g), torch.randn(200, 2, generator=g))
        for _ in range(60)
    ]
    mean, sd = sum(values) / 60, torch.tensor(values).std().item()
    assert abs(mean) < 3 * sd / math.sqrt(60)  # centred on zero: the U-statistic has no bias
    assert min(values) < 0  # and so dips below it
    x, y = torch.randn(50, 2, generator=g), torch.randn(70, 2, generator=g) + 1
    assert energy_distance(x, y) == pytest.approx(energy_distance(y, x))


def test_permutation_test_rejects_a_shift_and_not_its_absence():
    g = _gen(3)
    x, y = torch.randn(300, 2, generator=g), torch.randn(300, 2, generator=g)
    same = permutation_test(x, y, _gen(4), draws=200)
    assert same.p_value > 0.05 and same.statistic < same.null_quantile(0.95)
    shifted = permutation_test(x, y + 0.5, _gen(4), draws=200)
    assert shifted.p_value == pytest.approx(1 / 201)
    assert shifted.statistic > 10 * shifted.null_quantile(0.99)
    # The permutation statistic of the identity split is the direct estimate.
    assert shifted.statistic == pytest.approx(energy_distance(x, y + 0.5))
    h = median_bandwidth(x, y)
    mmd = permutation_test(x, y + 0.5, _gen(4), distance="mmd", bandwidth=h, draws=50)
    assert mmd.statistic == pytest.approx(gaussian_mmd2(x, y + 0.5, h)) and mmd.p_value < 0.05


def test_batch_means_standard_error_matches_the_spread_over_draws():
    g = _gen(5)
    draws = [
        (torch.randn(600, 2, generator=g), 0.3 + torch.randn(600, 2, generator=g))
        for _ in range(40)
    ]
    spread = torch.tensor([energy_distance(x, y) for x, y in draws]).std().item()
    se = sum(energy_distance_se(x, y) for x, y in draws[:10]) / 10
    assert 0.6 < se / spread < 1.6


def test_bad_input_is_refused():
    x = torch.randn(10, 2)
    with pytest.raises(ValueError, match="one dim"):
        energy_distance(x, torch.randn(10, 3))
    with pytest.raises(ValueError, match="bandwidth"):
        gaussian_mmd2(x, x, bandwidth=0.0)
    with pytest.raises(ValueError, match="2 points per part"):
        energy_distance_se(x, x, chunks=10)
    with pytest.raises(ValueError, match="allowed: energy, mmd"):
        permutation_test(x, x, _gen(0), distance="wasserstein")
