"""Equalized odds by post-processing: closing the groups' TPR and FPR gaps at a cost in accuracy.

Paper: Hardt, Price, Srebro (2016), "Equality of opportunity in supervised learning", §4 (the
derived predictor: equalized odds from a score by a linear program over each group's ROC curve,
with randomized thresholds) and §6 (FICO scores: the equalized-odds operating point lies where
the groups' ROC hulls meet, Fig. 7, and costs profit against the unconstrained thresholds).

Data (``mltheory.lab.data.groups``, documented there): a synthetic tabular set with a protected
attribute A (group 1 is 30% of the population), group-dependent base rates (P(Y=1) = 0.3 and
0.6) and group-dependent feature noise (std 1 and 2), with a proxy feature of the group.
scikit-learn ships no real tabular set with a protected attribute that can be read offline,
and Hardt et al.'s FICO data cannot be shipped. Three independent samples, from the run's seed:
one trains the score, one fits the post-processing, one measures everything claimed (held out).

The score is a logistic regression (scikit-learn) on the four features, never seeing A. Before
post-processing, the predictor is the score at the one threshold that maximizes accuracy on the
fitting sample ("before"). The equalized-odds predictor (``mltheory.lab.equalized_odds``) solves
Hardt et al.'s LP with ``scipy.optimize.linprog`` on the fitting sample: per group, a
distribution over thresholds of the score, the groups' (FPR, TPR) made equal, the expected 0-1
loss minimized; it uses A at decision time, as the paper's derived predictors do.

Scales:
    smoke  5000 to train, 5000 to fit, 5000 held out: every claim checked, in about a second
    cpu    20000 to train the score, 100000 to fit the LP, 100000 held out; about a second
    paper  the same data set with 10⁶ to fit and 10⁶ held out (Hardt et al.'s FICO data cannot
           be shipped); a few seconds of CPU

Tolerances. Every rate is a proportion on the held-out sample: a gap between the groups is a
difference of proportions on disjoint sets, with standard error √Σ r(1−r)/n. "A gap exists" is a
two-sided z-test at p < 0.01 (Bonferroni over TPR and FPR); "the gap is closed" asks each gap to
lie inside its 99% envelope, which adds the fitting sample's own noise (the LP equalizes the
rates it sees there, which are estimates too), and that envelope to be narrower than the gap it
closed (so the test could have seen such a gap); the cost in accuracy is an exact McNemar test on
the same held-out examples (p < 0.01).

.. evidence: begin
Evidence (written by ``mlt evidence`` from evidence/cpu-seeds3; do not edit):
cpu scale, seeds 0–2, 2.7 s per seed: reproduces on 3/3 seeds; 2026-11-29, AMD EPYC, 2 cores, torch 2.13.0+cpu, 1 thread(s).
    gap-exists: 0.1882 [0.1794, 0.1971] (3/3 seeds)
    gap-closed: 0.003585 [-0.001117, 0.008286] (3/3 seeds)
    costs-accuracy: 10.1% [9.55%, 10.6%] (3/3 seeds)
smoke scale: 2.0 s per seed, reproduces on 3/3 seeds.
Reproduce: ``mlt reproduce --scale cpu --seeds 3 --out cpu-seeds3``
.. evidence: end
Command: ``mlt run fairness --scale cpu --seed 0``
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import Field
from scipy import stats

from mltheory.lab.claims import paired_gain_p, z_test_p
from mltheory.lab.context import RunContext
from mltheory.lab.data.groups import N_FEATURES, protected_groups
from mltheory.lab.equalized_odds import (
    candidate_thresholds,
    derive_predictor,
    group_rates,
    roc_points,
)
from mltheory.lab.estimate import Cost, DataNeed, Workload
from mltheory.lab.figures import new_figure
from mltheory.lab.spec import Claim, ExperimentConfig, Paper, experiment

PAPER = Paper(
    title="Equality of opportunity in supervised learning",
    authors="Hardt, Price, Srebro",
    year=2016,
    arxiv="1610.02413",
    reproduces="§4: the equalized-odds derived predictor as a linear program over the groups' "
    "ROC curves (randomized thresholds); §6, Fig. 7: its operating point and cost",
)

LEVEL = 0.01  # every claim: p < LEVEL
# A cost worth the name: at least one point of accuracy. (With a finite fitting sample even
# identical groups pay a sliver, a few 0.1%: the LP equalizes two estimated ROC curves.)
MIN_COST = 0.01
Rate = Annotated[float, Field(gt=0, lt=1)]
Noise = Annotated[float, Field(gt=0, le=100)]


class Config(ExperimentConfig):
    n_train: int = Field(20_000, ge=100, le=1_000_000, description="examples that train the score")
    n_fit: int = Field(
        100_000,
        ge=100,
        le=5_000_000,
        description="examples on which the post-processing LP is fitted",
    )
    n_test: int = Field(
        100_000, ge=100, le=5_000_000, description="held-out examples every claim is measured on"
    )
    group1_fraction: float = Field(
        0.3, gt=0, lt=1, description="share of group 1 (A = 1) in the population"
    )
    base_rates: list[Rate] = Field(
        [0.3, 0.6], min_length=2, max_length=2, description="P(Y = 1 | A = a) for a = 0, 1"
    )
    noise_stds: list[Noise] = Field(
        [1.0, 2.0],
        min_length=2,
        max_length=2,
        description="std of the noise on the informative features in group 0, 1",
    )
    n_thresholds: int = Field(
        201, ge=3, le=5001, description="candidate thresholds per group (score quantiles)"
    )
    equalize: bool = Field(
        True,
        description="post-process for equalized odds (false: keep the single threshold, the "
        "control with no post-processing)",
    )

    def cost(self) -> Cost:
        """No network: drawing the data, a logistic regression (L-BFGS, a few hundred passes
        over n_train), sorting scores for the ROC curves, an LP of two small blocks and the
        randomized predictions, counted as arithmetic per example."""
        examples = self.n_train + self.n_fit + self.n_test
        work = Workload(
            "data, logistic-regression score, ROC curves, equalized-odds LP",
            n_params=N_FEATURES + 1,
            steps=1,
            batch_size=1,
            data_bytes=8 * (N_FEATURES + 3) * examples,
            # Measured 2026-11-29: about 0.6 µs of CPU per example (1.2 s for 2 million),
            # the equivalent of 3e4 floating-point operations at the cost model's rate.
            extra_flops=3e4 * examples,
        )
        data = DataNeed("synthetic groups", "generated in memory", True, "nothing to download")
        return Cost([work], [data], what=f"fairness with {examples} examples")


SCALES = {
    "smoke": {"n_train": 5000, "n_fit": 5000, "n_test": 5000, "n_thresholds": 101},
    "cpu": {},
    "paper": {"n_fit": 1_000_000, "n_test": 1_000_000, "n_thresholds": 1001},
}

METRICS = {
    "n_test": "held-out examples (every claimed rate is measured on them)",
    "n_fit": "examples the LP was fitted on",
    "threshold_before": "the single score threshold of the predictor before post-processing",
    "tpr_before": "held-out TPR in group 0 and group 1, before post-processing",
    "fpr_before": "held-out FPR in group 0 and group 1, before",
    "tpr_after": "held-out TPR in group 0 and group 1, after equalized-odds post-processing",
    "fpr_after": "held-out FPR in group 0 and group 1, after",
    "tpr_gap_before": "TPR of group 1 minus group 0, before",
    "fpr_gap_before": "FPR of group 1 minus group 0, before",
    "tpr_gap_se_before": "binomial standard error of the TPR gap (held-out sample)",
    "fpr_gap_se_before": "binomial standard error of the FPR gap (held-out sample)",
    "tpr_gap_after": "TPR of group 1 minus group 0, after",
    "fpr_gap_after": "FPR of group 1 minus group 0, after",
    "tpr_gap_se_after": "standard error of the TPR gap after: held-out and fitting samples",
    "fpr_gap_se_after": "standard error of the FPR gap after: held-out and fitting samples",
    "accuracy_before": "held-out accuracy before post-processing",
    "accuracy_after": "held-out accuracy after equalized-odds post-processing",
    "accuracy_unconstrained": "held-out accuracy of each group's own best thresholds (same LP, "
    "no equality constraints)",
    "lp_expected_accuracy": "the LP's optimal accuracy on the fitting sample",
    "lp_operating_point": "the LP's common (FPR, TPR) on the fitting sample",
    "only_before_right": "held-out examples the predictor before gets right and after gets wrong",
    "only_after_right": "held-out examples the predictor after gets right and before gets wrong",
}


def _gap_exists(m):
    ps = {
        k: z_test_p(m[f"{k}_gap_before"], m[f"{k}_gap_se_before"], two_sided=True)
        for k in ("tpr", "fpr")
    }
    k = min(ps, key=ps.get)
    p = min(1.0, 2 * ps[k])  # Bonferroni over the two gaps
    detail = f"{k.upper()} gap, p = {p:.2g} (TPR p = {ps['tpr']:.2g}, FPR p = {ps['fpr']:.2g})"
    return m[f"{k}_gap_before"], p < LEVEL, detail


def _gap_closed(m):
    z = float(stats.norm.isf(LEVEL / 2))
    worst, ok, parts = 0.0, True, []
    largest_before = max(abs(m["tpr_gap_before"]), abs(m["fpr_gap_before"]))
    for k in ("tpr", "fpr"):
        gap, envelope = m[f"{k}_gap_after"], z * m[f"{k}_gap_se_after"]
        ok &= abs(gap) <= envelope and envelope < largest_before
        worst = max(worst, abs(gap))
        parts.append(f"{k.upper()} gap {gap:+.4f} (99% envelope ±{envelope:.4f})")
    parts.append(f"gap before {largest_before:.3f}")
    return worst, ok, "; ".join(parts)


def _costs_accuracy(m):
    p = paired_gain_p(m["only_before_right"], m["only_after_right"])
    drop = m["accuracy_before"] - m["accuracy_after"]
    return drop, drop >= MIN_COST and p < LEVEL, f"McNemar p = {p:.2g}"


CLAIMS = [
    Claim(
        "gap-exists",
        "before post-processing the groups' true or false positive rates differ on held-out "
        f"data beyond binomial noise (two-sided p < {LEVEL:g}, Bonferroni over TPR and FPR)",
        "FICO: the single threshold treats the groups' qualified members differently (§6)",
        _gap_exists,
        reads=("tpr_gap_before", "tpr_gap_se_before", "fpr_gap_before", "fpr_gap_se_before"),
        unit="",
        label="group 1 minus group 0, the more significant gap",
    ),
    Claim(
        "gap-closed",
        "after equalized-odds post-processing both the TPR and the FPR gap on held-out data lie "
        "within their 99% noise envelope (held-out and fitting samples), an envelope narrower "
        "than the gap before",
        "equalized odds: equal TPR and FPR in every group (derived predictor, §4)",
        _gap_closed,
        reads=(
            "tpr_gap_after",
            "fpr_gap_after",
            "tpr_gap_se_after",
            "fpr_gap_se_after",
            "tpr_gap_before",
            "fpr_gap_before",
        ),
        unit="",
        label="largest |gap| after post-processing",
    ),
    Claim(
        "costs-accuracy",
        f"equalized odds costs accuracy: at least {MIN_COST:.0%} on the held-out examples, where "
        f"the predictor before is right more often than the one after (exact McNemar test, p < "
        f"{LEVEL:g})",
        "equalized odds costs profit against the unconstrained thresholds (FICO, §6)",
        _costs_accuracy,
        reads=("accuracy_before", "accuracy_after", "only_before_right", "only_after_right"),
        unit="%",
        label="accuracy before minus after",
    ),
]


def fit_score(train):
    """A logistic regression on the features (never the protected attribute); L-BFGS on a
    convex loss, deterministic: nothing to checkpoint in a fit of a fraction of a second."""
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000).fit(train.x, train.y)


def best_single_threshold(scores: np.ndarray, labels: np.ndarray, n_thresholds: int) -> float:
    """The threshold of "1 iff score ≥ t" that is most accurate on (scores, labels)."""
    t = candidate_thresholds(scores, n_thresholds)
    fpr, tpr = roc_points(scores, labels, t)
    pi = labels.mean()
    accuracy = pi * tpr + (1 - pi) * (1 - fpr)
    return float(t[int(np.argmax(accuracy))])


def _rates_se(rates: list[float], counts: list[int]) -> float:
    return math.sqrt(sum(r * (1 - r) / n for r, n in zip(rates, counts, strict=True)))


@experiment(
    "fairness",
    title="Equalized odds by post-processing closes the groups' TPR and FPR gaps, at a cost",
    topic="fairness",
    paper=PAPER,
    config=Config,
    scales=SCALES,
    claims=CLAIMS,
    metrics=METRICS,
    lectures=("CS 229br lecture 11",),
)
def run(cfg: Config, ctx: RunContext) -> dict:
    draw = dict(
        group1_fraction=cfg.group1_fraction,
        base_rates=tuple(cfg.base_rates),
        noise_stds=tuple(cfg.noise_stds),
    )
    train = protected_groups(cfg.n_train, ctx.rng("data", 0), **draw)
    fit = protected_groups(cfg.n_fit, ctx.rng("data", 1), **draw)
    test = protected_groups(cfg.n_test, ctx.rng("data", 2), **draw)

    model = fit_score(train)
    s_fit, s_test = model.predict_proba(fit.x)[:, 1], model.predict_proba(test.x)[:, 1]

    threshold = best_single_threshold(s_fit, fit.y, cfg.n_thresholds)
    before = (s_test >= threshold).astype(np.int64)
    eo = derive_predictor(s_fit, fit.y, fit.a, constraint="odds", n_thresholds=cfg.n_thresholds)
    free = derive_predictor(s_fit, fit.y, fit.a, constraint="none", n_thresholds=cfg.n_thresholds)
    after = eo.predict(s_test, test.a, ctx.rng("randomize")) if cfg.equalize else before.copy()
    unconstrained = free.predict(s_test, test.a, ctx.rng("randomize-free"))

    rb, ra = group_rates(before, test.y, test.a), group_rates(after, test.y, test.a)
    fit_counts = group_rates(eo.predict(s_fit, fit.a, ctx.rng("randomize-fit")), fit.y, fit.a)

    def se_after(which: str) -> float:
        # Held-out noise plus the noise of the fitting sample's rates, which the LP equalized.
        counts = fit_counts.n_pos if which == "tpr" else fit_counts.n_neg
        return math.hypot(ra.gap_se(which), _rates_se(getattr(ra, which), counts))

    right_before, right_after = before == test.y, after == test.y
    metrics = {
        "n_test": cfg.n_test,
        "n_fit": cfg.n_fit,
        "threshold_before": threshold,
        "tpr_before": rb.tpr,
        "fpr_before": rb.fpr,
        "tpr_after": ra.tpr,
        "fpr_after": ra.fpr,
        "tpr_gap_before": rb.gap("tpr"),
        "fpr_gap_before": rb.gap("fpr"),
        "tpr_gap_se_before": rb.gap_se("tpr"),
        "fpr_gap_se_before": rb.gap_se("fpr"),
        "tpr_gap_after": ra.gap("tpr"),
        "fpr_gap_after": ra.gap("fpr"),
        "tpr_gap_se_after": se_after("tpr"),
        "fpr_gap_se_after": se_after("fpr"),
        "accuracy_before": rb.accuracy,
        "accuracy_after": ra.accuracy,
        "accuracy_unconstrained": float((unconstrained == test.y).mean()),
        "lp_expected_accuracy": eo.expected_accuracy,
        "lp_operating_point": [eo.fpr[0], eo.tpr[0]],
        "only_before_right": int((right_before & ~right_after).sum()),
        "only_after_right": int((right_after & ~right_before).sum()),
    }
    _plot(cfg, ctx, eo, free, rb, ra, metrics)
    return metrics


def _plot(cfg: Config, ctx: RunContext, eo, free, rb, ra, m: dict) -> None:
    z = float(stats.norm.isf(LEVEL / 2))
    colors = ("C0", "C1")
    fig, (ax,) = new_figure(width=5.6, height=5.2)
    for a in (0, 1):
        fpr, tpr = eo.roc[a]
        ax.plot(fpr, tpr, color=colors[a], lw=1.2, label=f"group {a}: ROC of the score")
        ax.errorbar(
            rb.fpr[a],
            rb.tpr[a],
            xerr=z * math.sqrt(rb.fpr[a] * (1 - rb.fpr[a]) / rb.n_neg[a]),
            yerr=z * math.sqrt(rb.tpr[a] * (1 - rb.tpr[a]) / rb.n_pos[a]),
            fmt="o",
            color=colors[a],
            ms=7,
            label=f"group {a}: single threshold (before)",
        )
        ax.plot(
            free.fpr[a],
            free.tpr[a],
            "^",
            color=colors[a],
            mfc="none",
            ms=8,
            label=f"group {a}: its own best thresholds (LP, no constraint)",
        )
        ax.errorbar(
            ra.fpr[a],
            ra.tpr[a],
            xerr=z * math.sqrt(ra.fpr[a] * (1 - ra.fpr[a]) / ra.n_neg[a]),
            yerr=z * math.sqrt(ra.tpr[a] * (1 - ra.tpr[a]) / ra.n_pos[a]),
            fmt="x",
            color=colors[a],
            ms=8,
            label=f"group {a}: after post-processing (held out)",
        )
    ax.plot(
        *m["lp_operating_point"],
        "*",
        color="k",
        ms=16,
        mfc="gold",
        zorder=1,
        label="equalized-odds point chosen by the LP",
    )
    ax.plot([0, 1], [0, 1], "k:", lw=0.8)
    ax.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        title="each group's ROC curve and the operating points",
        xlim=(0, 1),
        ylim=(0, 1),
    )
    ax.legend(fontsize=7, loc="lower right")
    ax.text(
        0.02,
        0.98,
        f"held-out accuracy: before {m['accuracy_before']:.3f}, after "
        f"{m['accuracy_after']:.3f}\n(LP on the fitting sample: {m['lp_expected_accuracy']:.3f}"
        f"; each group's own best: {m['accuracy_unconstrained']:.3f})\n"
        f"error bars: {1 - LEVEL:.0%} binomial envelopes, n = {cfg.n_test} held out",
        transform=ax.transAxes,
        va="top",
        fontsize=7,
    )
    ctx.save_figure(fig, "roc_operating_points")

    fig, (ax,) = new_figure(width=6.0, height=3.8)
    labels = ["TPR gap", "FPR gap"]
    x = np.arange(2)
    for dx, name, gaps, ses in (
        (
            -0.18,
            "before (single threshold)",
            [m["tpr_gap_before"], m["fpr_gap_before"]],
            [m["tpr_gap_se_before"], m["fpr_gap_se_before"]],
        ),
        (
            0.18,
            "after (equalized odds)",
            [m["tpr_gap_after"], m["fpr_gap_after"]],
            [m["tpr_gap_se_after"], m["fpr_gap_se_after"]],
        ),
    ):
        ax.bar(x + dx, gaps, width=0.34, yerr=[z * s for s in ses], capsize=4, label=name)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks(x, labels)
    ax.set(
        ylabel="group 1 minus group 0 (held out)",
        title=f"the gaps, with {1 - LEVEL:.0%} noise envelopes",
    )
    ax.legend(fontsize=8)
    ctx.save_figure(fig, "gaps")
