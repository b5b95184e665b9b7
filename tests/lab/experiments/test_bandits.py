"""bandits: smoke run, determinism, exact resume, the references on known cases, and claims
that fail where their effect is absent."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.rl import bandits as bd

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "ucb1-bound": "test_greedy_without_a_bonus_breaks_the_ucb1_claims",
    "ucb1-log-constant": "test_greedy_without_a_bonus_breaks_the_ucb1_claims",
    "lai-robbins": "test_lai_robbins_fails_too_early_and_for_ucb1",
    "thompson-beats-epsilon-greedy": "test_a_few_short_runs_do_not_beat_the_noise",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("bandits", scale="smoke", seed=0, out=tmp_path_factory.mktemp("bd"))


def _verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("bandits").evaluate(metrics, scale)}


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"ucb1-bound", "thompson-beats-epsilon-greedy"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # Regret only grows, and Thompson ends lowest.
    for key in ("mean_regret_ucb1", "mean_regret_thompson", "mean_regret_epsilon_greedy"):
        assert m[key] == sorted(m[key])
    assert m["mean_regret_thompson"][-1] < min(
        m["mean_regret_ucb1"][-1], m["mean_regret_epsilon_greedy"][-1]
    )
    assert (smoke_result.out_dir / "bandits.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("bandits", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_interrupted_run_resumes_exactly(tmp_path, monkeypatch):
    small = {"runs": 50, "horizon": 1500}
    whole = runner.run("bandits", scale="smoke", seed=1, out=tmp_path / "whole", **small)
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")  # checkpoint after every block of pulls
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 2:  # after the second block of pulls
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("bandits", scale="smoke", seed=1, out=out, **small)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("bandits", scale="smoke", seed=1, out=out, **small)
    assert resumed.resumed
    assert resumed.metrics == whole.metrics


def test_references_on_known_cases():
    # KL(0.5 ‖ 0.9) by hand; Lai–Robbins sums Δ/KL over the suboptimal arms only.
    kl = 0.5 * math.log(0.5 / 0.9) + 0.5 * math.log(0.5 / 0.1)
    assert bd.bernoulli_kl(np.array([0.5]), 0.9)[0] == pytest.approx(kl)
    assert bd.lai_robbins_constant(np.array([0.9, 0.5])) == pytest.approx(0.4 / kl)
    assert bd.lai_robbins_constant(np.array([0.5, 0.9, 0.5])) == pytest.approx(0.8 / kl)
    # Theorem 1 with gaps 0.3 and 0.5 at n = e².
    bound = bd.ucb1_bound(np.array([0.9, 0.6, 0.4]), np.array([math.e**2]))[0]
    assert bound == pytest.approx(8 * 2 * (1 / 0.3 + 1 / 0.5) + (1 + math.pi**2 / 3) * 0.8)


def test_per_run_slopes_recover_c_ln_n():
    cfg = bd.Config(horizon=10_000, n_horizons=30)
    hs = bd.horizons(cfg)
    assert hs[0] == 1 and hs[-1] == 10_000 and hs == sorted(set(hs))
    c = np.array([0.5, 2.0, 7.0])
    regret = np.log(np.asarray(hs, float))[:, None] * c + 3.0  # (horizons, runs)
    assert np.allclose(bd.per_run_slopes(regret, hs), c)


def test_greedy_without_a_bonus_breaks_the_ucb1_claims(tmp_path):
    """Without UCB1's exploration bonus (b = 0, plain greedy) a run whose best arm first pays
    nothing never pulls it again: regret grows linearly, over the bound and over any constant
    times ln n. Both UCB1 claims (ucb1-bound, ucb1-log-constant) must fail."""
    r = runner.run(
        "bandits",
        scale="smoke",
        seed=0,
        out=tmp_path / "greedy",
        ucb_bonus=0.0,
        arm_means=[0.5, 0.1],
        horizon=8000,
        runs=100,
    )
    verdicts = _verdicts(r.metrics)
    assert verdicts["ucb1-bound"] is False and verdicts["ucb1-log-constant"] is False


def test_lai_robbins_fails_too_early_and_for_ucb1(smoke_result):
    """lai-robbins: at 2 000 pulls Thompson's local constant is still well below its limit (the
    smoke run, judged by the cpu tolerance); and UCB1's measured constant, put in Thompson's
    place, is ~10× the Lai–Robbins constant: the claim tells an optimal policy from another."""
    assert _verdicts(smoke_result.metrics)["lai-robbins"] is False
    m = smoke_result.metrics
    swapped = dict(
        m,
        late_slope_thompson=m["late_slope_ucb1"],
        late_slope_se_thompson=m["late_slope_se_ucb1"],
    )
    assert _verdicts(swapped)["lai-robbins"] is False


def test_a_few_short_runs_do_not_beat_the_noise(smoke_result, tmp_path):
    """thompson-beats-epsilon-greedy: ten games of ten pulls cannot tell the policies apart at
    p < 0.01 (the claim must fail, whatever the sign of the gap); and with the policies swapped
    (ε_n-greedy's regret below Thompson's) it fails as well."""
    r = runner.run("bandits", scale="smoke", seed=0, out=tmp_path / "few", runs=10, horizon=10)
    assert _verdicts(r.metrics)["thompson-beats-epsilon-greedy"] is False
    m = smoke_result.metrics
    swapped = dict(m, paired_gap_mean=-m["paired_gap_mean"])
    assert _verdicts(swapped)["thompson-beats-epsilon-greedy"] is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"arm_means": [0.9, 0.9, 0.5]}, "exactly one arm"),
        ({"arm_means": [1.0, 0.5]}, "arm_means"),
        ({"runs": 1}, "runs"),
        ({"horizon": 10_000_000, "n_horizons": 8}, "fewer than 3"),
        ({"ucb_bonus": -1.0}, "ucb_bonus"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("bandits", "smoke", overrides=overrides)
