"""deep-linear: smoke run, determinism, eq. 12 itself, and claims that can fail."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.dynamics import deep_linear as dl

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "sigmoid": "test_a_narrow_hidden_layer_fails_the_curve_claims",
    "learning-time": "test_a_narrow_hidden_layer_fails_the_curve_claims",
    "order": "test_claims_can_fail",
    "time-scaling": "test_claims_can_fail",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("deep-linear", scale="smoke", seed=0, out=tmp_path_factory.mktemp("dl"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} >= {"order", "time-scaling"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    # Even at smoke scale every mode ends close to its singular value.
    for u, s in zip(
        smoke_result.metrics["final_strength"],
        smoke_result.metrics["singular_values"],
        strict=True,
    ):
        assert u == pytest.approx(s, rel=0.05)
    assert (smoke_result.out_dir / "deep_linear.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("deep-linear", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("deep-linear", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["u0"] != smoke_result.metrics["u0"]


def test_eq12_solves_the_mode_ode():
    # τ du/dt = 2u(s − u) with u(0) = u₀; τ = 1.
    s, u0 = torch.tensor(2.0, dtype=torch.float64), torch.tensor(1e-3, dtype=torch.float64)
    t = torch.linspace(0, 5, 2001, dtype=torch.float64)
    u = dl.sigmoid_mode_strength(t, s, u0)
    assert float(u[0]) == pytest.approx(1e-3)
    dudt = torch.gradient(u, spacing=(t,))[0]
    assert torch.allclose(dudt[1:-1], (2 * u * (s - u))[1:-1], rtol=1e-3, atol=1e-6)
    half = dl.first_crossing(t, u, 1.0)
    assert half == pytest.approx(float(dl.half_time_theory(s, u0)), rel=1e-4)


def test_whitened_task_has_identity_input_covariance():
    cfg = dl.Config(**dl.SCALES["smoke"])
    x, y, u_k, v_k = dl.whitened_task(cfg, torch.Generator().manual_seed(0))
    eye = torch.eye(cfg.n_in, dtype=torch.float64)
    assert torch.allclose(x.T @ x / cfg.n_samples, eye, atol=1e-12)
    sigma31 = y.T @ x / cfg.n_samples
    assert torch.allclose(
        torch.diagonal(u_k.T @ sigma31 @ v_k),
        torch.tensor(cfg.singular_values, dtype=torch.float64),
    )


def test_config_refuses_repeated_singular_values():
    with pytest.raises(BadInput, match="singular_values"):
        runner.prepare("deep-linear", "smoke", overrides={"singular_values": [1.0, 1.0]})


def test_a_narrow_hidden_layer_fails_the_curve_claims(tmp_path):
    """Eq. 12 treats modes as independent; through a hidden layer barely wider than the number
    of modes they interact (cross-talk), and the measured curves leave the sigmoid."""
    r = runner.run("deep-linear", scale="smoke", seed=0, out=tmp_path / "narrow", n_hidden=4)
    verdicts = {c.id: c.passed for c in registry.get("deep-linear").evaluate(r.metrics, "cpu")}
    assert verdicts["sigmoid"] is False and verdicts["learning-time"] is False


def test_claims_can_fail(smoke_result):
    exp = registry.get("deep-linear")
    bad = dict(smoke_result.metrics)
    bad.update(
        max_sigmoid_dev=0.2,  # curves 20% of s away from eq. 12
        half_time=list(reversed(bad["half_time"])),  # weakest mode learned first
        max_half_time_rel_err=0.3,
    )
    verdicts = {c.id: c.passed for c in exp.evaluate(bad, "cpu")}
    assert not any(verdicts.values()), verdicts  # reversed half-times also break the scaling
    same_time = dict(smoke_result.metrics, half_time=[2.0] * len(bad["half_time"]))
    verdicts = {c.id: c.passed for c in exp.evaluate(same_time, "cpu")}
    assert verdicts["time-scaling"] is False and verdicts["order"] is False
    unlearned = dict(smoke_result.metrics, half_time=[1.0, math.nan, 3.0, 4.0])
    order = next(c for c in exp.evaluate(unlearned, "smoke") if c.id == "order")
    assert order.passed is False


def test_interrupted_run_resumes_mid_descent_and_ends_the_same(smoke_result, tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")  # checkpoint after every GD step
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 3:  # part-way through gradient descent
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("deep-linear", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("deep-linear", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics
    assert (out / "metrics.jsonl").read_text() == (
        smoke_result.out_dir / "metrics.jsonl"
    ).read_text()


def test_config_refuses_more_modes_than_dimensions():
    with pytest.raises(BadInput, match="singular values need"):
        runner.prepare("deep-linear", "smoke", overrides={"n_out": 3})
