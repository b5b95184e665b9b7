"""simplicity-bias: smoke run, determinism, the mutual-information estimates, claims that can fail."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import mutual_info_score

from mltheory.lab import registry, runner
from mltheory.lab.experiments.dynamics import simplicity_bias as sb

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "linear-phase-agreement": "test_claims_can_fail",
    "linear-phase-explained": "test_claims_can_fail",
    "retains-linear": "test_claims_can_fail",
    "beyond-linear": "test_too_few_steps_never_go_beyond_linear",
    "cmi-grows": "test_too_few_steps_never_go_beyond_linear",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("simplicity-bias", scale="smoke", seed=0, out=tmp_path_factory.mktemp("sb"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"linear-phase-agreement", "linear-phase-explained"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["linear_phase_steps"] is not None
    assert 0.55 < m["linear_acc"] < 0.8  # digits 0–4 vs 5–9 is far from linearly separable
    assert (smoke_result.out_dir / "simplicity_bias.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("simplicity-bias", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("simplicity-bias", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics != smoke_result.metrics  # the seed is used, not ignored


def test_conditional_mutual_information_of_known_joints():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 4000)
    # F a copy of L: nothing beyond L, whatever L knows about Y.
    lin = np.where(rng.random(4000) < 0.8, y, 1 - y)
    assert sb.conditional_mutual_information(lin, y, lin) == pytest.approx(0.0, abs=1e-12)
    # L constant: conditioning on it changes nothing.
    f = np.where(rng.random(4000) < 0.9, y, 1 - y)
    const = np.zeros(4000, dtype=int)
    assert sb.conditional_mutual_information(f, y, const) == pytest.approx(mutual_info_score(y, f))
    # F = Y and L independent of Y: F tells everything, I(F;Y|L) = H(Y) = ln 2 nats.
    noise = rng.integers(0, 2, 4000)
    assert sb.conditional_mutual_information(y, y, noise) == pytest.approx(math.log(2), abs=2e-3)


def test_claims_can_fail(smoke_result):
    exp = registry.get("simplicity-bias")
    good = dict(
        smoke_result.metrics,
        final_acc=0.74,
        final_cmi=0.14,
        final_mu=0.035,
        linear_phase_mu=0.045,
        only_network_right=150,  # of the 1000 test points, a McNemar p far below 0.01
        only_linear_right=50,
    )
    assert all(c.passed for c in exp.evaluate(good, "cpu"))
    bad = dict(
        good,
        linear_phase_agreement=0.6,  # near what two unrelated 64%-accurate classifiers share
        linear_phase_cmi=0.5 * good["linear_phase_mi"],  # half of F's knowledge beyond L
        final_acc=good["linear_acc"] + 0.01,  # never clearly beyond linear
        final_cmi=0.5 * good["linear_phase_mi"] + 0.01,
        final_mu=0.1 * good["linear_phase_mu"],  # forgot what L explains
    )
    assert not any(c.passed for c in exp.evaluate(bad, "cpu"))
    # Forgetting what the linear classifier explains, and nothing else, fails retains-linear.
    forgot = dict(good, final_mu=0.1 * good["linear_phase_mu"])
    assert {c.id: c.passed for c in exp.evaluate(forgot, "cpu")}["retains-linear"] is False
    # A 5-point gain that the paired test cannot tell from noise (60 vs 45 disagreements won).
    noisy_gain = dict(good, only_network_right=60, only_linear_right=45)
    verdicts = {c.id: c.passed for c in exp.evaluate(noisy_gain, "cpu")}
    assert verdicts["beyond-linear"] is False
    # No linear phase at all (the network never reached L's accuracy): the claims fail.
    never = dict(good, linear_phase_agreement=float("nan"), linear_phase_cmi=float("nan"))
    verdicts = {c.id: c.passed for c in exp.evaluate(never, "cpu")}
    assert verdicts["linear-phase-agreement"] is False
    assert verdicts["linear-phase-explained"] is False


def test_too_few_steps_never_go_beyond_linear(smoke_result):
    """200 SGD steps reach the linear phase only: the claims about what comes after it fail."""
    verdicts = {
        c.id: c.passed
        for c in registry.get("simplicity-bias").evaluate(smoke_result.metrics, "cpu")
    }
    assert verdicts["beyond-linear"] is False and verdicts["cmi-grows"] is False
