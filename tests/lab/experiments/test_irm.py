"""irm: smoke run, the data's construction, the IRMv1 penalty on a known case, negative controls
(no color correlation, no flip, pure-noise labels, penalty weight 0) and config bounds."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.representation import irm

NEGATIVE_CONTROLS = {
    "erm-uses-color": "test_color_uncorrelated_fails_erm_uses_color",
    "erm-fails-under-flip": "test_no_flip_fails_erm_fails_under_flip",
    "oracle-beats-chance": "test_pure_noise_labels_fail_oracle_beats_chance",
    "irm-beats-erm": "test_penalty_weight_zero_fails_irm_claims",
    "irm-beats-chance": "test_penalty_weight_zero_fails_irm_claims",
}


def _verdicts(metrics: dict) -> dict[str, bool]:
    return {c.id: c.passed for c in registry.get("irm").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("irm", scale="smoke", seed=0, out=tmp_path_factory.mktemp("irm"))


def test_smoke_run_shows_erm_on_color(smoke_result):
    m = smoke_result.metrics
    assert len(m["erm_test"]) == m["restarts"] == 2
    assert m["n_train"] == 2 * 599 and m["n_test"] == 599
    verdicts = {c.id: c.passed for c in smoke_result.claims if c.passed is not None}
    assert verdicts == {
        "erm-uses-color": True,
        "erm-fails-under-flip": True,
        "oracle-beats-chance": True,
    }, smoke_result.claims
    assert (smoke_result.out_dir / "irm.png").stat().st_size > 0


def test_colored_environment_has_the_stated_correlations():
    rng = np.random.default_rng(0)
    n = 200_000
    images = np.ones((n, 3), dtype=np.float32)
    digits = rng.integers(0, 10, n)
    x, y = irm.color_environment(images, digits, noise=0.25, flip=0.1, rng=rng)
    clean = (digits >= 5).astype(np.float32)
    color = (x[:, 3] > 0).astype(np.float32)  # the digit sits in channel 1 (green) iff color 1
    assert np.all(x[:, :3].sum(1) + x[:, 3:].sum(1) == 3)  # one channel holds the digit
    assert np.mean(y != clean) == pytest.approx(0.25, abs=0.005)
    assert np.mean(color != y) == pytest.approx(0.1, abs=0.005)


def test_irm_penalty_matches_closed_form():
    """d/dw BCE(w·f, y) at w = 1 is mean((σ(f) − y)·f); zero for the all-zero predictor."""
    f = torch.tensor([0.5, -1.0, 2.0])
    y = torch.tensor([1.0, 0.0, 0.0])
    risk, penalty = irm.irm_penalty(f, y)
    grad = ((torch.sigmoid(f) - y) * f).mean()
    assert float(penalty.detach()) == pytest.approx(float(grad) ** 2, rel=1e-6)
    assert float(irm.irm_penalty(torch.zeros(3), y)[1].detach()) == 0.0


def test_color_uncorrelated_fails_erm_uses_color(tmp_path):
    """Color independent of the label in training (e = 0.5): ERM cannot beat 75% with it, so
    erm-uses-color fails."""
    res = runner.run("irm", scale="smoke", seed=0, out=tmp_path / "c", train_flips=[0.5, 0.5])
    assert _verdicts(res.metrics)["erm-uses-color"] is False


def test_no_flip_fails_erm_fails_under_flip(tmp_path):
    """A test environment with the training correlation (e = 0.1): ERM is not below chance, so
    erm-fails-under-flip fails."""
    res = runner.run("irm", scale="smoke", seed=0, out=tmp_path / "f", test_flip=0.1)
    assert np.mean(res.metrics["erm_test"]) > 0.75
    assert _verdicts(res.metrics)["erm-fails-under-flip"] is False


def test_pure_noise_labels_fail_oracle_beats_chance(tmp_path):
    """Label noise 0.5: shape carries nothing, so oracle-beats-chance fails."""
    res = runner.run("irm", scale="smoke", seed=0, out=tmp_path / "n", label_noise=0.5)
    assert _verdicts(res.metrics)["oracle-beats-chance"] is False


def test_penalty_weight_zero_fails_irm_claims(tmp_path):
    """λ = 0: IRM is ERM from the same initialization on the same data, so irm-beats-erm and
    irm-beats-chance fail."""
    res = runner.run("irm", scale="smoke", seed=0, out=tmp_path / "z", penalty_weight=0.0)
    m = res.metrics
    assert m["irm_test"] == m["erm_test"]
    v = _verdicts(m)
    assert v["irm-beats-erm"] is False and v["irm-beats-chance"] is False


@pytest.mark.parametrize(
    "overrides",
    [{"label_noise": 0.6}, {"test_flip": 1.5}, {"restarts": 1}, {"train_flips": []}],
)
def test_config_bounds(overrides):
    with pytest.raises(BadInput):
        runner.prepare("irm", "smoke", overrides=overrides)


def test_paper_scale_without_mnist_stops_before_work(tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_DATA", str(tmp_path))
    with pytest.raises(BadInput, match="MNIST"):
        runner.run("irm", scale="paper", seed=0, out=tmp_path / "p")
