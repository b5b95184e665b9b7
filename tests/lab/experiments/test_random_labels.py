"""random-labels: smoke run, determinism, CIFAR-10 refused when missing, claims that can fail."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput


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


def test_claims_can_fail():
    exp = registry.get("random-labels")
    good = {
        "corruption": [0.0, 0.2, 0.5, 0.8, 1.0],
        "steps_to_fit": [2850, 3700, 3800, 3900, 3900],
        "train_acc": [0.991, 0.991, 0.992, 0.991, 0.992],
        "test_acc": [0.53, 0.40, 0.27, 0.17, 0.10],
        "n_test": 1000,
        "eval_every": 50,
    }
    assert all(c.passed for c in exp.evaluate(good, "cpu"))
    bad = dict(
        good,
        steps_to_fit=[3000, 2000, 1500, 1200, 40000],  # falls, then a 13× jump
        train_acc=[0.991, 0.991, 0.992, 0.991, 0.95],  # random labels not fitted
        test_acc=[0.53, 0.40, 0.27, 0.17, 0.14],  # 4 standard errors above chance at n=1000
    )
    verdicts = {c.id: c.passed for c in exp.evaluate(bad, "cpu")}
    assert verdicts == {
        "fits-every-level": False,
        "chance-at-full-corruption": False,
        "test-error-grows": True,
        "fit-time-grows": False,
        "fit-time-small-factor": False,
    }
    not_fitted = dict(good, steps_to_fit=[2850, 3700, 3800, 3900, None])
    verdicts = {c.id: c.passed for c in exp.evaluate(not_fitted, "cpu")}
    assert verdicts["fit-time-grows"] is False and verdicts["fit-time-small-factor"] is False
    flat = dict(good, test_acc=[0.53, 0.40, 0.41, 0.17, 0.10])
    assert {c.id: c.passed for c in exp.evaluate(flat, "cpu")}["test-error-grows"] is False
