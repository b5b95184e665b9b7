"""q-learning: smoke run, determinism, exact resume mid-loop, and claims that fail with a
constant step size or without exploration."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "converges": "test_a_constant_step_size_stalls_at_a_noise_floor",
    "error-decays": "test_a_constant_step_size_stalls_at_a_noise_floor",
    "greedy-optimal": "test_without_exploration_nothing_is_learned",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("q-learning", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ql"))


def _verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("q-learning").evaluate(metrics, scale)}


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"error-decays", "greedy-optimal"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["q_star_residual"] < 1e-10  # the reference is a fixed point of the Bellman map
    assert m["rel_error_median"][-1] < 0.1 * m["rel_error_median"][0]
    assert m["min_visits"] > 0 and m["suboptimal_states"] == []
    assert (smoke_result.out_dir / "q_learning.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("q-learning", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_interrupted_run_resumes_exactly(smoke_result, tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")  # checkpoint after every block of steps
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 7:  # part-way through the environment loop
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("q-learning", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("q-learning", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


def test_a_constant_step_size_stalls_at_a_noise_floor(tmp_path):
    """A constant step α = 0.5 violates Σ α² < ∞: Q keeps jumping by a fraction of each noisy
    target and settles into a noise floor, far from Q*, with no downward trend at the end:
    converges and error-decays must fail."""
    r = runner.run(
        "q-learning", scale="smoke", seed=0, out=tmp_path / "c", step_exponent=0.0, step_scale=0.5
    )
    verdicts = _verdicts(r.metrics)
    assert verdicts["converges"] is False and verdicts["error-decays"] is False


def test_without_exploration_nothing_is_learned(tmp_path):
    """greedy-optimal: with ε = 0 each learner follows its own all-zero Q's first action (up)
    from the top-left corner, bumps into the wall forever and never sees a reward: its greedy
    policy is not optimal (and Q never moves from zero)."""
    r = runner.run("q-learning", scale="smoke", seed=0, out=tmp_path / "e", epsilon=0.0)
    verdicts = _verdicts(r.metrics)
    assert verdicts["greedy-optimal"] is False
    assert verdicts["converges"] is False and r.metrics["min_visits"] == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"gamma": 1.0}, "gamma"),
        ({"slip": 1.0}, "slip"),
        ({"learners": 1}, "learners"),
        ({"step_exponent": 1.5}, "step_exponent"),
        ({"epsilon": -0.1}, "epsilon"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("q-learning", "smoke", overrides=overrides)
