"""sparse-parity: smoke run, determinism, exact resume, run summaries, and claims that can fail."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.dynamics import sparse_parity as sp

# Each claim and the test in which it must FAIL (checked by tests/lab/test_claims.py).
NEGATIVE_CONTROLS = {
    "plateau": "test_a_one_bit_parity_has_no_plateau_and_no_power_law",
    "polynomial-in-n": "test_a_one_bit_parity_has_no_plateau_and_no_power_law",
    "sharp-jump": "test_a_gradual_climb_is_not_a_sharp_jump",
    "all-learned": "test_too_few_steps_leave_runs_unlearned",
}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run("sparse-parity", scale="smoke", seed=0, out=tmp_path_factory.mktemp("sp"))


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"all-learned"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    # Even the smoke run learns every n, and bigger n takes longer.
    assert m["n_unlearned_runs"] == 0
    assert m["median_steps_to_learn"] == sorted(m["median_steps_to_learn"])
    assert m["loglog_slope"] > 0
    assert (smoke_result.out_dir / "sparse_parity.png").stat().st_size > 0


def test_same_seed_same_metrics(smoke_result, tmp_path):
    again = runner.run("sparse-parity", scale="smoke", seed=0, out=tmp_path / "again")
    assert again.metrics == smoke_result.metrics
    other = runner.run("sparse-parity", scale="smoke", seed=1, out=tmp_path / "other")
    assert other.metrics["steps_to_learn_by_n"] != smoke_result.metrics["steps_to_learn_by_n"]


def test_interrupted_run_resumes_exactly(smoke_result, tmp_path, monkeypatch):
    monkeypatch.setenv("MLT_CHECKPOINT_EVERY_S", "0")
    original_log = RunContext.log
    calls = {"n": 0}

    def log_then_die(self, **values):
        calls["n"] += 1
        if calls["n"] == 25:  # part-way into the second n's run
            raise KeyboardInterrupt
        original_log(self, **values)

    monkeypatch.setattr(RunContext, "log", log_then_die)
    out = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        runner.run("sparse-parity", scale="smoke", seed=0, out=out)
    assert (out / "checkpoint.pt").exists()
    monkeypatch.setattr(RunContext, "log", original_log)
    resumed = runner.run("sparse-parity", scale="smoke", seed=0, out=out)
    assert resumed.resumed
    assert resumed.metrics == smoke_result.metrics
    assert (out / "metrics.jsonl").read_text() == (
        smoke_result.out_dir / "metrics.jsonl"
    ).read_text()


def test_summarise_run_measures_plateau_and_jump():
    cfg = sp.Config(eval_every=10)
    # 100 steps at chance, then 60% → 80% → 97% → 100% in four measurements.
    steps = list(range(10, 141, 10))
    accs = [0.5] * 10 + [0.6, 0.8, 0.97, 1.0]
    curve = {"step": steps, "acc": accs}
    s = sp.summarise_run(curve, cfg)
    assert s["t_learned"] == 140
    assert s["t_leave_chance"] == 100
    assert s["plateau_fraction"] == pytest.approx(100 / 140)
    assert s["middle_fraction"] == pytest.approx(20 / 140)  # the 60% and 80% measurements
    never = sp.summarise_run({**curve, "acc": [0.5] * 14}, cfg)
    assert never["t_learned"] is None


def test_config_refuses_n_not_above_k():
    with pytest.raises(BadInput, match="ns"):
        runner.prepare("sparse-parity", "smoke", overrides={"ns": [5, 5]})
    with pytest.raises(BadInput, match="exceed k"):
        runner.prepare("sparse-parity", "smoke", overrides={"ns": [3, 8]})


def _verdicts(metrics):
    return {c.id: c.passed for c in registry.get("sparse-parity").evaluate(metrics, "cpu")}


def test_claims_can_fail(smoke_result):
    bad = dict(smoke_result.metrics)
    bad.update(
        plateau_fraction_largest_n=0.1,  # accuracy rose from the start: no plateau
        middle_fraction_largest_n=0.7,  # a gradual climb, not a jump
        n_unlearned_runs=1,
        min_final_test_acc=0.52,
        steps_to_learn_by_n=[[100], [200], None],  # a run that never learned
    )
    assert _verdicts(bad) == {
        "plateau": False,
        "sharp-jump": False,
        "all-learned": False,
        "polynomial-in-n": False,
    }


def _with_runs(metrics, ns, runs):
    return dict(metrics, ns=ns, k=3, steps_to_learn_by_n=runs)


def test_polynomial_in_n_tells_a_power_law_from_an_exponential(smoke_result):
    ns = [10, 20, 30, 40, 50]
    spread = [0.8, 0.9, 1.0, 1.1, 1.25]  # run-to-run spread, as measured (about ±30%)
    power = [[3 * n**1.5 * f for f in spread] for n in ns]
    assert _verdicts(_with_runs(smoke_result.metrics, ns, power))["polynomial-in-n"] is True
    # Exponential growth with a comparable overall increase: a line in n fits log T better.
    exponential = [[60 * 1.1**n * f for f in spread] for n in ns]
    assert _verdicts(_with_runs(smoke_result.metrics, ns, exponential))["polynomial-in-n"] is False
    too_steep = [[n**4.5 * f for f in spread] for n in ns]  # beyond n^(k + tolerance)
    assert _verdicts(_with_runs(smoke_result.metrics, ns, too_steep))["polynomial-in-n"] is False


def test_a_one_bit_parity_has_no_plateau_and_no_power_law(tmp_path):
    """k = 1 is learned at once (no search for the support): no plateau, and the steps to learn
    hardly grow with n, so neither claim may pass."""
    r = runner.run("sparse-parity", scale="smoke", seed=0, out=tmp_path / "k1", k=1, runs_per_n=3)
    verdicts = _verdicts(r.metrics)
    assert verdicts["plateau"] is False and verdicts["polynomial-in-n"] is False


def test_a_gradual_climb_is_not_a_sharp_jump(smoke_result):
    """A run whose accuracy climbs steadily from chance, summarised by the experiment's own
    ``summarise_run``, spends most of its time between 60% and 95%: sharp-jump fails."""
    cfg = sp.Config(eval_every=10)
    steps = list(range(10, 201, 10))
    accs = [0.5 + 0.5 * min(1.0, s / 190) for s in steps]  # a linear ramp to 100%
    s = sp.summarise_run({"step": steps, "acc": accs}, cfg)
    ramp = dict(smoke_result.metrics, middle_fraction_largest_n=s["middle_fraction"])
    assert s["middle_fraction"] > 0.5
    assert _verdicts(ramp)["sharp-jump"] is False


def test_too_few_steps_leave_runs_unlearned(tmp_path):
    r = runner.run("sparse-parity", scale="smoke", seed=0, out=tmp_path / "short", max_steps=40)
    assert {c.id: c.passed for c in r.claims}["all-learned"] is False


def test_ns_are_bounded_so_a_run_stays_affordable():
    with pytest.raises(BadInput, match="ns"):
        runner.prepare("sparse-parity", "smoke", overrides={"ns": [100000]})
    with pytest.raises(BadInput, match="floating-point operations"):
        runner.prepare(
            "sparse-parity",
            "cpu",
            overrides={"ns": [1000], "width": 8192, "runs_per_n": 100, "batch_size": 64},
        )
