"""matrix-factorization: smoke run, the chain rule, config bounds, and claims that can fail."""

from __future__ import annotations

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.theory import matrix_factorization as mf

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "nuclear-norm": "test_a_large_start_is_far_from_the_minimum_nuclear_norm",
    "depth-sharpens": "test_no_extra_depth_no_sharper_rank_and_no_gain_over_the_nuclear_norm",
    "beats-nuclear": "test_no_extra_depth_no_sharper_rank_and_no_gain_over_the_nuclear_norm",
    "fits": "test_too_few_steps_do_not_fit",
    "certified": "test_a_starved_solver_is_not_certified",
}


def verdicts(metrics: dict, scale: str = "cpu") -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("matrix-factorization").evaluate(metrics, scale)}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    out = tmp_path_factory.mktemp("mf")
    return runner.run("matrix-factorization", scale="smoke", seed=0, out=out)


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"depth-sharpens", "certified"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # The reference is certified: every GD interpolant lies (to the gap) above the minimum.
    assert m["solver_max_gap"] < 1e-6
    for name in ("singular_values.png", "nuclear_norm_vs_init.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


@pytest.mark.parametrize("depth", [2, 3, 4])
def test_factor_gradients_are_the_chain_rule(depth):
    g = torch.Generator().manual_seed(depth)
    factors = mf.start_factors(depth, 0.8, (3, 5, 5), g)
    grad_w = torch.randn(3, 5, 5, generator=g, dtype=torch.float64)
    w, below = mf.end_to_end(factors)
    ours = mf.factor_gradients(factors, below, grad_w)
    leaves = [f.clone().requires_grad_(True) for f in factors]
    w_auto, _ = mf.end_to_end(leaves)
    assert torch.allclose(w_auto, w)
    auto = torch.autograd.grad((w_auto * grad_w).sum(), leaves)
    for a, b in zip(ours, auto, strict=True):
        assert torch.allclose(a, b, atol=1e-12)


def test_a_large_start_is_far_from_the_minimum_nuclear_norm(tmp_path):
    """From α = 0.3 the implicit bias is gone: GD interpolates, but far above the minimum
    nuclear norm (the left end of Gunasekar's Fig. 2). nuclear-norm must FAIL."""
    r = runner.run(
        "matrix-factorization", scale="smoke", seed=0, out=tmp_path / "big", init_scales=[0.3]
    )
    assert r.metrics["max_nuclear_excess_depth2"] > 2 * mf.NUCLEAR_TOL
    assert verdicts(r.metrics)["nuclear-norm"] is False


def test_nuclear_norm_refuses_a_solution_below_the_minimum(smoke_result):
    # A run that stopped short of fitting can have a smaller nuclear norm than any interpolant:
    # the claim measures |excess|, so it does not pass for the wrong reason.
    short = dict(smoke_result.metrics, max_nuclear_excess_depth2=0.5)
    assert verdicts(short)["nuclear-norm"] is False


def test_no_extra_depth_no_sharper_rank_and_no_gain_over_the_nuclear_norm(tmp_path):
    """depths = [2, 2]: the same depth twice, from independent starts. Without extra depth the
    effective ranks agree (depth-sharpens FAILS) and a depth-2 factorization, which is about
    nuclear norm minimization, does not recover M* better than it (beats-nuclear FAILS)."""
    r = runner.run(
        "matrix-factorization", scale="smoke", seed=0, out=tmp_path / "same", depths=[2, 2]
    )
    v = verdicts(r.metrics)
    assert v["depth-sharpens"] is False
    assert v["beats-nuclear"] is False


def test_too_few_steps_do_not_fit(tmp_path):
    r = runner.run("matrix-factorization", scale="smoke", seed=0, out=tmp_path / "s", steps=100)
    assert r.metrics["max_rel_residual"] > 0.5
    assert verdicts(r.metrics)["fits"] is False


def test_a_starved_solver_is_not_certified(tmp_path):
    r = runner.run(
        "matrix-factorization", scale="smoke", seed=0, out=tmp_path / "s", solver_max_iter=25
    )
    assert verdicts(r.metrics)["certified"] is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"depths": [3, 2]}, "depths"),
        ({"depths": [2]}, "depths"),
        ({"init_scales": [0.01, 0.1]}, "init_scales"),
        ({"measurements": 101}, "measurements"),
        ({"singular_values": [1.0] * 11}, "singular values"),
        ({"lr": 0.0}, "lr"),
        # 256 instances of 40 000 dense 200×200 measurement matrices: terabytes.
        ({"n": 200, "measurements": 40_000, "instances": 256}, "memory"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("matrix-factorization", "smoke", overrides=overrides)


def test_interrupted_run_resumes_and_ends_the_same(tmp_path, monkeypatch):
    """Killed inside the depth-3 run (after the solver and the depth-2 run finished), the run
    resumes from its checkpoint and ends exactly as an uninterrupted run with the same seed."""
    from mltheory.lab.context import RunContext

    short = {"steps": 200, "log_every": 50}
    whole = runner.run("matrix-factorization", scale="smoke", seed=0, out=tmp_path / "a", **short)
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original_log = RunContext.log

    def log_then_die(self, **values):
        if values.get("depth") == 3 and values.get("step") == 100:
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("matrix-factorization", scale="smoke", seed=0, out=out, **short)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("matrix-factorization", scale="smoke", seed=0, out=out, **short)
    assert resumed.resumed
    assert resumed.metrics == whole.metrics
    assert (out / "metrics.jsonl").read_text() == (whole.out_dir / "metrics.jsonl").read_text()
