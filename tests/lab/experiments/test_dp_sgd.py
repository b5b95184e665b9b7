"""dp-sgd: smoke run, the claims' negative controls (real cheap runs), MNIST refused when
missing, config bounds."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.errors import BadInput

pytest.importorskip("opacus")

pytestmark = [
    pytest.mark.filterwarnings("ignore:Secure RNG turned off"),
    pytest.mark.filterwarnings("ignore:Full backward hook is firing"),
]

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "accuracy-falls-with-epsilon": "test_equal_noise_everywhere_gives_a_flat_curve",
    "epsilon-falls-with-noise": "test_equal_noise_everywhere_gives_a_flat_curve",
    "privacy-costs-accuracy": "test_dp_sgd_without_clipping_or_noise_costs_nothing",
    "learns-at-smallest-epsilon": "test_noise_that_swamps_the_gradient_learns_nothing",
    "reaches-strong-privacy": "test_too_little_noise_leaves_every_epsilon_large",
}

SHORT = {"steps": 60, "eval_every": 60}  # the controls: a few seconds each


def _verdicts(metrics: dict) -> dict[str, bool | None]:
    """Every claim's verdict as the cpu scale checks it."""
    return {c.id: c.passed for c in registry.get("dp-sgd").evaluate(metrics, "cpu")}


def _run(tmp_path, **overrides):
    return runner.run("dp-sgd", scale="smoke", seed=0, out=tmp_path / "run", **overrides)


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("dp-sgd", scale="smoke", seed=0, out=tmp_path_factory.mktemp("dp"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"reaches-strong-privacy", "epsilon-falls-with-noise"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["noise_multipliers"] == [4.0, 2.0, 1.0]  # noisiest first
    assert m["accountant"] == "rdp" and m["delta"] == 1e-5
    assert all(e > 0 for e in m["epsilon"])
    # Opacus' Poisson sampling rate is 1 / (batches per epoch) = 1 / ceil(1347 / 64).
    assert m["sample_rate"] == pytest.approx(1 / 22)
    assert m["baseline_test_acc"] > 0.9  # the non-private network learns digits in 120 steps
    for name in ("privacy_utility.png", "training.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_epsilon_is_the_accountants_for_the_steps_taken(smoke_result):
    """The reported ε is what Opacus' RDP accountant gives for (σ, q, steps): recomputed here
    from a fresh accountant with the same history."""
    from opacus.accountants import RDPAccountant

    m = smoke_result.metrics
    for sigma, eps in zip(m["noise_multipliers"], m["epsilon"], strict=True):
        fresh = RDPAccountant()
        fresh.history = [(sigma, m["sample_rate"], m["steps"])]
        assert fresh.get_epsilon(delta=m["delta"]) == pytest.approx(eps, rel=1e-9)


def test_equal_noise_everywhere_gives_a_flat_curve(tmp_path):
    """Three runs at the same σ: the same ε, and accuracies that differ by noise only.
    accuracy-falls-with-epsilon and epsilon-falls-with-noise must both fail."""
    r = _run(tmp_path, noise_multipliers=[2.0, 2.0, 2.0], **SHORT)
    assert len(set(r.metrics["epsilon"])) == 1
    verdicts = _verdicts(r.metrics)
    assert verdicts["accuracy-falls-with-epsilon"] is False
    assert verdicts["epsilon-falls-with-noise"] is False


def test_too_little_noise_leaves_every_epsilon_large(tmp_path):
    """σ ≤ 0.7: every run's ε is several times 1, so reaches-strong-privacy fails."""
    r = _run(tmp_path, noise_multipliers=[0.5, 0.6, 0.7], **SHORT)
    assert min(r.metrics["epsilon"]) > 3
    assert _verdicts(r.metrics)["reaches-strong-privacy"] is False


def test_dp_sgd_without_clipping_or_noise_costs_nothing(tmp_path):
    """With a clipping norm no gradient reaches and noise of std ≤ 3e-3, DP-SGD is plain SGD
    on Poisson batches: no accuracy is lost, and privacy-costs-accuracy fails."""
    r = _run(tmp_path, noise_multipliers=[1e-6, 2e-6, 3e-6], max_grad_norm=1e3, **SHORT)
    m = r.metrics
    assert abs(m["baseline_test_acc"] - m["test_acc_smallest_epsilon"]) < 0.05
    assert _verdicts(m)["privacy-costs-accuracy"] is False


def test_noise_that_swamps_the_gradient_learns_nothing(tmp_path):
    """σ ≥ 50: the noise is far larger than any clipped gradient; the networks end near chance
    and learns-at-smallest-epsilon fails."""
    r = _run(tmp_path, noise_multipliers=[200.0, 100.0, 50.0], **SHORT)
    assert r.metrics["test_acc_smallest_epsilon"] < 0.3
    assert _verdicts(r.metrics)["learns-at-smallest-epsilon"] is False


def test_paper_scale_refuses_missing_mnist_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="MNIST files not found"):
        runner.prepare("dp-sgd", "paper", out_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"delta": 1e-3}, "delta"),  # not below 1/n_train = 7.4e-4
        ({"noise_multipliers": [1.0, 2.0]}, "noise_multipliers"),  # fewer than three levels
        ({"noise_multipliers": [1.0, 0.0, 2.0]}, "noise_multipliers"),
        ({"max_grad_norm": -1.0}, "max_grad_norm"),
        ({"batch_size": 4}, "batch_size"),  # Poisson batches this small are often empty
        ({"batch_size": 5000}, "batch_size"),  # larger than the training set
        ({"accountant": "moments"}, "accountant"),
    ],
)
def test_config_bounds_refuse_bad_input(overrides, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("dp-sgd", "smoke", overrides=overrides)
