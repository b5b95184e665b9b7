"""adversarial: smoke run, the claims' negative controls, MNIST refused when absent, bounds."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import attacks, plan, registry, runner
from mltheory.lab.errors import BadInput

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "fgsm-fools-standard": "test_no_radius_no_drop",
    "pgd-stronger-than-fgsm": "test_no_radius_no_drop",
    "adversarial-training-resists-pgd": "test_adversarial_training_without_attack_steps",
    "robustness-costs-clean-accuracy": "test_a_small_training_radius_costs_no_accuracy",
    "attacks-stay-in-the-ball": "test_an_attack_without_projection_leaves_the_ball",
}

# Cheaper than smoke for the controls: they only need the effect to be absent.
QUICK = {"steps": 100, "eval_every": 100, "eps_grid": [0.0, 0.25]}


def _verdicts(metrics: dict) -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("adversarial").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("adversarial", scale="smoke", seed=0, out=tmp_path_factory.mktemp("adv"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"fgsm-fools-standard", "attacks-stay-in-the-ball"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # Every accuracy stands beside its attack's strength; ε = 0 in the grid is the clean input.
    assert len(m["attacks"]) == len(m["attack_eps"]) == len(m["standard_acc"]) == 3
    assert m["attack_steps"] == [0, 1, 10] and m["attack_step_size"][1] == m["attack_eps"][1]
    assert m["standard_fgsm_by_eps"][0] == m["standard_pgd_by_eps"][0] == m["standard_acc"][0]
    for name in ("accuracy_vs_eps", "examples"):
        assert (smoke_result.out_dir / f"{name}.png").stat().st_size > 0


def test_no_radius_no_drop(tmp_path):
    """ε = 0: FGSM and PGD return the clean input, so neither fgsm-fools-standard nor
    pgd-stronger-than-fgsm can find a drop."""
    r = runner.run("adversarial", scale="smoke", seed=0, out=tmp_path / "r", eps=0.0, **QUICK)
    assert r.metrics["standard_clean_vs_fgsm"] == [0, 0]
    assert r.metrics["standard_fgsm_vs_pgd"] == [0, 0]
    v = _verdicts(r.metrics)
    assert v["fgsm-fools-standard"] is False and v["pgd-stronger-than-fgsm"] is False


def test_adversarial_training_without_attack_steps(tmp_path):
    """PGD with 0 steps trains on random points of the ball (noise augmentation): two points
    of PGD accuracy, far from adversarial-training-resists-pgd's 10."""
    r = runner.run(
        "adversarial",
        scale="smoke",
        seed=0,
        out=tmp_path / "r",
        train_pgd_steps=0,
        eps_grid=QUICK["eps_grid"],
    )
    assert _verdicts(r.metrics)["adversarial-training-resists-pgd"] is False


def test_a_small_training_radius_costs_no_accuracy(tmp_path):
    """Adversarial training at ε = 0.05, where the digits need no trade-off (the cpu-scale
    development runs: none up to ε = 0.2), leaves clean accuracy within noise:
    robustness-costs-clean-accuracy fails."""
    r = runner.run(
        "adversarial",
        scale="smoke",
        seed=0,
        out=tmp_path / "r",
        train_eps=0.05,
        train_pgd_step_size=0.025,
        eps_grid=QUICK["eps_grid"],
    )
    assert _verdicts(r.metrics)["robustness-costs-clean-accuracy"] is False


def test_an_attack_without_projection_leaves_the_ball(tmp_path, monkeypatch):
    """With projection switched off, PGD's steps add up beyond ε and the sanity check
    attacks-stay-in-the-ball catches it."""
    monkeypatch.setattr(attacks, "project", lambda x_adv, x, eps, clamp: x_adv)
    r = runner.run("adversarial", scale="smoke", seed=0, out=tmp_path / "r", **QUICK)
    assert r.metrics["max_ball_violation"] > 0.1
    assert _verdicts(r.metrics)["attacks-stay-in-the-ball"] is False


def test_claims_on_the_smoke_metrics_fail_where_the_effects_are_reversed(smoke_result):
    m = dict(smoke_result.metrics)
    a, b = m["clean_standard_vs_adversarial"]
    flipped = dict(m, clean_standard_vs_adversarial=[b, a], pgd_adversarial_vs_standard=[3, 1])
    v = _verdicts(flipped)
    assert v["robustness-costs-clean-accuracy"] is False
    assert v["adversarial-training-resists-pgd"] is False


def test_paper_scale_refuses_missing_mnist_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="MNIST files not found"):
        runner.prepare("adversarial", "paper", out_dir=tmp_path / "run")
    res = CliRunner().invoke(
        app, ["run", "adversarial", "--scale", "paper", "--out", str(tmp_path / "run")]
    )
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "run").exists()
    p = plan("adversarial", "paper")
    assert not p.data[0].present and p.gpu is not None
    assert p.cpu.seconds > 100 * plan("adversarial", "smoke").cpu.seconds


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"eps": -0.1}, "eps"),
        ({"eps_grid": [0.0, 0.2, 0.1]}, "eps_grid"),
        ({"pgd_steps": 0}, "pgd_steps"),
        ({"hidden": [0]}, "hidden"),
        (
            {"steps": 1_000_000, "train_pgd_steps": 1000, "dataset": "mnist", "model": "cnn"},
            "floating-point operations",
        ),
    ],
)
def test_config_refuses_bad_input(overrides, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("adversarial", "smoke", overrides=overrides)
