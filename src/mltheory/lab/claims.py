"""Claim helpers: the shapes most of the paper's findings take, as :class:`~mltheory.lab.spec.Claim`s.

Each helper names the metric keys its predicate reads (so a misspelled key fails when the
experiment registers), and says what the measured value is (``label``, ``unit``)::

    below("pinv-limit", "GD converges to X⁺y", "relative error < 1e-4",
          "rel_err_to_pinv", 1e-4, label="‖w − X⁺y‖/‖X⁺y‖")

Deterministic quantities (a limit, a closed form) are compared with a bound or a tolerance.
A noisy quantity (a test error on a finite test set, a median over a few runs) passes only when
the effect beats its noise at a level the claim states (``level=0.01``: p < 0.01): a binomial
envelope for proportions measured on ``n`` test points, a bootstrap over runs, or a Monte Carlo
null (a flat curve of pure binomial noise) for statistics that select where to look.

Predicates may return ``(measured, passed)`` or ``(measured, passed, detail)``; the detail (for
example the p-value) is shown beside the measured value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import stats

from mltheory.lab.spec import SCALE_NAMES, Claim

Metrics = Mapping[str, Any]


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)


def _values(x: Any) -> list[float]:
    return [float("nan") if v is None else float(v) for v in (x if isinstance(x, list) else [x])]


def _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity) -> Claim:
    return Claim(
        id,
        statement,
        paper_value,
        check,
        scales=tuple(scales),
        reads=tuple(reads),
        unit=unit,
        label=label,
        sanity=sanity,
    )


# --- bounds and tolerances ----------------------------------------------------------------------


def below(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    bound: float,
    *,
    label: str,
    unit: str = "",
    inclusive: bool = False,
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """``metrics[key] < bound`` (``<=`` if ``inclusive``); a list must be below everywhere (its
    largest element is the measured value). NaN or a missing value fails."""

    def check(m: Metrics):
        values = _values(m[key])
        if any(math.isnan(v) for v in values):
            return m[key], False, "not measured (NaN)"
        worst = max(values)
        return worst, worst <= bound if inclusive else worst < bound

    return _claim(id, statement, paper_value, check, [key], label, unit, scales, sanity)


def at_least(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    bound: float,
    *,
    label: str,
    unit: str = "",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """``metrics[key] >= bound``; a list must reach it everywhere (its smallest element is the
    measured value). NaN or a missing value fails."""

    def check(m: Metrics):
        values = _values(m[key])
        if any(math.isnan(v) for v in values):
            return m[key], False, "not measured (NaN)"
        return min(values), min(values) >= bound

    return _claim(id, statement, paper_value, check, [key], label, unit, scales, sanity)


def within_rel(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    reference: str,
    rtol: float,
    *,
    label: str = "largest relative deviation",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """``|metrics[key] − metrics[reference]| / |metrics[reference]| < rtol`` elementwise (lists
    of the same length); the reference is a quantity the experiment computes (a closed form, a
    solver's answer), never typed in. Measured: the largest relative deviation."""

    def check(m: Metrics):
        got, ref = _values(m[key]), _values(m[reference])
        if len(got) != len(ref) or not got:
            return None, False, f"{key} and {reference} differ in length"
        devs = [abs(g - r) / abs(r) if r != 0 else math.inf for g, r in zip(got, ref, strict=True)]
        if any(not math.isfinite(d) for d in devs):
            return None, False, "deviation not finite (NaN, or a zero reference)"
        return max(devs), max(devs) < rtol

    return _claim(id, statement, paper_value, check, [key, reference], label, "", scales, sanity)


def monotone(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    *,
    increasing: bool = True,
    strict: bool = False,
    slack: float = 0.0,
    slack_key: str | None = None,
    relative: bool = False,
    net_change: bool = False,
    label: str,
    unit: str = "",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """Consecutive values of the list ``metrics[key]`` move one way. A step the wrong way of at
    most ``slack`` (or ``metrics[slack_key]``, e.g. the resolution of a measurement) is
    tolerated, relative to the earlier value with ``relative``; ``strict`` refuses ties. With
    ``net_change`` the last value must also be beyond the first by more than that slack, so that
    a flat curve (every step within the slack) does not pass as a trend.
    Measured: the largest step the wrong way (0 when there is none)."""

    def check(m: Metrics):
        tolerated = float(m[slack_key]) if slack_key else slack
        v = _values(m[key])
        if len(v) < 2 or any(math.isnan(x) for x in v):
            return m[key], False, "fewer than two values, or a value not measured"
        sign = 1 if increasing else -1
        back = []
        for a, b in zip(v, v[1:], strict=False):
            step = sign * (a - b)  # > 0: the wrong way
            back.append(step / abs(a) if relative and a != 0 else step)
        worst = max(0.0, *back)
        moved = sign * (v[-1] - v[0])
        if net_change and not moved > tolerated:
            return worst, False, f"first to last: {moved:+.4g}, not beyond the slack {tolerated:g}"
        if strict:
            return worst, all(s < 0 for s in back)
        return worst, worst <= tolerated

    reads = [key, slack_key] if slack_key else [key]
    return _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity)


def peak_at(
    id: str,
    statement: str,
    paper_value: str,
    x_key: str,
    y_key: str,
    target_key: str,
    tol: float,
    *,
    label: str,
    unit: str = "",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """The x at which the list ``metrics[y_key]`` is largest lies within ``tol`` of
    ``metrics[target_key]`` (a location the experiment computes, e.g. d = n). Measured: the peak's
    x minus the target. NaN values fail."""

    def check(m: Metrics):
        x, y, target = _values(m[x_key]), _values(m[y_key]), float(m[target_key])
        if not y or any(math.isnan(v) for v in y):
            return None, False, "curve not measured everywhere"
        at = x[int(np.argmax(y))] - target
        return at, abs(at) <= tol

    reads = [x_key, y_key, target_key]
    return _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity)


def fitted_slope(x: Sequence[float], y: Sequence[float], log: bool = True) -> float:
    """Least-squares slope of y against x (of log y against log x with ``log``)."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    if log:
        xs, ys = np.log(xs), np.log(ys)
    return float(np.polyfit(xs, ys, 1)[0])


def slope_in(
    id: str,
    statement: str,
    paper_value: str,
    x_key: str,
    y_key: str,
    lo: float,
    hi: float,
    *,
    log: bool = True,
    label: str = "log-log slope",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """The least-squares slope of ``y`` against ``x`` (log-log with ``log``) lies in [lo, hi]."""

    def check(m: Metrics):
        x, y = _values(m[x_key]), _values(m[y_key])
        pts = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(a) and math.isfinite(b)]
        if len(pts) < 2 or len(pts) < len(x) or (log and min(min(p) for p in pts) <= 0):
            return None, False, "fewer than two finite (positive, for log-log) points"
        slope = fitted_slope(*zip(*pts, strict=True), log=log)
        return slope, lo <= slope <= hi

    return _claim(id, statement, paper_value, check, [x_key, y_key], label, "", scales, sanity)


# --- noise: binomial envelopes, Monte Carlo nulls, bootstraps -----------------------------------


def one_sided_z(level: float) -> float:
    """The z at which a one-sided normal test has size ``level`` (2.33 for p < 0.01)."""
    return float(stats.norm.isf(level))


def z_test_p(effect: float, se: float, two_sided: bool = False) -> float:
    """p-value of a normal (z) test of ``effect`` given its standard error: one-sided
    (``effect`` > 0) or two-sided (``effect`` ≠ 0). With ``se`` = 0 there is no noise: the
    effect is certain if nonzero (in the tested direction), absent otherwise."""
    if se <= 0:
        present = effect != 0 if two_sided else effect > 0
        return 0.0 if present else 1.0
    if two_sided:
        return float(2 * stats.norm.sf(abs(effect) / se))
    return float(stats.norm.sf(effect / se))


def proportion_gap_p(a: float, b: float, n: int) -> float:
    """One-sided p-value that proportion ``a`` exceeds ``b``, each measured on ``n`` points
    (two-proportion z-test, pooled variance; a binomial envelope of the difference)."""
    pooled = (a + b) / 2
    return z_test_p(a - b, math.sqrt(max(2 * pooled * (1 - pooled) / n, 1e-300)))


def exceeds(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    reference: str,
    n_key: str,
    *,
    level: float = 0.01,
    min_effect: float = 0.0,
    label: str,
    unit: str = "%",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """Proportion ``metrics[key]`` exceeds ``metrics[reference]`` (each measured on
    ``metrics[n_key]`` points) by at least ``min_effect``,
    and by more than its binomial noise: one-sided p < ``level``. Measured: the difference."""

    def check(m: Metrics):
        a, b, n = float(m[key]), float(m[reference]), int(m[n_key])
        p = proportion_gap_p(a, b, n)
        return a - b, a - b >= min_effect and p < level, f"p = {p:.2g}"

    reads = [key, reference, n_key]
    return _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity)


def paired_gain_p(only_a_right: int, only_b_right: int) -> float:
    """One-sided exact McNemar p-value that classifier A is more accurate than B on the same
    test points: of the points where exactly one is right, A is right on more than half."""
    n = only_a_right + only_b_right
    if n == 0:
        return 1.0
    return float(stats.binomtest(only_a_right, n, 0.5, alternative="greater").pvalue)


def binomial_envelope(rate: float, n: int, level: float) -> tuple[float, float]:
    """The central ``1 − level`` range of Binomial(n, rate)/n."""
    lo, hi = stats.binom.interval(1 - level, n, rate)
    return float(lo) / n, float(hi) / n


def consistent_with_rate(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    rate: float,
    n_key: str,
    *,
    level: float = 0.01,
    label: str,
    unit: str = "%",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """Proportion ``metrics[key]`` (the last element of a list) measured on ``metrics[n_key]``
    points lies in the central ``1 − level`` binomial envelope of ``rate`` (e.g. chance)."""

    def check(m: Metrics):
        value, n = m[key], int(m[n_key])
        value = float(value[-1] if isinstance(value, list) else value)
        lo, hi = binomial_envelope(rate, n, level)
        return value, lo <= value <= hi, f"{1 - level:.0%} envelope {lo:.3f}–{hi:.3f}"

    reads = [key, n_key]
    return _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity)


def noisy_trend(
    id: str,
    statement: str,
    paper_value: str,
    key: str,
    n_key: str,
    *,
    increasing: bool = True,
    level: float = 0.01,
    label: str,
    unit: str = "%",
    scales: Sequence[str] = SCALE_NAMES,
    sanity: bool = False,
) -> Claim:
    """A list of proportions (each on ``metrics[n_key]`` points) moves one way: its last value
    beats its first by more than binomial noise (one-sided p < ``level``), and no consecutive
    step goes significantly the other way (each at p < ``level``, Bonferroni over the steps).
    Measured: last minus first."""

    def check(m: Metrics):
        v, n = [float(x) for x in m[key]], int(m[n_key])
        if not increasing:  # a falling proportion is a rising 1 − proportion (same noise)
            v = [1 - x for x in v]
        overall = proportion_gap_p(v[-1], v[0], n)
        steps = len(v) - 1
        reversals = [proportion_gap_p(a, b, n) for a, b in zip(v, v[1:], strict=False)]
        worst = min(reversals)
        ok = v[-1] > v[0] and overall < level and worst >= level / steps
        detail = f"p = {overall:.2g} overall; strongest reversal p = {worst:.2g}"
        return (v[-1] - v[0]), ok, detail

    reads = [key, n_key]
    return _claim(id, statement, paper_value, check, reads, label, unit, scales, sanity)


def flat_noise_p_value(
    statistic: Callable[[np.ndarray], np.ndarray],
    observed: float,
    n_points: int,
    rate: float,
    length: int,
    draws: int = 4000,
    seed: int = 0,
) -> float:
    """Monte Carlo p-value of ``observed`` under a flat curve of pure binomial noise.

    The null curve has ``length`` points, each an independent Binomial(``n_points``, ``rate``)
    proportion; ``statistic`` maps a (draws, length) array of such curves to one value per row,
    computed exactly as on the measured curve (selection of where to look included). Returns
    (1 + #{null ≥ observed}) / (1 + draws). The draws use a fixed seed: the same curve always
    gets the same p-value."""
    rng = np.random.default_rng(seed)
    curves = rng.binomial(n_points, rate, size=(draws, length)) / n_points
    null = statistic(curves)
    return float((1 + np.sum(null >= observed - 1e-12)) / (1 + draws))


def bootstrap_quantile(
    groups: Sequence[Sequence[float]],
    statistic: Callable[[list[list[float]]], float],
    q: float,
    draws: int = 2000,
    seed: int = 0,
) -> float:
    """The ``q`` quantile of ``statistic`` over bootstrap resamples that redraw each group's
    values (e.g. the runs at one n) with replacement, groups kept apart. Fixed seed: the same
    data always give the same quantile."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(draws):
        out.append(statistic([list(rng.choice(g, size=len(g))) for g in groups]))
    return float(np.quantile(out, q))
