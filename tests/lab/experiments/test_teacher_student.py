"""teacher-student: smoke run, determinism, resume, the theory curves on known values, and
claims that fail with label noise the theory leaves out or with the wrong scaling."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.generalization import teacher_student as ts

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "hebbian-curve": "test_label_noise_leaves_the_hebbian_curve_but_still_collapses",
    "collapse": "test_fixed_n_while_d_grows_does_not_collapse",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("teacher-student", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ts"))


def _verdicts(metrics, scale="cpu"):
    return {c.id: c.passed for c in registry.get("teacher-student").evaluate(metrics, scale)}


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"collapse"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    for curve in m["eps_mean"]:  # more examples, lower error
        assert curve == sorted(curve, reverse=True)
    # Gibbs learning beats Hebb at large α, and Bayes beats Gibbs everywhere.
    assert m["eps_gibbs"][-1] < m["eps_theory"][-1]
    assert all(b < g for b, g in zip(m["eps_bayes"], m["eps_gibbs"], strict=True))
    assert (smoke_result.out_dir / "teacher_student.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("teacher-student", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_interrupted_run_keeps_finished_dimensions(smoke_result, tmp_path, monkeypatch):
    original_log, calls = RunContext.log, []

    def log_then_die(self, **values):
        calls.append(values)
        if len(calls) == 2:  # after the first dimension's phase was checkpointed
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("teacher-student", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("teacher-student", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


def test_theory_on_known_values():
    # α = π/2 gives R = 1/√2 and ε = 1/4 exactly; α → 0 is chance.
    assert ts.hebbian_error(np.array([math.pi / 2]))[0] == pytest.approx(0.25)
    assert ts.hebbian_error(np.array([1e-9]))[0] == pytest.approx(0.5, abs=1e-4)
    # Large α: 1 − R ≈ π/(4α), so ε ≈ sqrt(2(1 − R))/π = 1/sqrt(2πα).
    assert ts.hebbian_error(np.array([1e4]))[0] == pytest.approx(
        1 / math.sqrt(2 * math.pi * 1e4), rel=1e-3
    )
    # The finite-d mean approaches the curve like 1/d.
    gaps = [
        ts.hebbian_error_finite(2 * d, d) - ts.hebbian_error(np.array([2.0]))[0]
        for d in (100, 1000)
    ]
    assert gaps[0] < 0 and gaps[1] == pytest.approx(gaps[0] / 10, rel=0.05)
    # Gibbs and Bayes learning: ε·α → 0.625 and 0.442 (Engel & Van den Broeck).
    r = ts.gibbs_overlap(1000.0)
    assert 1000 * math.acos(r) / math.pi == pytest.approx(0.6247, abs=2e-3)
    assert 1000 * math.acos(math.sqrt(r)) / math.pi == pytest.approx(0.4417, abs=2e-3)


def test_the_finite_d_mean_matches_a_large_simulation():
    """The O(1/d²) expansion against 4 000 Hebbian students at d = 16 (where the finite-d shift
    is largest): agreement within 3 standard errors at every α."""
    alphas = [0.5, 2.0, 8.0]
    ns = [round(a * 16) for a in alphas]
    eps = ts.hebbian_errors(16, ns, 4000, 0.0, torch.Generator().manual_seed(0))
    se = eps.std(0, ddof=1) / math.sqrt(len(eps))
    finite = np.array([ts.hebbian_error_finite(n, 16) for n in ns])
    assert (np.abs(eps.mean(0) - finite) < 3 * se).all()
    # ... while the d → ∞ curve is off by more than the noise there.
    assert (np.abs(eps.mean(0) - ts.hebbian_error(np.array(alphas))) > 3 * se).any()


def test_label_noise_leaves_the_hebbian_curve_but_still_collapses(tmp_path):
    """hebbian-curve: with 20% of the training labels flipped (not in the theory) the student
    learns as if from α(1 − 2p)² clean examples: far above the curve, and the claim fails. The
    curves of different d still collapse (α is still the right variable)."""
    r = runner.run(
        "teacher-student", scale="smoke", seed=0, out=tmp_path / "noise", label_noise=0.2
    )
    verdicts = _verdicts(r.metrics)
    assert verdicts["hebbian-curve"] is False and verdicts["collapse"] is True


def test_fixed_n_while_d_grows_does_not_collapse(tmp_path):
    """collapse: with the same n at every d (n = α·min d), larger d sees a smaller true α and
    a higher error: the curves plotted on one grid do not coincide, and the claim fails."""
    r = runner.run("teacher-student", scale="smoke", seed=0, out=tmp_path / "n", scaling="fixed-n")
    verdicts = _verdicts(r.metrics)
    assert verdicts["collapse"] is False and verdicts["hebbian-curve"] is False


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"alphas": [0.3, 1.0]}, "integer number of examples"),
        ({"label_noise": 0.5}, "label_noise"),
        ({"dims": [16, 16]}, "distinct"),
        ({"trials": 1}, "trials"),
        ({"scaling": "sqrt"}, "scaling"),
    ],
)
def test_config_refuses_bad_input(overrides, message):
    with pytest.raises(BadInput, match=message):
        runner.prepare("teacher-student", "smoke", overrides=overrides)
