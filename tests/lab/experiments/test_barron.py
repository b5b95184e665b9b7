"""barron: smoke run, the Barron norm and the sampler on known cases, and claims that fail."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.theory import barron

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "below-bound": "test_untrained_wide_nets_are_above_the_bound",
    "rate": "test_widths_too_small_fail_the_rate",
    "dimension-free": "test_widths_too_small_fail_the_rate",
}


def _verdicts(metrics: dict, scale: str = "cpu") -> dict:
    return {c.id: c.passed for c in registry.get("barron").evaluate(metrics, scale)}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("barron", scale="smoke", seed=0, out=tmp_path_factory.mktemp("barron"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"below-bound"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert min(m["mse"][0]) < m["variance"][0] / 2  # at d = 2 a short run beats the mean
    assert (smoke_result.out_dir / "barron.png").stat().st_size > 0


def test_barron_norm_is_the_mean_frequency_of_the_bump():
    # f̂ is the N(0, σ⁻² I) density: f(x) = E cos(ω·x) and C_f = E|ω|, by Monte Carlo.
    g = torch.Generator().manual_seed(0)
    for d, sigma in [(1, 1.0), (2, 0.7), (16, 0.5)]:
        omega = torch.randn(400_000, d, generator=g, dtype=torch.float64) / sigma
        mc = float(omega.norm(dim=1).mean())
        assert mc == pytest.approx(barron.barron_norm(d, sigma), rel=5e-3)
        x = torch.full((d,), 0.6 / math.sqrt(d), dtype=torch.float64)
        inversion = float(torch.cos(omega @ x).mean())
        assert inversion == pytest.approx(float(barron.gaussian_bump(x, sigma)), abs=5e-3)
    assert barron.barron_norm(1, 1.0) == pytest.approx(math.sqrt(2 / math.pi))
    # ⌊n/2⌋ ramps from n ReLUs: widths 9 and 8 get the same bound.
    assert barron.barron_bound(2, 0.7, 9) == barron.barron_bound(2, 0.7, 8)
    assert barron.barron_bound(2, 0.7, 8) == pytest.approx(
        (2 * barron.barron_norm(2, 0.7)) ** 2 / 4
    )


def test_uniform_ball_fills_the_ball_and_pads_with_zeros():
    g = torch.Generator().manual_seed(0)
    dims = torch.tensor([2, 5])
    x = barron.uniform_ball((2, 20_000), dims, 7, g)
    assert x.shape == (2, 20_000, 7)
    assert torch.all(x[0, :, 2:] == 0) and torch.all(x[1, :, 5:] == 0)
    radius = x.norm(dim=-1)
    assert float(radius.max()) <= 1.0
    for i, d in enumerate(dims.tolist()):  # P(|x| ≤ ½) = 2^−d for the uniform ball
        assert float((radius[i] <= 0.5).float().mean()) == pytest.approx(2.0**-d, abs=0.01)


def test_untrained_wide_nets_are_above_the_bound(tmp_path):
    """below-bound holds for networks training found; one Adam step leaves the widest nets,
    where the bound is informative (below Var f), far above it."""
    r = runner.run(
        "barron",
        scale="smoke",
        seed=0,
        out=tmp_path / "untrained",
        dims=[2],
        widths=[1024, 2048],
        steps=1,
    )
    assert r.metrics["bound_informative"] == [[1024, 2048]]
    assert r.metrics["bound_ratio"] > 1
    assert _verdicts(r.metrics, "smoke")["below-bound"] is False


def test_widths_too_small_fail_the_rate(tmp_path):
    """rate and dimension-free need widths past the plateau: at d = 16 widths 2–8 barely beat
    the mean, and the error hardly falls with width."""
    r = runner.run(
        "barron",
        scale="smoke",
        seed=0,
        out=tmp_path / "narrow",
        dims=[16],
        widths=[2, 4, 8],
        steps=150,
    )
    assert r.metrics["shallowest_slope"] > -0.5
    v = _verdicts(r.metrics)
    assert v["rate"] is False and v["dimension-free"] is False


def test_config_refuses_bad_input():
    with pytest.raises(BadInput, match="dims"):
        runner.prepare("barron", "smoke", overrides={"dims": [2, 2]})
    with pytest.raises(BadInput, match="widths"):
        runner.prepare("barron", "smoke", overrides={"widths": [1, 8]})
    with pytest.raises(BadInput, match="sigma"):
        runner.prepare("barron", "smoke", overrides={"sigma": 0})


def test_paper_scale_resolves_within_budget():
    cfg = runner.resolve_config(registry.get("barron"), "paper", {})
    assert max(cfg.dims) >= 32 and max(cfg.widths) >= 4096
