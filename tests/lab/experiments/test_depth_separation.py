"""depth-separation: smoke run, the construction and the counting bound on known cases, and
claims that fail where the effect is absent."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.theory import depth_separation as ds
from mltheory.lab.population import PopulationMLP

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "deep-exact": "test_a_broken_construction_fails_the_construction_claims",
    "pieces-grid": "test_a_broken_construction_fails_the_construction_claims",
    "pieces-activations": "test_a_broken_construction_fails_the_construction_claims",
    "shallow-bound": "test_the_deep_net_beats_the_one_hidden_layer_bound",
    "separation": "test_small_k_has_no_separation",
    "width-exponent": "test_a_target_that_does_not_grow_fails_the_exponent",
    "near-bound": "test_untrained_random_knots_are_far_from_the_bound",
}

# A cheap run: small grid, few widths, few steps.
TINY = {"grid_points": 128, "count_points": 2048, "restarts": 1, "eval_every": 20}


def _verdicts(metrics: dict, scale: str = "cpu") -> dict:
    return {c.id: c.passed for c in registry.get("depth-separation").evaluate(metrics, scale)}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("depth-separation", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ds"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} >= {"deep-exact", "pieces-grid", "shallow-bound"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["pieces_grid"] == m["pieces_expected"] == [4, 8, 16]
    # Wide enough nets fit f_2 almost exactly; the measured errors fall with width.
    assert m["rel_error"][0][-1] < 0.01
    for name in ("construction", "widths"):
        assert (smoke_result.out_dir / f"{name}.png").stat().st_size > 0


def test_tent_network_computes_the_composed_tent_exactly():
    x = torch.rand(1000, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for k in (1, 3, 6):
        net = ds.tent_network(k)
        assert sum(p.numel() for p in net.parameters()) == 6 * k + 1
        with torch.no_grad():
            out = net(x[:, None])[:, 0]
        assert torch.equal(out, ds.tent_power(x, k))


def test_piece_counters_on_known_functions():
    x = ds.midpoint_grid(1000)
    assert ds.count_linear_pieces(x, (x - 0.3).abs()) == 2  # kink between grid points
    assert ds.count_linear_pieces(x, torch.relu(x - 0.2) - 2 * torch.relu(x - 0.7)) == 3
    assert ds.count_linear_pieces(x, 3 * x + 1) == 1
    net = ds.tent_network(4)
    assert ds.count_activation_regions(net, ds.midpoint_grid(4096)) == 16


def test_counting_bound_on_known_cases():
    x = ds.midpoint_grid(512)
    f1 = ds.tent_power(x, 1)
    var1 = float(f1.var(unbiased=False))
    # One tooth, no knot: the best line is the mean (the tooth is symmetric): relative error 1.
    assert ds.counting_lower_bound(ds.tooth_residuals(x, f1, 1), 0, 512, var1) == pytest.approx(1)
    # f_3 has 4 identical teeth: width 2 leaves half of them to a line each.
    f3 = ds.tent_power(x, 3)
    res = ds.tooth_residuals(x, f3, 4)
    var3 = float(f3.var(unbiased=False))
    assert ds.counting_lower_bound(res, 2, 512, var3) == pytest.approx(0.5)
    assert ds.counting_lower_bound(res, 4, 512, var3) == 0.0
    assert ds.lower_bound_width(res, 512, var3, 0.05) == 4  # 1 − w/4 ≤ 0.05 needs w = 4
    assert ds.lower_bound_width(res, 512, var3, 0.5) == 2


def test_width_two_to_the_k_represents_f_k_exactly():
    # Knots at j/2^k with the least-squares output layer: the exact shallow construction.
    k, n = 4, 256
    x = ds.midpoint_grid(n)
    knots = torch.arange(2**k, dtype=torch.float64) / 2**k
    pop = PopulationMLP(
        [torch.ones(1, 2**k, 1), torch.zeros(1, 1, 2**k)], [-knots[None].float(), torch.zeros(1, 1)]
    )
    _, mse = ds.least_squares_output(pop, x[None, :, None], ds.tent_power(x, k)[None], write=True)
    assert float(mse[0]) < 1e-12
    # One knot fewer than the teeth need cannot be exact.
    pop = PopulationMLP(
        [torch.ones(1, 2**k - 2, 1), torch.zeros(1, 1, 2**k - 2)],
        [-knots[None, : 2**k - 2].float(), torch.zeros(1, 1)],
    )
    _, mse = ds.least_squares_output(pop, x[None, :, None], ds.tent_power(x, k)[None], write=False)
    assert float(mse[0]) > 1e-3


def test_width_crossing_interpolates_in_log_log():
    assert ds.width_crossing([2, 8], [0.5, 0.005], 0.05) == pytest.approx(4.0)
    assert ds.width_crossing([2, 8], [0.01, 0.001], 0.05) == 2.0
    assert ds.width_crossing([2, 8], [0.9, 0.5], 0.05) is None


def test_a_broken_construction_fails_the_construction_claims(smoke_result):
    """deep-exact, pieces-grid and pieces-activations measured, with the run's own functions,
    on a construction whose second unit's bias is −0.45 instead of −½: no longer f_k, nor 2^k
    pieces."""
    fine = ds.midpoint_grid(4096)
    errs, grid, act = [], [], []
    for k in (2, 3, 4):
        net = ds.tent_network(k, half=0.45)
        with torch.no_grad():
            out = net(fine[:, None])[:, 0]
        errs.append(float((out - ds.tent_power(fine, k)).abs().max()))
        grid.append(ds.count_linear_pieces(fine, out))
        act.append(ds.count_activation_regions(net, fine))
    expected = [4, 8, 16]
    bad = dict(
        smoke_result.metrics,
        deep_max_error=max(errs),
        pieces_grid_dev=max(abs(a - b) for a, b in zip(grid, expected, strict=True)),
        pieces_activations_dev=max(abs(a - b) for a, b in zip(act, expected, strict=True)),
    )
    v = _verdicts(bad, "smoke")
    assert v["deep-exact"] is False
    assert v["pieces-grid"] is False and v["pieces-activations"] is False


def test_the_deep_net_beats_the_one_hidden_layer_bound(smoke_result):
    """shallow-bound is a theorem about one hidden layer: the deep construction, with as many
    units (2k), has error 0 where the bound for width 2k is far above 0 (k = 6)."""
    k, n = 6, 1024
    x = ds.midpoint_grid(n)
    f = ds.tent_power(x, k)
    var = float(f.var(unbiased=False))
    with torch.no_grad():
        deep_err = float((ds.tent_network(k)(x[:, None])[:, 0] - f).pow(2).mean()) / var
    bound = ds.counting_lower_bound(ds.tooth_residuals(x, f, 2 ** (k - 1)), 2 * k, n, var)
    assert bound > 0.5
    v = _verdicts(dict(smoke_result.metrics, bound_violation=bound - deep_err), "smoke")
    assert v["shallow-bound"] is False


def test_small_k_has_no_separation(tmp_path):
    """separation fails for k ≤ 2: 2k units are as many as f_k's 2^k pieces need."""
    r = runner.run(
        "depth-separation",
        scale="smoke",
        seed=0,
        out=tmp_path / "small-k",
        ks=[1, 2],
        widths=[2, 3],
        steps=100,
        **dict(TINY, restarts=3),
    )
    assert r.metrics["separation_error"] < 0.5
    assert _verdicts(r.metrics)["separation"] is False


def test_a_target_that_does_not_grow_fails_the_exponent(tmp_path):
    """width-exponent: with f_1 as the target for every k (target="single") the width needed
    does not grow with k."""
    r = runner.run(
        "depth-separation",
        scale="smoke",
        seed=0,
        out=tmp_path / "single",
        target="single",
        steps=40,
        **TINY,
    )
    needed = r.metrics["width_needed"]
    assert all(v is not None for v in needed) and max(needed) / min(needed) < 2
    assert _verdicts(r.metrics)["width-exponent"] is False


def test_untrained_random_knots_are_far_from_the_bound(tmp_path):
    """near-bound: i.i.d. random knots with only the least-squares output layer (no training,
    one restart) need many times the least width the counting bound allows."""
    r = runner.run(
        "depth-separation",
        scale="smoke",
        seed=0,
        out=tmp_path / "iid",
        ks=[3, 4, 5],
        widths=[4, 8, 16, 32, 64, 128, 256],
        knot_init="iid",
        steps=0,
        grid_points=256,
        count_points=2048,
        restarts=1,
    )
    assert r.metrics["width_ratio"] > ds.NEAR_BOUND
    assert _verdicts(r.metrics)["near-bound"] is False


def test_config_refuses_a_grid_too_coarse_for_the_pieces():
    with pytest.raises(BadInput, match="grid_points"):
        runner.prepare("depth-separation", "smoke", overrides={"ks": [2, 9]})
    with pytest.raises(BadInput, match="ks"):
        runner.prepare("depth-separation", "smoke", overrides={"ks": [3, 3]})
    with pytest.raises(BadInput, match="error_level"):
        runner.prepare("depth-separation", "smoke", overrides={"error_level": 1.5})


def test_paper_scale_resolves_within_budget():
    cfg = runner.resolve_config(registry.get("depth-separation"), "paper", {})
    assert math.log2(max(cfg.widths)) > max(cfg.ks)


def test_interrupted_run_resumes_and_ends_the_same(smoke_result, tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")  # checkpoint after every step
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 5:  # in the second width's population, mid-training
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("depth-separation", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("depth-separation", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics
