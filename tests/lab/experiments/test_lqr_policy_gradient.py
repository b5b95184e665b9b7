"""lqr-policy-gradient: smoke run, determinism, exact resume, the LQR formulas against finite
differences and rollouts, and claims that fail where their effect is absent."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.rl import lqr_policy_gradient as lq

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "exact-converges": "test_too_few_iterations_fail_the_convergence_claims",
    "geometric-rate": "test_too_few_iterations_fail_the_convergence_claims",
    "model-free-converges": "test_too_few_iterations_fail_the_convergence_claims",
    "stays-stabilizing": "test_too_large_a_step_leaves_the_stabilizing_set",
}
# model-free-converges also fails with rollouts too short to see the cost (see below).


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run(
        "lqr-policy-gradient", scale="smoke", seed=0, out=tmp_path_factory.mktemp("lq")
    )


@pytest.fixture(scope="module")
def system():
    cfg = lq.Config()
    return lq.random_system(cfg, np.random.default_rng(5))


def _verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("lqr-policy-gradient").evaluate(metrics, scale)}


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"stays-stabilizing"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # Even 400 steps move the gain most of the way, and the gap only falls.
    gd = m["gd_gap"]
    assert gd[-1] < 0.1 * m["start_gap"] and gd == sorted(gd, reverse=True)
    assert m["gauss_newton_gap"][-1] < 1e-12  # policy iteration: done in a few steps
    assert (smoke_result.out_dir / "lqr_policy_gradient.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("lqr-policy-gradient", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_interrupted_run_resumes_exactly(smoke_result, tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if values.get("method") == "model-free" and len(calls) > 45:  # inside the last phase
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("lqr-policy-gradient", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("lqr-policy-gradient", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


def test_gradient_matches_finite_differences_and_vanishes_at_the_riccati_gain(system):
    a, b, q, r, k0 = system
    grad = lq.lqr_gradient(a, b, q, r, k0)[0]
    h = 1e-6
    numeric = np.zeros_like(k0)
    for i in np.ndindex(k0.shape):
        step = np.zeros_like(k0)
        step[i] = h
        numeric[i] = (lq.lqr_cost(a, b, q, r, k0 + step) - lq.lqr_cost(a, b, q, r, k0 - step)) / (
            2 * h
        )
    assert np.allclose(grad, numeric, rtol=1e-5, atol=1e-7)
    k_star, p_star = lq.riccati_gain(a, b, q, r)
    assert np.abs(lq.lqr_gradient(a, b, q, r, k_star)[0]).max() < 1e-8
    assert lq.lqr_cost(a, b, q, r, k_star) == pytest.approx(np.trace(p_star))
    assert lq.lqr_cost(a, b, q, r, k0) > np.trace(p_star)
    assert np.linalg.eigvalsh(lq.lqr_hessian(a, b, q, r, k_star)).min() > 0
    assert lq.lqr_cost(a, b, q, r, np.zeros_like(k0)) == np.inf  # A itself is unstable


def test_rollouts_and_the_zeroth_order_estimate_agree_with_the_exact_ones(system):
    a, b, q, r, k0 = system
    # A long rollout from x₀ costs x₀ᵀ P_K x₀.
    closed = a - b @ k0
    import scipy.linalg

    p = scipy.linalg.solve_discrete_lyapunov(closed.T, q + k0.T @ r @ k0)
    x0 = np.array([[1.0, -2.0, 0.5]])
    assert lq.rollout_costs(a, b, q, r, k0[None], x0, 400)[0] == pytest.approx(
        float(x0[0] @ p @ x0[0]), rel=1e-9
    )
    # Averaged over many perturbations, the two-point estimate approaches the gradient.
    cfg = lq.Config(mf_samples=20_000, rollout_length=200, mf_radius=0.01)
    estimate = lq.zeroth_order_gradient(cfg, a, b, q, r, k0, np.random.default_rng(0))
    exact = lq.lqr_gradient(a, b, q, r, k0)[0]
    assert np.linalg.norm(estimate - exact) < 0.1 * np.linalg.norm(exact)


def test_fit_rate_recovers_a_geometric_sequence():
    gaps = [0.5 * 0.97**t for t in range(1000)]
    rate, r2, n = lq.fit_rate(gaps)
    assert rate == pytest.approx(0.97) and r2 == pytest.approx(1.0) and n > 100
    assert np.isnan(lq.fit_rate(gaps[:100])[0])  # never reaches the window


def test_too_few_iterations_fail_the_convergence_claims(smoke_result, tmp_path):
    """400 exact iterations (the smoke run) leave K far from K* and never reach the local regime
    the rate is fitted in; 200 model-free iterations leave a large gap: exact-converges,
    geometric-rate and model-free-converges fail when judged by the cpu tolerances. Model-free
    descent with rollouts of 3 steps follows the gradient of the wrong cost and stalls far from
    K* however long it runs: model-free-converges fails again."""
    verdicts = _verdicts(smoke_result.metrics)
    assert verdicts["exact-converges"] is False and verdicts["geometric-rate"] is False
    assert verdicts["model-free-converges"] is False
    short = runner.run(
        "lqr-policy-gradient",
        scale="smoke",
        seed=0,
        out=tmp_path / "short",
        mf_iterations=800,
        rollout_length=3,
    )
    assert _verdicts(short.metrics)["model-free-converges"] is False
    assert short.metrics["mf_final_gap"] > 0.1


def test_too_large_a_step_leaves_the_stabilizing_set(tmp_path):
    """stays-stabilizing: ten times the step takes gradient descent out of the set of stabilizing
    gains at once (infinite cost), and the claim must fail."""
    r = runner.run("lqr-policy-gradient", scale="smoke", seed=0, out=tmp_path / "big", lr_scale=5.0)
    assert _verdicts(r.metrics)["stays-stabilizing"] is False
    assert r.metrics["gd_max_radius"] >= 1 and r.metrics["gd_k_error"] is None


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"start_input_penalty": 1.0}, "start_input_penalty"),
        ({"mf_samples": 0}, "mf_samples"),
        ({"open_loop_radius": 0.0}, "open_loop_radius"),
        ({"lr_scale": -1.0}, "lr_scale"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("lqr-policy-gradient", "smoke", overrides=overrides)
