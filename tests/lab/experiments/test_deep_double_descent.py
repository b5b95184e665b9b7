"""deep-double-descent: smoke run, determinism, the sweep hook, and claims that can fail."""

from __future__ import annotations

import pytest

from mltheory.lab import registry, runner
from mltheory.lab.context import RunContext
from mltheory.lab.errors import BadInput
from mltheory.lab.experiments.generalization import deep_double_descent as ddd
from mltheory.lab.inner_axis import Member, measure_curves

TINY = {"max_width": 8, "n_widths": 3, "n_train": 200, "n_test": 100, "steps": 40}


@pytest.fixture(scope="module")
def smoke_result(tmp_path_factory):
    return runner.run(
        "deep-double-descent", scale="smoke", seed=0, out=tmp_path_factory.mktemp("ddd")
    )


def test_smoke_run_passes_its_checked_claims(smoke_result):
    checked = [c for c in smoke_result.claims if c.passed is not None]
    assert {c.id for c in checked} == {"wider-fits-better"}
    assert all(c.passed for c in checked), smoke_result.failed_claims
    m = smoke_result.metrics
    assert len(m["widths"]) == 6 and len(m["test_error_clean"]) == 6
    assert (smoke_result.out_dir / "deep_double_descent.png").stat().st_size > 0


def test_same_seed_same_metrics(tmp_path):
    first = runner.run("deep-double-descent", scale="smoke", seed=3, out=tmp_path / "a", **TINY)
    again = runner.run("deep-double-descent", scale="smoke", seed=3, out=tmp_path / "b", **TINY)
    assert again.metrics == first.metrics
    other = runner.run("deep-double-descent", scale="smoke", seed=4, out=tmp_path / "c", **TINY)
    assert other.metrics["test_error"] != first.metrics["test_error"]


def test_population_over_members_equals_single_runs(tmp_path):
    """The inner axis measured for two members at once (two seeds, two noise levels, as a sweep
    batches them) gives each member the curves its own run measures."""
    exp = registry.get("deep-double-descent")
    assert exp.inner_axis is ddd.WIDTHS and "label_noise" in exp.batch_fields
    cfgs = [ddd.Config(**TINY), ddd.Config(**TINY, label_noise=0.5)]
    members = [Member(cfg, seed) for cfg, seed in zip(cfgs, [0, 1], strict=True)]
    batched = measure_curves(ddd.WIDTHS, members, RunContext(tmp_path / "b", seed=0, quiet=True))
    for cfg, seed, curves in zip(cfgs, [0, 1], batched, strict=True):
        alone = exp.fn(cfg, RunContext(tmp_path / f"alone{seed}", seed=seed, quiet=True))
        assert curves["widths"] == alone["widths"] == ddd.widths_for(cfg)
        for key in ("train_error", "test_error", "train_error_clean", "test_error_clean"):
            assert curves[key] == pytest.approx(alone[key], abs=1e-3), key


def test_widths_are_distinct_and_log_spaced():
    widths = ddd.widths_for(ddd.Config())
    assert len(widths) == 20 and widths[0] == 2 and widths[-1] == 300
    assert all(a < b for a, b in zip(widths, widths[1:], strict=False))
    with pytest.raises(BadInput, match="n_widths"):
        runner.prepare("deep-double-descent", overrides={"max_width": 5, "n_widths": 10})


def _metrics(test_error, train_error, test_clean, train_clean):
    return {
        "widths": [2, 4, 8, 16, 32, 64],
        "fit_error": 0.01,
        "test_error": test_error,
        "train_error": train_error,
        "test_error_clean": test_clean,
        "train_error_clean": train_clean,
    }


FITS = [0.6, 0.4, 0.2, 0.0, 0.0, 0.0]


def _verdicts(metrics):
    return {c.id: c.passed for c in registry.get("deep-double-descent").evaluate(metrics, "cpu")}


def test_double_descent_curve_passes():
    v = _verdicts(
        _metrics([0.7, 0.5, 0.55, 0.6, 0.5, 0.45], FITS, [0.7, 0.5, 0.45, 0.4, 0.38, 0.35], FITS)
    )
    assert all(v.values()), v


def test_claims_fail_without_a_peak():
    """A curve that only falls (no peak) fails every claim about the peak."""
    v = _verdicts(
        _metrics([0.7, 0.6, 0.5, 0.45, 0.44, 0.43], FITS, [0.7, 0.6, 0.5, 0.45, 0.4, 0.4], FITS)
    )
    assert v["test-error-rises"] is False
    assert v["test-error-falls-again"] is False
    assert v["peak-at-interpolation-threshold"] is False
    assert v["peak-shrinks-without-noise"] is False


def test_claims_fail_when_the_peak_is_far_from_the_threshold_or_nothing_interpolates():
    late_peak = _metrics(
        [0.5, 0.45, 0.46, 0.47, 0.48, 0.6], [0.6, 0.0, 0.0, 0.0, 0.0, 0.0], [0.5] * 6, [0.0] * 6
    )
    assert _verdicts(late_peak)["peak-at-interpolation-threshold"] is False
    never_fits = _metrics([0.7, 0.5, 0.6, 0.5, 0.45, 0.4], [0.5] * 6, [0.5] * 6, [0.5] * 6)
    v = _verdicts(never_fits)
    assert v["widest-interpolates"] is False
    assert v["peak-at-interpolation-threshold"] is False
