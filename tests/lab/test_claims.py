"""Claim helpers, declared metric keys, units and labels, and the negative-control standard."""

from __future__ import annotations

import importlib.util
import inspect
import math
from pathlib import Path

import numpy as np
import pytest

from mltheory.lab import claims, registry
from mltheory.lab.spec import (
    Claim,
    ClaimResult,
    ExperimentConfig,
    MetricsMismatch,
    Paper,
    experiment,
    format_measured,
)

PAPER = Paper("t", "a", 2024, "r")


def _verdict(claim: Claim, metrics: dict) -> bool:
    from mltheory.lab.spec import DeclaredMetrics

    return bool(claim.check(DeclaredMetrics(metrics, claim))[1])


def test_below_and_at_least_take_the_worst_element_and_refuse_nan():
    c = claims.below("b", "s", "p", "err", 0.1, label="error")
    assert c.reads == ("err",) and c.label == "error"
    assert _verdict(c, {"err": 0.05}) and not _verdict(c, {"err": 0.1})
    assert not _verdict(c, {"err": [0.01, 0.2]})
    assert not _verdict(c, {"err": math.nan})
    inclusive = claims.below("b", "s", "p", "err", 0.1, label="e", inclusive=True)
    assert _verdict(inclusive, {"err": 0.1})
    a = claims.at_least("a", "s", "p", "acc", 0.99, label="acc")
    assert _verdict(a, {"acc": [0.995, 0.99]}) and not _verdict(a, {"acc": [0.995, 0.98]})
    assert not _verdict(a, {"acc": [math.nan]})


def test_within_rel_compares_with_a_computed_reference():
    c = claims.within_rel("w", "s", "p", "got", "ref", 0.1)
    assert c.reads == ("got", "ref")
    assert _verdict(c, {"got": [1.05, 2.1], "ref": [1.0, 2.0]})
    assert not _verdict(c, {"got": [1.05, 2.5], "ref": [1.0, 2.0]})
    assert not _verdict(c, {"got": [1.0], "ref": [0.0]})  # a zero reference cannot be met
    assert not _verdict(c, {"got": [1.0, 2.0], "ref": [1.0]})


def test_monotone_with_slack_strictness_and_a_slack_metric():
    c = claims.monotone("m", "s", "p", "v", slack=0.05, relative=True, label="drop")
    assert _verdict(c, {"v": [1.0, 0.97, 1.2]})  # a 3% dip is within 5%
    assert not _verdict(c, {"v": [1.0, 0.9, 1.2]})
    strict = claims.monotone("m", "s", "p", "v", strict=True, label="l")
    assert not _verdict(strict, {"v": [1, 2, 2]}) and _verdict(strict, {"v": [1, 2, 3]})
    keyed = claims.monotone("m", "s", "p", "v", slack_key="res", label="l")
    assert keyed.reads == ("v", "res")
    assert _verdict(keyed, {"v": [100, 90], "res": 10}) and not _verdict(
        keyed, {"v": [100, 89], "res": 10}
    )
    assert not _verdict(keyed, {"v": [100, None], "res": 10})


def test_peak_at_and_slope_in():
    peak = claims.peak_at("p", "s", "p", "x", "y", "t", 1, label="l")
    assert _verdict(peak, {"x": [1, 2, 3, 4], "y": [0, 1, 5, 2], "t": 4})
    assert not _verdict(peak, {"x": [1, 2, 3, 4], "y": [0, 1, 5, 9], "t": 2})
    slope = claims.slope_in("s", "s", "p", "x", "y", 1.9, 2.1)
    xs = [1.0, 2.0, 4.0, 8.0]
    assert _verdict(slope, {"x": xs, "y": [x**2 for x in xs]})
    assert not _verdict(slope, {"x": xs, "y": [x**3 for x in xs]})
    assert not _verdict(slope, {"x": xs, "y": [1.0, math.nan, 2.0, 3.0]})


def test_binomial_comparisons_state_their_level():
    gap = claims.exceeds("e", "s", "p", "a", "b", "n", level=0.01, label="gain")
    assert _verdict(gap, {"a": 0.60, "b": 0.50, "n": 1000})  # z ≈ 4.5
    assert not _verdict(gap, {"a": 0.52, "b": 0.50, "n": 1000})  # z ≈ 0.9: noise
    chance = claims.consistent_with_rate("c", "s", "p", "acc", 0.1, "n", label="acc")
    assert _verdict(chance, {"acc": [0.5, 0.11], "n": 1000})
    assert not _verdict(chance, {"acc": [0.5, 0.14], "n": 1000})  # outside the 99% envelope
    assert claims.paired_gain_p(60, 20) < 0.01 < claims.paired_gain_p(45, 35)


def test_noisy_trend_fails_on_a_flat_curve_of_pure_binomial_noise():
    trend = claims.noisy_trend("t", "s", "p", "acc", "n", increasing=False, label="rise")
    assert _verdict(trend, {"acc": [0.52, 0.40, 0.27, 0.16, 0.11], "n": 1000})
    rng = np.random.default_rng(0)
    passes = sum(
        _verdict(trend, {"acc": list(rng.binomial(1000, 0.1, 5) / 1000), "n": 1000})
        for _ in range(200)
    )
    assert passes <= 6  # p < 0.01: about 2 of 200 by chance


def test_flat_noise_p_value_is_uniform_enough_and_deterministic():
    stat = lambda c: c.max(axis=1) - c.min(axis=1)  # noqa: E731
    assert claims.flat_noise_p_value(stat, 0.3, 1000, 0.5, 20) < 0.01
    assert claims.flat_noise_p_value(stat, 0.02, 1000, 0.5, 20) > 0.5
    assert claims.flat_noise_p_value(stat, 0.06, 1000, 0.5, 20) == claims.flat_noise_p_value(
        stat, 0.06, 1000, 0.5, 20
    )


def test_bootstrap_quantile_over_groups():
    groups = [[1.0, 1.1, 0.9], [2.0, 2.2, 1.8]]
    low = claims.bootstrap_quantile(groups, lambda g: np.mean(g[1]) - np.mean(g[0]), 0.01)
    assert 0.6 < low < 1.0


def _register(name, claim_list, metrics, returns):
    class Cfg(ExperimentConfig):
        pass

    @experiment(
        name,
        title="t",
        topic="test",
        paper=PAPER,
        config=Cfg,
        scales={"smoke": {}, "cpu": {}, "paper": {}},
        claims=claim_list,
        metrics=metrics,
    )
    def run(cfg, ctx):
        return returns

    return registry._EXPERIMENTS.pop(name)


def test_a_claim_reading_an_undeclared_metric_fails_at_registration():
    with pytest.raises(TypeError, match=r"reads \['accuracy'\].*does not declare"):
        _register(
            "t-undeclared",
            [claims.below("c", "s", "p", "accuracy", 1, label="a")],
            {"acc": "x"},
            {},
        )
    with pytest.raises(TypeError, match="must say which metrics it reads"):
        _register("t-noreads", [Claim("c", "s", "p", lambda m: (1, True))], {"acc": "x"}, {})


def test_run_must_return_exactly_the_declared_metrics_and_claims_see_only_their_reads():
    sneaky = Claim("c", "s", "p", lambda m: (m["other"], True), reads=("acc",), label="a")
    exp = _register("t-keys", [sneaky], {"acc": "x", "other": "y"}, {})
    with pytest.raises(MetricsMismatch, match=r"missing \['other'\]"):
        exp.evaluate({"acc": 1.0}, "cpu")
    with pytest.raises(MetricsMismatch, match=r"undeclared \['typo'\]"):
        exp.evaluate({"acc": 1.0, "other": 2.0, "typo": 3}, "cpu")
    (result,) = exp.evaluate({"acc": 1.0, "other": 2.0}, "cpu")
    assert result.passed is False and "not in its reads" in result.note


def test_measured_values_are_formatted_in_their_unit_with_their_label():
    assert format_measured(0.116, "%") == "11.6%"
    assert format_measured([0.5, 0.25], "%") == "[50%, 25%]"
    assert format_measured(0.0123, "bits") == "0.0123 bits"
    r = ClaimResult("c", "s", "p", 0.116, True, unit="%", label="test accuracy at p=1")
    assert r.display == "test accuracy at p=1: 11.6%"
    sanity = ClaimResult("c", "s", "p", 1e-15, True, label="leak", sanity=True)
    assert sanity.display.endswith("(sanity check)")


# --- the standard: every catalog claim declares what it reads and has a negative control ------

CATALOG = [e.name for e in registry.all_experiments() if e.module.startswith("mltheory.lab.")]


@pytest.mark.parametrize("name", CATALOG)
def test_every_catalog_claim_is_declared_labelled_and_has_a_negative_control(name):
    """Each experiment's test module (tests/lab/experiments/test_<name>.py) lists in
    ``NEGATIVE_CONTROLS`` the test that makes each of its claims FAIL; every claim needs one."""
    exp = registry.get(name)
    assert exp.metrics, f"{name} declares no metrics"
    for c in exp.claims:
        assert c.reads and c.label, f"{name}: claim {c.id} lacks reads= or label="
    path = Path(__file__).parent / "experiments" / f"test_{name.replace('-', '_')}.py"
    spec = importlib.util.spec_from_file_location(f"_controls_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    controls = module.NEGATIVE_CONTROLS
    assert set(controls) == {c.id for c in exp.claims}
    for claim_id, test_name in controls.items():
        test = getattr(module, test_name, None)
        assert callable(test), f"{claim_id}: no test {test_name}"
        # The control must be about this claim: a renamed or emptied test would still be
        # callable. (Whether it makes the claim FAIL is that test's own assertion.)
        assert claim_id in inspect.getsource(test), f"{test_name} never names {claim_id}"


def test_z_test_p_one_and_two_sided():
    from mltheory.lab.claims import z_test_p

    assert z_test_p(1.96, 1.0, two_sided=True) == pytest.approx(0.05, abs=1e-3)
    assert z_test_p(2.326, 1.0) == pytest.approx(0.01, abs=1e-3)
    assert z_test_p(-2.0, 1.0) > 0.5  # the wrong direction is no evidence
    assert z_test_p(-2.0, 1.0, two_sided=True) == z_test_p(2.0, 1.0, two_sided=True)
    assert z_test_p(0.1, 0.0) == 0.0 and z_test_p(0.0, 0.0) == 1.0  # no noise
    assert z_test_p(0.0, 0.0, two_sided=True) == 1.0 and z_test_p(-1, 0, two_sided=True) == 0.0
