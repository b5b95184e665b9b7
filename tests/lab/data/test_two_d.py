"""The 2-D targets: the shapes they promise, drawn from their generator only."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab.data import two_d


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_ring_points_sit_near_their_modes_in_equal_shares():
    x = two_d.ring_of_gaussians(16000, _gen(), n_modes=8, radius=2.0, std=0.05)
    centres = two_d.ring_centres(8, 2.0)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    assert centres[0].tolist() == pytest.approx([2.0, 0.0])
    dist, nearest = torch.cdist(x, centres).min(1)
    # ‖x − μ‖/σ is Rayleigh: P(within 3σ) = 1 − e^{−9/2}.
    assert (dist < 0.15).float().mean().item() == pytest.approx(1 - math.exp(-4.5), abs=0.005)
    shares = torch.bincount(nearest, minlength=8) / len(x)
    assert shares.min() > 0.11 and shares.max() < 0.14
    assert x.std(0).tolist() == pytest.approx([math.sqrt(2 + 0.05**2)] * 2, rel=0.03)


def test_one_mode_ring_is_one_gaussian():
    x = two_d.ring_of_gaussians(4000, _gen(), n_modes=1, radius=2.0, std=0.1)
    assert x.mean(0).tolist() == pytest.approx([2.0, 0.0], abs=0.01)
    assert x.std(0).tolist() == pytest.approx([0.1, 0.1], rel=0.05)


def test_swiss_roll_lies_on_its_spiral():
    x = two_d.swiss_roll(4000, _gen(), noise=0.0)
    r = x.norm(dim=1) / two_d.SWISS_ROLL_SCALE  # = t
    theta = torch.atan2(x[:, 1], x[:, 0])
    assert r.min() >= 1.5 * math.pi - 1e-4 and r.max() <= 4.5 * math.pi + 1e-4
    # The angle is t itself (mod 2π).
    wrapped = torch.remainder(theta - r + math.pi, 2 * math.pi) - math.pi
    assert wrapped.abs().max() < 1e-3
    assert x.std(0).min() > 0.7 and x.std(0).max() < 1.5


def test_same_generator_same_points_and_targets_by_name():
    assert torch.equal(two_d.swiss_roll(10, _gen(3)), two_d.make_target("swiss-roll", 10, _gen(3)))
    assert torch.equal(
        two_d.standard_gaussian(5, _gen(1)), two_d.make_target("gaussian", 5, _gen(1))
    )
    with pytest.raises(ValueError, match="allowed: ring, swiss-roll, gaussian"):
        two_d.make_target("moons", 5, _gen())


def test_mixture_log_density_integrates_to_one():
    centres = two_d.ring_centres(8, 2.0)
    grid = torch.linspace(-3, 3, 601)
    xx, yy = torch.meshgrid(grid, grid, indexing="xy")
    pts = torch.stack([xx.flatten(), yy.flatten()], -1)
    dens = two_d.mixture_log_density(pts, centres, 0.2).exp()
    cell = (grid[1] - grid[0]).item() ** 2
    assert dens.sum().item() * cell == pytest.approx(1.0, abs=1e-3)
