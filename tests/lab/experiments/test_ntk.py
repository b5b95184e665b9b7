"""ntk: smoke run, resume, the task, and claims that fail outside the kernel regime."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.theory import ntk

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "init-kernel-converges": "test_the_standard_parameterization_kernel_grows_with_width",
    "gap-shrinks": "test_mean_field_networks_leave_their_linearization",
    "kernel-change-shrinks": "test_mean_field_networks_leave_their_linearization",
    "ntk-predicts-wide": "test_mean_field_networks_leave_their_linearization",
}


def _verdicts(metrics):
    return {c.id: c.passed for c in registry.get("ntk").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("ntk", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ntk"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"init-kernel-converges", "kernel-change-shrinks"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # Even at smoke scale the widest net is predicted better than the narrowest.
    assert m["krr_error_widest"] < m["krr_error_narrowest"]
    assert max(m["train_rmse"]) < 0.05  # full-batch GD fits the training points
    for name in ("ntk_scaling.png", "ntk_prediction.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_interrupted_run_resumes_exactly(smoke_result, tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original = ntk.empirical_ntk
    calls = {"n": 0}

    def kernel_then_die(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 4:  # the second network, trained, before its second kernel
            raise KeyboardInterrupt
        return original(*args, **kwargs)

    monkeypatch.setattr(ntk, "empirical_ntk", kernel_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("ntk", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(ntk, "empirical_ntk", original)
    monkeypatch.delenv("MLT_CHECKPOINT_EVERY_S")
    resumed = runner.run("ntk", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


def test_sphere_task_is_standardized_on_the_sphere():
    cfg = ntk.Config(n_train=20, n_test=30)
    x, y = ntk.sphere_task(cfg, np.random.default_rng(0))
    assert x.shape == (50, 8) and y.shape == (50,)
    assert np.allclose((x**2).sum(1).numpy(), 8)
    assert float(y.mean()) == pytest.approx(0, abs=1e-12) and float(
        y.std(correction=0)
    ) == pytest.approx(1)


def test_config_refuses_bad_input():
    with pytest.raises(BadInput, match="widths"):
        runner.prepare("ntk", "smoke", overrides={"widths": [64, 64]})
    with pytest.raises(BadInput, match="parameterization"):
        runner.prepare("ntk", "smoke", overrides={"parameterization": "mup"})
    with pytest.raises(BadInput, match="memory|floating-point"):
        runner.prepare("ntk", "paper", overrides={"widths": [64, 65536], "depth": 4})


def test_the_standard_parameterization_kernel_grows_with_width(tmp_path):
    """Standard parameterization: the last layer's gradient grows with the width, so the kernel
    moves away from Θ_∞ (slope ≈ +1): init-kernel-converges fails."""
    r = runner.run(
        "ntk", scale="smoke", seed=0, out=tmp_path / "sp", parameterization="standard", steps=20
    )
    assert r.metrics["init_kernel_slope"] > 0.5
    assert _verdicts(r.metrics)["init-kernel-converges"] is False


def test_mean_field_networks_leave_their_linearization(tmp_path):
    """Mean-field parameterization (output × 1/√m, step ∝ m): features move O(1) at every width,
    the kernel changes by more than its own size, the linearization gap levels off, and kernel
    regression with Θ₀ misses the trained outputs: gap-shrinks, kernel-change-shrinks and
    ntk-predicts-wide all fail."""
    r = runner.run(
        "ntk",
        scale="smoke",
        seed=0,
        out=tmp_path / "mf",
        parameterization="mean-field",
        widths=[32, 128, 512, 2048],
    )
    m = r.metrics
    assert min(m["kernel_change"]) > 0.5
    v = _verdicts(m)
    assert v["gap-shrinks"] is False
    assert v["kernel-change-shrinks"] is False
    assert v["ntk-predicts-wide"] is False
