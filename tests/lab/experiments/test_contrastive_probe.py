"""contrastive-probe: smoke run, determinism, NT-Xent, and a negative control per claim."""

from __future__ import annotations

import math

import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.representation import contrastive_probe as cp

NEGATIVE_CONTROLS = {
    "probe-beats-raw-inputs": "test_claims_fail_on_their_negative_controls",
    "pretraining-helps": "test_a_run_without_pretraining_fails_the_pretraining_claims",
    "approaches-supervised": "test_a_run_without_pretraining_fails_the_pretraining_claims",
    "rrr-gap-is-memorization": "test_claims_fail_on_their_negative_controls",
}


@pytest.fixture(scope="module")
def cache_in_tmp(tmp_path_factory):
    # MNIST-1D is generated and cached: keep it out of the user's cache.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="module")
def smoke_result(cache_in_tmp, tmp_path_factory):
    return runner.run("contrastive-probe", scale="smoke", seed=0, out=tmp_path_factory.mktemp("cp"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"probe-beats-raw-inputs"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["probe_steps"] == [0, 150, 300] and len(m["probe_test"]) == 3
    # The three RRR terms add up to the noisy-label probe's generalization gap (an identity):
    # each is a difference of measured accuracies, so all are within [-1, 1].
    assert all(-1 <= m[k] <= 1 for k in ("rrr_robustness", "rrr_memorization", "rrr_rationality"))
    assert (smoke_result.out_dir / "contrastive_probe.png").stat().st_size > 0


def test_a_run_without_pretraining_fails_the_pretraining_claims(cache_in_tmp, tmp_path):
    """A real run with one contrastive step: its probe is the untrained encoder's."""
    res = runner.run(
        "contrastive-probe", scale="smoke", seed=0, out=tmp_path / "none", steps=1, probe_points=2
    )
    verdicts = {
        c.id: c.passed for c in registry.get("contrastive-probe").evaluate(res.metrics, "cpu")
    }
    assert verdicts["pretraining-helps"] is False
    assert verdicts["approaches-supervised"] is False


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("contrastive-probe", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics


def test_nt_xent_rewards_matching_views():
    torch.manual_seed(0)
    z = torch.randn(8, 16)
    aligned = cp.nt_xent(torch.cat([z, z + 0.01 * torch.randn(8, 16)]), 0.2)
    unrelated = cp.nt_xent(torch.cat([z, torch.randn(8, 16)]), 0.2)
    assert float(aligned) < float(unrelated)
    # Perfectly matched, mutually orthogonal pairs: the loss approaches its floor
    # log(1 + (2B − 2)·e^{−1/τ}) as τ → 0; at τ = 0.05 it is essentially 0.
    eye = torch.eye(8)
    assert float(cp.nt_xent(torch.cat([eye, eye]), 0.05)) < 1e-6
    assert float(cp.nt_xent(torch.cat([eye, eye]), 1.0)) == pytest.approx(
        math.log(math.e + 14) - 1, rel=1e-5
    )


def test_augmentations_keep_shape_and_vary(tmp_path):
    cfg = cp.Config()
    x = torch.randn(5, 40)
    a = cp.augment(x, cfg, torch.Generator().manual_seed(0))
    b = cp.augment(x, cfg, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and not torch.allclose(a, b)
    still = cp.Config(max_shift=0, stretch=0.0, amplitude=0.0, noise=0.0)
    assert torch.allclose(cp.augment(x, still, torch.Generator().manual_seed(0)), x)


# The metrics no claim reads are left as None (evaluate wants every declared key).
GOOD = dict.fromkeys(cp.METRICS) | {
    "probe_steps": [0, 1500, 3000],
    "probe_train": [0.56, 0.64, 0.67],
    "probe_test": [0.42, 0.55, 0.59],
    "raw_probe_test": 0.33,
    "supervised_train": 0.99,
    "supervised_test": 0.72,
    "rrr_robustness": 0.01,
    "rrr_memorization": 0.05,
    "rrr_rationality": 0.0,
    "noised_labels": 180,
    "n_train": 4000,
    "n_test": 1000,
}


def test_claims_fail_on_their_negative_controls():
    exp = registry.get("contrastive-probe")

    def verdicts(m):
        return {c.id: c.passed for c in exp.evaluate(m, "cpu")}

    assert all(verdicts(GOOD).values())
    # No pretraining at all (the probe curve is flat at the random encoder's accuracy).
    flat = dict(GOOD, probe_train=[0.56] * 3, probe_test=[0.42] * 3)
    assert verdicts(flat)["pretraining-helps"] is False
    assert verdicts(flat)["approaches-supervised"] is False  # closes 23% of the gap
    # A probe no better than raw inputs beyond noise (within ±4 points at n=1000).
    assert verdicts(dict(GOOD, raw_probe_test=0.57))["probe-beats-raw-inputs"] is False
    # A probe whose fit on the kept points moves when a few labels are noised (robustness gap
    # of 5 points, envelope ≈ 2), or which predicts the noised points' true labels far better
    # than test points (rationality gap of 12 points, envelope ≈ 7.6).
    assert verdicts(dict(GOOD, rrr_robustness=0.05))["rrr-gap-is-memorization"] is False
    assert verdicts(dict(GOOD, rrr_rationality=0.12))["rrr-gap-is-memorization"] is False


@pytest.mark.parametrize(
    "override, field",
    [({"temperature": 0.0}, "temperature"), ({"stretch": float("nan")}, "stretch")],
)
def test_bad_config_is_refused(override, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("contrastive-probe", "smoke", overrides=override)
