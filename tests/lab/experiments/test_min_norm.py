"""min-norm: smoke run, determinism, claims that fail on a run that has not converged, bad input."""

from __future__ import annotations

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.generalization import min_norm

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "pinv-limit": "test_too_few_steps_fail_the_limit_claims",
    "interpolates": "test_too_few_steps_fail_the_limit_claims",
    "shifted-start": "test_too_few_steps_fail_the_limit_claims",
    "min-norm": "test_too_few_steps_fail_the_limit_claims",
    "row-space": "test_row_space_is_a_sanity_check_that_fails_on_a_leak",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("min-norm", scale="smoke", seed=0, out=tmp_path_factory.mktemp("mn"))


def test_smoke_run_passes_every_claim(smoke_result):
    # Exact limits hold at any size, so every claim is checked at smoke scale.
    assert [c.passed for c in smoke_result.claims] == [True] * len(min_norm.CLAIMS)
    assert (smoke_result.out_dir / "min_norm.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("min-norm", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("min-norm", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["pinv_norm"] != smoke_result.metrics["pinv_norm"]


def test_too_few_steps_fail_the_limit_claims(tmp_path):
    # Ten steps are far from the limit: the measured distances must say so.
    r = runner.run("min-norm", scale="smoke", seed=0, out=tmp_path / "short", steps=10)
    verdicts = {c.id: c.passed for c in r.claims}
    assert verdicts["pinv-limit"] is False and verdicts["shifted-start"] is False
    assert verdicts["interpolates"] is False and verdicts["min-norm"] is False
    # Iterates from zero stay in the row space however few steps are taken: that claim holds
    # by construction, which is why it is labelled a sanity check.
    assert verdicts["row-space"] is True


def test_row_space_is_a_sanity_check_that_fails_on_a_leak(smoke_result):
    row_space = next(c for c in smoke_result.claims if c.id == "row-space")
    assert row_space.sanity and "(sanity check)" in row_space.display
    assert [c.id for c in smoke_result.claims if c.sanity] == ["row-space"]
    leaky = dict(smoke_result.metrics, max_row_space_leak=1e-5)  # e.g. weight decay's pull
    verdicts = {c.id: c.passed for c in registry.get("min-norm").evaluate(leaky, "cpu")}
    assert verdicts["row-space"] is False


def test_an_overdetermined_system_is_bad_input_before_any_work(tmp_path):
    out = tmp_path / "never"
    with pytest.raises(BadInput, match=r"d \(60\) must exceed n \(100\)"):
        runner.run("min-norm", scale="smoke", out=out, n=100)
    assert not (out / "result.json").exists()


def test_claims_can_fail(smoke_result):
    bad = dict(smoke_result.metrics)
    bad.update(
        rel_err_to_pinv=1e-2,
        rel_train_residual=1e-2,
        max_row_space_leak=1e-5,
        rel_err_shifted_start=1e-2,
        norm_gap_sq=bad["perp_start_norm_sq"] + 0.1,
    )
    verdicts = {c.id: c.passed for c in registry.get("min-norm").evaluate(bad, "cpu")}
    assert not any(verdicts.values()), verdicts


@settings(max_examples=10, deadline=None)
@given(n=st.integers(2, 12), extra=st.integers(0, 30), seed=st.integers(0, 2**31 - 1))
def test_gradient_descent_limit_is_pinv_plus_the_starts_null_space_part(n, extra, seed):
    """The theorem itself, on random small systems: GD's limit is X⁺y + P⊥w₀.

    d ≥ 2n keeps X well conditioned (σ_min/σ_max near (√2 − 1)/(√2 + 1) or better), so GD
    converges within the step budget and the limit is checked on every example."""
    g = torch.Generator().manual_seed(seed)
    d = 2 * n + extra
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.randn(n, generator=g, dtype=torch.float64)
    w0 = torch.randn(d, generator=g, dtype=torch.float64)
    q, _ = torch.linalg.qr(x.T)

    def perp(v):
        return v - q @ (q.T @ v)

    target = torch.linalg.pinv(x) @ y + perp(w0)
    s = torch.linalg.svdvals(x)
    # Step 1/L; the slowest mode contracts by (1 − σ_min²/σ_max²) per step.
    ratio = float(s[-1] ** 2 / s[0] ** 2)
    assume(ratio > 3e-3)  # a rare unlucky draw; the budget below is 60 / ratio steps
    w, _ = min_norm.gradient_descent(
        x, y, w0, int(60 / ratio), n / float(s[0] ** 2), 10**9, {}, perp
    )
    assert torch.allclose(w, target, atol=1e-8 * (1 + float(target.norm())))
    # GD never moves outside the row space.
    assert float(perp(w - w0).norm()) < 1e-9 * (1 + float(w.norm()))
