"""linear-double-descent: smoke run, determinism, the exact formulas, and claims that can fail."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.experiments.generalization import linear_double_descent as ldd

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "formula-below": "test_the_formula_claims_reject_a_formula_for_the_wrong_noise",
    "formula-above": "test_the_formula_claims_reject_a_formula_for_the_wrong_noise",
    "peak-at-threshold": "test_without_label_noise_there_is_no_peak",
    "ridge-no-peak": "test_the_ridge_claims_reject_min_norms_curve",
    "ridge-monotone": "test_the_ridge_claims_reject_min_norms_curve",
    "ridge-dominates": "test_a_mistuned_ridge_fails_ridge_dominates",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run(
        "linear-double-descent", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ldd")
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} >= {
        "peak-at-threshold",
        "ridge-no-peak",
        "ridge-dominates",
    }
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


def _verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("linear-double-descent").evaluate(metrics, scale)}


def test_the_formula_claims_reject_a_formula_for_the_wrong_noise(smoke_result):
    """The measured risks must not match the exact formula written for σ = 0.8 instead of 1:
    the tolerance is tight enough to tell a 20% error in the noise level (36% in σ²)."""
    m = smoke_result.metrics
    assert _verdicts(m)["formula-below"] and _verdicts(m)["formula-above"]
    wrong = dict(
        m,
        **{
            f"formula_{side}": [
                ldd.min_norm_excess_risk_formula(m["n"], d, 0.8, m["signal_norm"])
                for d in m[f"d_{side}"]
            ]
            for side in ("below", "above")
        },
    )
    verdicts = _verdicts(wrong)
    assert verdicts["formula-below"] is False and verdicts["formula-above"] is False


def test_without_label_noise_there_is_no_peak(tmp_path):
    """The peak is the noise's variance blowing up at d = n: with σ → 0 the risk is the bias
    alone, which rises with d, and the peak claim must fail (on the median, finite at d = n)."""
    r = runner.run(
        "linear-double-descent", scale="smoke", seed=0, out=tmp_path / "quiet", noise_std=0.001
    )
    verdicts = {c.id: c.passed for c in r.claims}
    assert verdicts["peak-at-threshold"] is False
    assert r.metrics["min_norm_median"][-1] == max(r.metrics["min_norm_median"])
    # Theory says optimal ridge still dominates there; Monte Carlo noise must not fail it.
    assert verdicts["ridge-dominates"] is True


def test_the_ridge_claims_reject_min_norms_curve(smoke_result):
    m = smoke_result.metrics
    as_ridge = dict(m, ridge_risk=m["min_norm_median"])  # a curve with a peak at d = n
    verdicts = _verdicts(as_ridge)
    assert verdicts["ridge-no-peak"] is False and verdicts["ridge-monotone"] is False


def test_a_mistuned_ridge_fails_ridge_dominates(tmp_path):
    r = runner.run(
        "linear-double-descent", scale="smoke", seed=0, out=tmp_path / "mistuned", ridge_scale=100
    )
    assert {c.id: c.passed for c in r.claims}["ridge-dominates"] is False


def test_bump_at_measures_a_peak_against_its_neighbours():
    assert ldd.bump_at([1, 2, 3], [1.0, 2.0, 3.0], 2, 1) == pytest.approx(0.0)
    assert ldd.bump_at([1, 2, 3], [1.0, 4.0, 3.0], 2, 1) == pytest.approx(1.0)
    assert math.isnan(ldd.bump_at([1, 3], [1.0, 3.0], 2, 1))


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
