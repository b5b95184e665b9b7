"""linear-double-descent: smoke run, determinism, the exact formulas, and claims that can fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.experiments.generalization import linear_double_descent as ldd


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run(
        "linear-double-descent", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ldd")
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} >= {"peak-at-threshold", "ridge-no-peak", "ridge-monotone"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    assert (smoke_result.out_dir / "linear_double_descent.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("linear-double-descent", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("linear-double-descent", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["min_norm_risk"] != smoke_result.metrics["min_norm_risk"]


def test_formula_values():
    # Below: σ²d/(n−d−1); above: σ²n/(d−n−1) + r²(d−n)/d; infinite at d = n, n ± 1.
    assert ldd.min_norm_excess_risk_formula(50, 10, 1.0, 1.0) == pytest.approx(10 / 39)
    assert ldd.min_norm_excess_risk_formula(50, 100, 2.0, 3.0) == pytest.approx(
        4 * 50 / 49 + 9 * 0.5
    )
    for d in (49, 50, 51):
        assert math.isinf(ldd.min_norm_excess_risk_formula(50, d, 1.0, 1.0))
    # The finite-n formula tends to Hastie et al.'s limit.
    for gamma in (0.5, 2.0):
        n = 100_000
        assert ldd.min_norm_excess_risk_formula(n, int(gamma * n), 1.0, 1.0) == pytest.approx(
            ldd.asymptotic_excess_risk(gamma, 1.0, 1.0), rel=1e-3
        )


@pytest.mark.parametrize("n,d", [(12, 5), (12, 12), (12, 30)])
def test_fit_errors_match_pinv_and_ridge(n, d):
    rng = np.random.default_rng(0)
    x, y, beta = (
        rng.standard_normal((3, n, d)),
        rng.standard_normal((3, n)),
        rng.standard_normal((3, d)),
    )
    e_min, e_ridge = ldd.fit_errors(x, y, beta, ridge=0.7)
    for t in range(3):
        b_pinv = np.linalg.pinv(x[t]) @ y[t]
        b_ridge = np.linalg.solve(x[t].T @ x[t] + 0.7 * np.eye(d), x[t].T @ y[t])
        assert e_min[t] == pytest.approx(((b_pinv - beta[t]) ** 2).sum(), rel=1e-6)
        assert e_ridge[t] == pytest.approx(((b_ridge - beta[t]) ** 2).sum(), rel=1e-9)


def test_sweep_covers_the_threshold():
    dims = ldd.sweep_dims(ldd.Config(**ldd.SCALES["smoke"]))
    assert {19, 20, 21} <= set(dims) and dims == sorted(set(dims))


def test_claims_can_fail(smoke_result):
    exp = registry.get("linear-double-descent")
    bad = dict(smoke_result.metrics)
    bad.update(
        max_rel_dev_below=0.3,  # measured risk 30% off the formula
        max_rel_dev_above=0.3,
        peak_d=bad["n"] + 5,  # peak away from the threshold
        ridge_max_risk=bad["peak_risk"],  # ridge as bad as min-norm's peak
        ridge_max_rel_drop=0.2,  # a bump in ridge's curve
        ridge_minus_min_norm_max=0.01,  # ridge worse than min-norm somewhere
    )
    verdicts = {c.id: c.passed for c in exp.evaluate(bad, "cpu")}
    assert not any(verdicts.values()), verdicts


def test_interrupted_sweep_resumes_and_ends_the_same(smoke_result, tmp_path, monkeypatch):
    from mltheory.lab.context import RunContext

    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 5:  # in the fifth value of d
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("linear-double-descent", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("linear-double-descent", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics
    assert (out / "metrics.jsonl").read_text() == (
        smoke_result.out_dir / "metrics.jsonl"
    ).read_text()
