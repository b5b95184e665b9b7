"""accuracy-on-the-line: smoke run, determinism, a zero shift and noise as negative controls."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.representation import accuracy_on_the_line as aotl

NEGATIVE_CONTROLS = {
    "accuracy-on-the-line": "test_a_shift_that_destroys_the_signal_is_off_the_line",
    "shift-costs-accuracy": "test_a_shift_of_zero_fails_shift_costs_accuracy",
}

# The shifted collection drawn with the training set's own generator parameters: a fresh
# in-distribution sample, i.e. a shift of zero.
NO_SHIFT = {
    "shifted_scale_coeff": 0.4,
    "shifted_corr_noise_scale": 0.25,
    "shifted_iid_noise_scale": 0.02,
    "shifted_shear_scale": 0.75,
}


@pytest.fixture(scope="module")
def cache_in_tmp(tmp_path_factory):
    # MNIST-1D collections are generated and cached: keep the shifted ones out of the user's cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def smoke_result(cache_in_tmp, tmp_path_factory):
    return runner.run(
        "accuracy-on-the-line", scale="smoke", seed=0, out=tmp_path_factory.mktemp("aotl")
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"shift-costs-accuracy"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["n_models"] == 8 == len(m["acc_id"]) == len(m["acc_shift"])
    assert sorted(set(m["width"])) == [16, 64] and sorted(set(m["steps"])) == [100, 300]
    assert 0 <= m["probit_r2"] <= 1
    assert (smoke_result.out_dir / "accuracy_on_the_line.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("accuracy-on-the-line", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("accuracy-on-the-line", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["acc_id"] != smoke_result.metrics["acc_id"]


def test_a_shift_of_zero_fails_shift_costs_accuracy(cache_in_tmp, tmp_path):
    res = runner.run("accuracy-on-the-line", scale="smoke", seed=0, out=tmp_path / "z", **NO_SHIFT)
    verdicts = {c.id: c.passed for c in res.claims}
    assert verdicts["shift-costs-accuracy"] is False, res.claims


def test_a_shift_that_destroys_the_signal_is_off_the_line(cache_in_tmp, tmp_path):
    """A real run whose shifted test set is drowned in noise: every model is near chance there,
    whatever its in-distribution accuracy, so there is no line."""
    res = runner.run(
        "accuracy-on-the-line",
        scale="smoke",
        seed=0,
        out=tmp_path / "drowned",
        shifted_iid_noise_scale=1.0,
        shifted_corr_noise_scale=2.0,
    )
    exp = registry.get("accuracy-on-the-line")
    verdicts = {c.id: c.passed for c in exp.evaluate(res.metrics, "cpu")}
    assert verdicts["accuracy-on-the-line"] is False


def _on_a_line(n_models=27, seed=0):
    """Accuracies on a probit line (slope 0.9, intercept −0.3) with binomial test noise."""
    rng = np.random.default_rng(seed)
    acc_id = rng.uniform(0.25, 0.75, n_models)
    true_shift = aotl.stats.norm.cdf(0.9 * aotl.stats.norm.ppf(acc_id) - 0.3)
    # The metrics no claim reads are left as None (evaluate wants every declared key).
    return dict.fromkeys(aotl.METRICS) | {
        "acc_id": list(rng.binomial(1000, acc_id) / 1000),
        "acc_shift": list(rng.binomial(2000, true_shift) / 2000),
        "n_test_id": 1000,
        "n_test_shift": 2000,
    }


def test_claims_pass_on_a_line_and_fail_on_noise():
    exp = registry.get("accuracy-on-the-line")
    good = _on_a_line()
    assert all(c.passed for c in exp.evaluate(good, "cpu")), exp.evaluate(good, "cpu")
    fit = aotl.probit_fit(good)
    assert fit["slope"] == pytest.approx(0.9, abs=0.1)

    rng = np.random.default_rng(1)
    # Shifted accuracies unrelated to the in-distribution ones: no line.
    noise = dict(good, acc_shift=list(rng.permutation(good["acc_shift"])))
    verdicts = {c.id: c.passed for c in exp.evaluate(noise, "cpu")}
    assert verdicts["accuracy-on-the-line"] is False
    # A flat line: every model gets the same shifted accuracy up to binomial noise.
    flat = dict(good, acc_shift=list(rng.binomial(2000, 0.3, 27) / 2000))
    assert {c.id: c.passed for c in exp.evaluate(flat, "cpu")}["accuracy-on-the-line"] is False
    # No shift: shifted accuracy equals in-distribution accuracy up to binomial noise.
    same = dict(good, acc_shift=list(rng.binomial(2000, good["acc_id"]) / 2000))
    assert {c.id: c.passed for c in exp.evaluate(same, "cpu")}["shift-costs-accuracy"] is False


def test_probit_keeps_perfect_and_zero_accuracy_finite():
    p = aotl.probit(np.array([0.0, 0.5, 1.0]), 1000)
    assert np.all(np.isfinite(p)) and p[1] == 0 and p[0] == pytest.approx(-p[2])


@pytest.mark.parametrize(
    "override, field",
    [
        ({"widths": [32, 8]}, "widths"),
        ({"n_trains": [250, 5000]}, "n_trains"),
        ({"shifted_shear_scale": float("nan")}, "shifted_shear_scale"),
        ({"lengths": [0, 10]}, "lengths"),
    ],
)
def test_bad_config_is_refused(override, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("accuracy-on-the-line", "smoke", overrides=override)
