"""grokking: smoke run, the Fourier measurement on known cases, resume, and claims that fail."""

from __future__ import annotations

import numpy as np
import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.interpretability import grokking as gk

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "memorizes-first": "test_with_most_of_the_table_for_training_there_is_no_delay",
    "groks": "test_too_few_steps_neither_fit_nor_grok",
    "no-wd-memorizes": "test_too_few_steps_neither_fit_nor_grok",
    "needs-weight-decay": "test_with_weight_decay_in_both_runs_the_control_groks_too",
    "wd-beats-control": "test_with_weight_decay_in_both_runs_the_control_groks_too",
    "fourier-sparse": "test_too_few_steps_neither_fit_nor_grok",
}


def _verdicts(metrics):
    return {c.id: c.passed for c in registry.get("grokking").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("grokking", scale="smoke", seed=0, out=tmp_path_factory.mktemp("gk"))


@pytest.fixture(scope="module")
def both_decay(tmp_path_factory):
    """90% of the table for training and weight decay 1 in both runs: groks within smoke's
    300 steps, and the 'control' is the same run."""
    return runner.run(
        "grokking",
        scale="smoke",
        seed=0,
        out=tmp_path_factory.mktemp("gk-both"),
        train_fraction=0.9,
        control_weight_decay=1.0,
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"no-wd-memorizes"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["memorize_step_wd"] is not None and m["final_train_acc_wd"] == 1.0
    assert m["steps_run_control"] == 300 and len(m["steps_control"]) == 31
    assert len(m["fourier_power_wd"]) == 11  # frequencies 1..11 of Z_23
    for name in ("grokking.png", "fourier_embedding.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_both_runs_start_from_the_same_weights(smoke_result):
    m = smoke_result.metrics
    assert m["param_norm_wd"][0] == m["param_norm_control"][0]
    assert m["train_acc_wd"][0] == m["train_acc_control"][0]


def test_interrupted_run_resumes_exactly(smoke_result, tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original_log = RunContext.log
    calls = {"n": 0}

    def log_then_die(self, **values):
        calls["n"] += 1
        if calls["n"] == 40:  # inside the run without weight decay
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("grokking", scale="smoke", seed=0, out=out)
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("grokking", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics


def test_fourier_power_finds_a_pure_frequency_and_keeps_parseval():
    rng = np.random.default_rng(0)
    for p in (23, 24):
        a = np.arange(p)[:, None]
        u, w = rng.standard_normal((2, 1, 8))
        pure = np.cos(2 * np.pi * 3 * a / p) * u + np.sin(2 * np.pi * 3 * a / p) * w + 5.0
        power = gk.fourier_power(pure)
        assert len(power) == p // 2
        assert np.argmax(power) == 2 and gk.top_share(power, 1) == pytest.approx(1.0)
        # Parseval: the frequencies 1..⌊p/2⌋ hold p·‖E − mean‖² (the constant 5 is k = 0).
        e = rng.standard_normal((p, 8))
        centred = ((e - e.mean(0)) ** 2).sum()
        assert gk.fourier_power(e).sum() == pytest.approx(p * centred)


def test_the_null_of_random_matrices_concentrates_at_k_over_the_frequencies():
    rng = np.random.default_rng(0)
    # Wide matrices: every frequency holds about the same share, 1/5 at p = 11.
    q = gk.null_top_share_quantile(11, 4000, 1, 200, rng)
    assert 0.2 < q < 0.23
    narrow = [gk.null_top_share_quantile(47, 64, k, 300, rng) for k in (1, 4, 8)]
    assert narrow == sorted(narrow) and narrow[1] > 4 / 23


def test_config_refuses_inconsistent_shapes():
    with pytest.raises(BadInput, match="n_heads"):
        runner.prepare("grokking", "smoke", overrides={"d_model": 30, "n_heads": 4})
    with pytest.raises(BadInput, match="top_k"):
        runner.prepare("grokking", "smoke", overrides={"top_k": 11})
    with pytest.raises(BadInput, match="p"):
        runner.prepare("grokking", "smoke", overrides={"p": 2})
    with pytest.raises(BadInput, match="floating-point operations"):
        runner.prepare("grokking", "paper", overrides={"max_steps": 1_000_000, "d_model": 1024})


def test_too_few_steps_neither_fit_nor_grok(tmp_path):
    """20 steps: no run fits its training set (no-wd-memorizes), none generalizes (groks), and
    the embedding is still nearly a random matrix (fourier-sparse)."""
    r = runner.run("grokking", scale="smoke", seed=0, out=tmp_path / "short", max_steps=20)
    v = _verdicts(r.metrics)
    assert v["groks"] is False and v["no-wd-memorizes"] is False
    assert v["fourier-sparse"] is False


def test_with_most_of_the_table_for_training_there_is_no_delay(both_decay):
    """With 90% of the equations for training, test accuracy follows train accuracy within a
    few times the steps: memorizes-first fails."""
    m = both_decay.metrics
    assert m["grok_step_wd"] is not None and m["grok_delay_ratio"] < gk.DELAY_RATIO
    assert _verdicts(m)["memorizes-first"] is False


def test_with_weight_decay_in_both_runs_the_control_groks_too(both_decay):
    """The comparison run given weight decay groks as well: needs-weight-decay and
    wd-beats-control fail."""
    v = _verdicts(both_decay.metrics)
    assert both_decay.metrics["max_test_acc_control"] >= 0.95
    assert v["needs-weight-decay"] is False and v["wd-beats-control"] is False
