"""transfer: smoke run, determinism, and negative controls (no adaptation, no shift, noise)."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.representation import transfer

# The OOD collection drawn with the target collection's own nuisance spread: a shift of zero.
NEGATIVE_CONTROLS = {
    "fine-tuning-wins-in-distribution": "test_no_adaptation_fails_fine_tuning_wins",
    "probe-wins-under-shift": "test_a_shift_of_zero_fails_probe_wins_under_shift",
}

NO_SHIFT = {"ood_max_translation": 8, "ood_shear_scale": 0.2, "ood_scale_coeff": 0.1}


@pytest.fixture(scope="module")
def cache_in_tmp(tmp_path_factory):
    # MNIST-1D collections are generated and cached: keep these out of the user's cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def smoke_result(cache_in_tmp, tmp_path_factory):
    return runner.run("transfer", scale="smoke", seed=0, out=tmp_path_factory.mktemp("tr"))


def test_smoke_run_measures_all_four_accuracies(smoke_result):
    m = smoke_result.metrics
    for key in ("lp_id", "lp_ood", "ft_id", "ft_ood", "pretrained_id", "pretrained_ood"):
        assert len(m[key]) == m["replicates"] == 3
        assert all(0.1 < a <= 1 for a in m[key]), (key, m[key])  # every model learned something
    # The gaps are wide enough to check even at smoke scale (seeds 0, 1, 2 all pass there).
    verdicts = {c.id: c.passed for c in smoke_result.claims}
    assert verdicts == {
        "fine-tuning-wins-in-distribution": True,
        "probe-wins-under-shift": True,
    }, smoke_result.claims
    assert (smoke_result.out_dir / "transfer.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("transfer", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("transfer", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["ft_id"] != smoke_result.metrics["ft_id"]


def test_no_adaptation_fails_fine_tuning_wins(cache_in_tmp, tmp_path):
    """Zero probe / fine-tuning steps: both keep the same fresh random head, so neither wins."""
    res = runner.run("transfer", scale="smoke", seed=0, out=tmp_path / "none", adapt_steps=0)
    m = res.metrics
    assert m["ft_id"] == pytest.approx(m["lp_id"])
    verdicts = {c.id: c.passed for c in registry.get("transfer").evaluate(m, "cpu")}
    assert verdicts == {"fine-tuning-wins-in-distribution": False, "probe-wins-under-shift": False}


def test_a_shift_of_zero_fails_probe_wins_under_shift(cache_in_tmp, tmp_path):
    res = runner.run("transfer", scale="smoke", seed=0, out=tmp_path / "z", **NO_SHIFT)
    verdicts = {c.id: c.passed for c in registry.get("transfer").evaluate(res.metrics, "cpu")}
    assert verdicts["probe-wins-under-shift"] is False
    assert verdicts["fine-tuning-wins-in-distribution"] is True


def test_claims_fail_when_the_gain_is_within_noise():
    exp = registry.get("transfer")
    # The metrics no claim reads are left as None (evaluate wants every declared key).
    good = dict.fromkeys(transfer.METRICS) | {
        "lp_id": [0.78, 0.79, 0.80, 0.77, 0.79],
        "ft_id": [0.84, 0.85, 0.85, 0.83, 0.86],
        "lp_ood": [0.45, 0.43, 0.46, 0.44, 0.42],
        "ft_ood": [0.33, 0.35, 0.34, 0.36, 0.33],
        "n_test_id": 800,
        "n_test_ood": 2000,
    }
    assert all(c.passed for c in exp.evaluate(good, "cpu"))
    # Differences of noise: replicate spread swamps a mean gain of 0.01.
    noisy = dict(good, ft_id=[0.70, 0.88, 0.76, 0.86, 0.80], ft_ood=[0.50, 0.30, 0.46, 0.38, 0.44])
    assert not any(c.passed for c in exp.evaluate(noisy, "cpu"))
    # A consistent gain smaller than the test sets' binomial envelope (≈ 4 points at n=800).
    tiny = dict(good, ft_id=[a + 0.01 for a in good["lp_id"]])
    verdicts = {c.id: c.passed for c in exp.evaluate(tiny, "cpu")}
    assert verdicts["fine-tuning-wins-in-distribution"] is False
    g = transfer.paired_gain(tiny["ft_id"], tiny["lp_id"], 800)
    assert g["lower_97.5"] > 0 and g["gain"] < g["binomial_95"]


@pytest.mark.parametrize(
    "override, field",
    [
        ({"replicates": 1}, "replicates"),
        ({"target_shear_scale": float("inf")}, "target_shear_scale"),
        ({"n_target": 5000}, "n_target"),
    ],
)
def test_bad_config_is_refused(override, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("transfer", "smoke", overrides=override)
