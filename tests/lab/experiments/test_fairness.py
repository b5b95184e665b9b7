"""fairness: smoke run, the claims' negative controls (real cheap runs), config bounds."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "gap-exists": "test_identical_groups_have_no_gap",
    "gap-closed": "test_without_post_processing_nothing_is_closed_or_paid",
    "costs-accuracy": "test_without_post_processing_nothing_is_closed_or_paid",
}


def _verdicts(metrics: dict) -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("fairness").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("fairness", scale="smoke", seed=0, out=tmp_path_factory.mktemp("fair"))


def test_smoke_run_passes_every_claim(smoke_result):
    assert all(c.passed for c in smoke_result.claims), smoke_result.failed_claims
    m = smoke_result.metrics
    # The LP's point is one (FPR, TPR) for both groups on the fitting sample ...
    fpr, tpr = m["lp_operating_point"]
    assert 0 < fpr < tpr < 1
    # ... and the held-out accuracy after is the LP's, up to noise.
    assert m["accuracy_after"] == pytest.approx(m["lp_expected_accuracy"], abs=0.03)
    # Each group's own best thresholds are at least as accurate as one threshold for all.
    assert m["accuracy_unconstrained"] >= m["accuracy_before"] - 0.02
    for name in ("roc_operating_points.png", "gaps.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("fairness", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_identical_groups_have_no_gap(tmp_path):
    """Both groups with the same base rate and the same noise (group 1 still 30% and still
    recognizable by its proxy feature): the single threshold treats them alike, and gap-exists
    fails."""
    r = runner.run(
        "fairness",
        scale="smoke",
        seed=0,
        out=tmp_path / "run",
        base_rates=[0.45, 0.45],
        noise_stds=[1.5, 1.5],
    )
    assert max(abs(r.metrics["tpr_gap_before"]), abs(r.metrics["fpr_gap_before"])) < 0.06
    assert _verdicts(r.metrics)["gap-exists"] is False


def test_without_post_processing_nothing_is_closed_or_paid(tmp_path):
    """equalize=false keeps the single threshold: the gaps stay as they were, so gap-closed
    fails, and no accuracy is paid, so costs-accuracy fails."""
    r = runner.run("fairness", scale="smoke", seed=0, out=tmp_path / "run", equalize=False)
    m = r.metrics
    assert m["tpr_gap_after"] == m["tpr_gap_before"] and m["accuracy_after"] == m["accuracy_before"]
    verdicts = _verdicts(m)
    assert verdicts["gap-exists"] is True  # the gap is there ...
    assert verdicts["gap-closed"] is False  # ... and stays
    assert verdicts["costs-accuracy"] is False


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"base_rates": [0.3]}, "base_rates"),
        ({"base_rates": [0.0, 0.5]}, "base_rates"),
        ({"noise_stds": [1.0, -1.0]}, "noise_stds"),
        ({"group1_fraction": 1.0}, "group1_fraction"),
        ({"n_test": 10}, "n_test"),
        ({"n_thresholds": 2}, "n_thresholds"),
    ],
)
def test_config_bounds_refuse_bad_input(overrides, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("fairness", "smoke", overrides=overrides)
