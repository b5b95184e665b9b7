"""random-labels: smoke run, determinism, CIFAR-10 refused when missing, claims that can fail."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "fits-every-level": "test_too_few_steps_fail_to_fit",
    "chance-at-full-corruption": "test_claims_can_fail",
    "test-error-grows": "test_a_flat_curve_of_binomial_noise_does_not_grow",
    "fit-time-grows": "test_claims_can_fail",
    "fit-time-small-factor": "test_memorizing_a_tiny_set_shows_no_fit_time_trend",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("random-labels", scale="smoke", seed=0, out=tmp_path_factory.mktemp("rl"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"fits-every-level", "chance-at-full-corruption"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["corruption"] == [0.0, 0.2, 0.5, 0.8, 1.0]
    assert all(s is not None for s in m["steps_to_fit"])
    # Clean labels generalize far better than random ones, even at 100 training examples.
    assert m["test_acc"][0] > m["test_acc"][-1] + 0.05
    assert (smoke_result.out_dir / "random_labels.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("random-labels", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("random-labels", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics != smoke_result.metrics  # the seed is used, not ignored


def test_paper_scale_refuses_missing_cifar10_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="CIFAR-10 files not found"):
        runner.prepare("random-labels", "paper", out_dir=tmp_path / "run")
    res = CliRunner().invoke(
        app, ["run", "random-labels", "--scale", "paper", "--out", str(tmp_path / "run")]
    )
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("levels", [[0.2, 0.5, 1.0], [0.0, 0.5], [0.0, 0.8, 0.5, 1.0]])
def test_config_needs_levels_increasing_from_clean_to_random(levels):
    with pytest.raises(BadInput, match="corruptions"):
        runner.prepare("random-labels", "smoke", overrides={"corruptions": levels})


GOOD = {
    "corruption": [0.0, 0.2, 0.5, 0.8, 1.0],
    "steps_to_fit": [2850, 3700, 3800, 3900, 3900],
    "train_acc": [0.991, 0.991, 0.992, 0.991, 0.992],
    "train_loss": [0.05] * 5,
    "test_acc": [0.53, 0.40, 0.27, 0.17, 0.10],
    "n_train": 2000,
    "n_test": 1000,
    "eval_every": 50,
}


def _verdicts(metrics):
    return {c.id: c.passed for c in registry.get("random-labels").evaluate(metrics, "cpu")}


def test_claims_can_fail():
    assert all(_verdicts(GOOD).values())
    bad = dict(
        GOOD,
        steps_to_fit=[3000, 2000, 1500, 1200, 40000],  # falls, then a 13× jump
        train_acc=[0.991, 0.991, 0.992, 0.991, 0.95],  # random labels not fitted
        test_acc=[0.53, 0.40, 0.27, 0.17, 0.14],  # outside chance's 99% envelope at n=1000
    )
    assert _verdicts(bad) == {
        "fits-every-level": False,
        "chance-at-full-corruption": False,
        "test-error-grows": True,
        "fit-time-grows": False,
        "fit-time-small-factor": False,
    }
    # A flat curve (every step within the evaluation interval) is no growth.
    assert _verdicts(dict(GOOD, steps_to_fit=[3000] * 5))["fit-time-grows"] is False
    assert (
        _verdicts(dict(GOOD, steps_to_fit=[3000, 3050, 3000, 3050, 3050]))["fit-time-grows"]
        is False
    )
    not_fitted = _verdicts(dict(GOOD, steps_to_fit=[2850, 3700, 3800, 3900, None]))
    assert not_fitted["fit-time-grows"] is False and not_fitted["fit-time-small-factor"] is False
    # A significant step back up in test accuracy (0.27 → 0.41) is not "rising steadily".
    assert (
        _verdicts(dict(GOOD, test_acc=[0.53, 0.40, 0.27, 0.41, 0.10]))["test-error-grows"] is False
    )


def test_a_flat_curve_of_binomial_noise_does_not_grow():
    """Test accuracies that are pure binomial noise around chance (no effect of corruption)
    pass test-error-grows about 1% of the time (its level), never as a rule."""
    rng = np.random.default_rng(0)
    passes = sum(
        _verdicts(dict(GOOD, test_acc=list(rng.binomial(1000, 0.1, 5) / 1000)))["test-error-grows"]
        for _ in range(100)
    )
    assert passes <= 3


def test_too_few_steps_fail_to_fit(tmp_path):
    r = runner.run("random-labels", scale="smoke", seed=0, out=tmp_path / "short", steps=10)
    assert {c.id: c.passed for c in r.claims}["fits-every-level"] is False


def test_fitting_is_checked_after_the_budget_not_used_to_stop(smoke_result):
    """Every level trains all its steps: training does not stop at the threshold it checks."""
    m = smoke_result.metrics
    assert all(s < 300 for s in m["steps_to_fit"])  # each fitted long before the end ...
    rows = [json.loads(line) for line in (smoke_result.out_dir / "metrics.jsonl").open()]
    assert max(r["step"] for r in rows if "step" in r) == 300  # ... and trained on to the end


def test_memorizing_a_tiny_set_shows_no_fit_time_trend(smoke_result):
    """100 examples are memorized in a few dozen steps at any corruption: random labels take
    no longer to fit than true ones, beyond the resolution, and the claim says so."""
    verdicts = _verdicts(smoke_result.metrics)
    assert verdicts["fit-time-small-factor"] is False


def test_n_train_larger_than_the_dataset_is_bad_input(tmp_path):
    res = CliRunner().invoke(
        app,
        ["run", "random-labels", "--set", "n_train=100000000", "--out", str(tmp_path / "r")],
    )
    assert res.exit_code == 2, res.output
    assert "n_train" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(
        app, ["run", "random-labels", "--set", "n_train=4001", "--out", str(tmp_path / "r")]
    )
    assert res.exit_code == 2 and "has 4000" in " ".join(res.output.split())
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("hidden", [[-5], [0], [100_000], [8] * 9])
def test_hidden_widths_are_bounded(hidden):
    with pytest.raises(BadInput, match="hidden"):
        runner.prepare("random-labels", "smoke", overrides={"hidden": hidden})
