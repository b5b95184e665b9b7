"""membership-inference: smoke run, the claims' negative controls (real cheap runs), CIFAR-10
refused when missing, config bounds."""

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
    "advantage-grows-with-gap": "test_untrained_models_leak_nothing",
    "advantage-beats-chance": "test_untrained_models_leak_nothing",
    "auc-beats-chance": "test_untrained_models_leak_nothing",
    "dp-lowers-advantage": "test_dp_sgd_without_clipping_or_noise_protects_nothing",
    "dp-epsilon-small": "test_dp_sgd_without_clipping_or_noise_protects_nothing",
}


def _verdicts(metrics: dict) -> dict[str, bool | None]:
    """Every claim's verdict as the cpu scale checks it."""
    return {c.id: c.passed for c in registry.get("membership-inference").evaluate(metrics, "cpu")}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run(
        "membership-inference", scale="smoke", seed=0, out=tmp_path_factory.mktemp("mi")
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = {c.id for c in smoke_result.claims if c.passed is not None}
    assert checked == {"advantage-beats-chance", "auc-beats-chance"}
    assert all(c.passed for c in smoke_result.claims if c.passed is not None), (
        smoke_result.failed_claims
    )
    m = smoke_result.metrics
    assert m["gap"] == sorted(m["gap"])  # targets ordered by their generalization gap
    assert sorted(zip(m["n_train"], m["steps"], strict=True)) == [
        (50, 200),
        (100, 200),
        (200, 20),
        (200, 200),
    ]
    assert m["dp_n_train"] == 200 and m["dp_epsilon"][0] > 0
    for name in ("advantage_vs_gap.png", "roc.png"):
        assert (smoke_result.out_dir / name).stat().st_size > 0


def test_the_threshold_comes_from_the_shadow_not_the_target(smoke_result):
    """The best threshold on the target itself can only do better than the shadow's τ there:
    the claims read the honest (shadow) value, never the optimistic one."""
    m = smoke_result.metrics
    for honest, optimistic in zip(m["advantage"], m["optimistic_advantage"], strict=True):
        assert optimistic >= honest
    reads = {k for c in registry.get("membership-inference").claims for k in c.reads}
    assert "optimistic_advantage" not in reads


def test_untrained_models_leak_nothing(tmp_path):
    """No training at all (steps=0): members and non-members are drawn identically and the
    model has seen neither, so every target's advantage is noise around 0 and its AUC noise
    around 1/2. advantage-grows-with-gap, advantage-beats-chance and auc-beats-chance fail."""
    r = runner.run(
        "membership-inference",
        scale="smoke",
        seed=0,
        out=tmp_path / "run",
        steps=0,
        fewer_steps=[],
    )
    m = r.metrics
    assert max(abs(g) for g in m["gap"]) < 0.15
    verdicts = _verdicts(m)
    assert verdicts["advantage-grows-with-gap"] is False
    assert verdicts["advantage-beats-chance"] is False
    assert verdicts["auc-beats-chance"] is False


def test_dp_sgd_without_clipping_or_noise_protects_nothing(tmp_path):
    """A clipping norm no gradient reaches and noise of std 1e-3: DP-SGD is plain SGD on
    Poisson batches, ε is astronomical, and the attack does as well as on the non-private
    target. dp-lowers-advantage and dp-epsilon-small fail."""
    r = runner.run(
        "membership-inference",
        scale="smoke",
        seed=0,
        out=tmp_path / "run",
        dp_noise_multipliers=[1e-6],
        max_grad_norm=1e3,
    )
    m = r.metrics
    assert m["dp_smallest_epsilon"] > 1e6
    verdicts = _verdicts(m)
    assert verdicts["dp-lowers-advantage"] is False
    assert verdicts["dp-epsilon-small"] is False


def test_paper_scale_refuses_missing_cifar10_before_any_work(tmp_path):
    # The lab's test setup points MLT_DATA at an empty folder.
    with pytest.raises(BadInput, match="CIFAR-10 files not found"):
        runner.prepare("membership-inference", "paper", out_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"n_trains": [2000, 500, 100]}, "n_trains"),  # 4 × 2000 > the 5000 MNIST-1D examples
        ({"n_trains": [100, 100, 50]}, "n_trains"),
        ({"n_trains": [100, 50]}, "n_trains"),
        ({"fewer_steps": [300]}, "fewer_steps"),  # not fewer than steps=200
        ({"dp_noise_multipliers": [-1.0]}, "dp_noise_multipliers"),
        ({"delta": 0.01}, "delta"),
        ({"batch_size": 8}, "batch_size"),
    ],
)
def test_config_bounds_refuse_bad_input(overrides, field):
    with pytest.raises(BadInput, match=field):
        runner.prepare("membership-inference", "smoke", overrides=overrides)
