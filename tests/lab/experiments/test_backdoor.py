"""backdoor: smoke run, the claims' negative controls (no poison, poison without the trigger, a
saturated backdoor), the bounds the claims use, MNIST refused when absent, config bounds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from mltheory.cli import app
from mltheory.lab import plan, registry, runner
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.robustness import backdoor as bd

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "backdoor-succeeds": "test_poisoning_without_the_trigger_plants_no_backdoor",
    "clean-accuracy-kept": "test_poisoning_without_the_trigger_plants_no_backdoor",
    "success-grows-with-fraction": "test_a_saturated_backdoor_does_not_grow",
}


def _verdicts(metrics: dict) -> dict[str, bool | None]:
    return {c.id: c.passed for c in registry.get("backdoor").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("backdoor", scale="smoke", seed=0, out=tmp_path_factory.mktemp("bd"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"backdoor-succeeds"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert m["n_poisoned"] == [0, 135, 269] and m["n_triggered"] < m["n_test"]
    for name in ("backdoor", "triggered_examples"):
        assert (smoke_result.out_dir / f"{name}.png").stat().st_size > 0


def test_no_poison_no_success(smoke_result):
    """Poisoned fraction 0: the unpoisoned network sends almost no triggered image to the
    target, and backdoor-succeeds, fed its measurements in place of a poisoned network's,
    fails."""
    m = smoke_result.metrics
    assert m["n_poisoned"][0] == 0 and m["attack_success"][0] < 0.05
    as_if = dict(
        m,
        attack_success=[m["attack_success"][0]] * 3,
        attack_success_lower=[m["attack_success_lower"][0]] * 3,
    )
    assert _verdicts(as_if)["backdoor-succeeds"] is False


def test_poisoning_without_the_trigger_plants_no_backdoor(tmp_path):
    """The same images relabelled as the target but not stamped (label flipping): triggered test
    images are not sent to the target (backdoor-succeeds fails), and the flipped labels cost
    clean accuracy (clean-accuracy-kept fails)."""
    r = runner.run("backdoor", scale="smoke", seed=0, out=tmp_path / "r", poison_with_trigger=False)
    assert "NOT" in r.metrics["trigger"]
    v = _verdicts(r.metrics)
    assert v["backdoor-succeeds"] is False
    assert v["clean-accuracy-kept"] is False


def test_a_saturated_backdoor_does_not_grow(tmp_path):
    """With every poisoned fraction already past saturation there is no growth to find:
    success-grows-with-fraction fails while backdoor-succeeds still passes."""
    r = runner.run("backdoor", scale="smoke", seed=0, out=tmp_path / "r", fractions=[0, 0.2, 0.3])
    v = _verdicts(r.metrics)
    assert v["success-grows-with-fraction"] is False
    assert v["backdoor-succeeds"] is True


def test_stamp_writes_the_pattern_one_pixel_from_the_corner():
    x = torch.zeros(2, 64)
    out = bd.stamp(x, torch.tensor(bd.TRIGGERS["checkerboard"]), 8).reshape(2, 8, 8)
    assert out[:, 4:7, 4:7].tolist() == [bd.TRIGGERS["checkerboard"]] * 2
    assert out.sum() == 2 * 5  # nothing else written
    assert x.sum() == 0  # the input is left alone
    square = bd.stamp(torch.zeros(1, 1, 8, 8), torch.tensor(bd.TRIGGERS["square"]), 8)
    assert square.shape == (1, 1, 8, 8) and square[0, 0, 5:7, 5:7].sum() == 4


def test_poison_relabels_the_first_non_target_images_in_order():
    cfg = bd.Config(**bd.SCALES["smoke"])
    data = bd.load_data(cfg)
    candidates = torch.nonzero(data.y_train != cfg.target_class).squeeze(1)
    order = candidates.flip(0)
    pattern = torch.tensor(bd.TRIGGERS[cfg.trigger])
    x, y = bd.poison(cfg, data, order, 5, pattern)
    changed = torch.nonzero((x != data.x_train).any(1)).squeeze(1)
    assert sorted(changed.tolist()) == sorted(order[:5].tolist())
    assert (y[order[:5]] == cfg.target_class).all() and (
        y[order[5:]] == data.y_train[order[5:]]
    ).all()


def test_the_claims_bounds_have_their_stated_coverage():
    rng = np.random.default_rng(0)
    # Clopper–Pearson: a 99% lower bound is above the true rate in at most ~1% of samples.
    n, rate = 400, 0.93
    hits = rng.binomial(n, rate, size=2000)
    above = np.mean([bd.asr_lower_bound(int(h), n) > rate for h in hits])
    assert above <= 0.015
    # Paired drop: two classifiers with equal accuracy, 20 discordant points expected out of
    # 450; the 99% upper bound falls below the true drop 0 in ≲ 1% of samples.
    b = rng.binomial(450, 10 / 450, size=2000)
    c = rng.binomial(450, 10 / 450, size=2000)
    below = np.mean(
        [bd.paired_drop_upper(int(i), int(j), 450) < 0 for i, j in zip(b, c, strict=True)]
    )
    assert below <= 0.015
    assert 0 < bd.paired_drop_upper(0, 0, 450) < 0.01  # agreeing everywhere is not certainty


def test_paper_scale_refuses_missing_mnist_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="MNIST files not found"):
        runner.prepare("backdoor", "paper", out_dir=tmp_path / "run")
    res = CliRunner().invoke(
        app, ["run", "backdoor", "--scale", "paper", "--out", str(tmp_path / "run")]
    )
    assert res.exit_code == 2, res.output
    assert not (tmp_path / "run").exists()
    p = plan("backdoor", "paper")
    assert not p.data[0].present and p.cpu is not None


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"fractions": [0.01, 0.1]}, "fractions"),
        ({"fractions": [0.0, 0.1, 0.05]}, "fractions"),
        ({"fractions": [0.0, 0.9]}, "fractions"),
        ({"target_class": 10}, "target_class"),
        ({"trigger": "star"}, "trigger"),
    ],
)
def test_config_refuses_bad_input(overrides, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("backdoor", "smoke", overrides=overrides)
