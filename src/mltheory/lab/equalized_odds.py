"""Equalized odds by post-processing a score (Hardt, Price, Srebro 2016, §4).

A predictor satisfies **equalized odds** when its true and false positive rates are the same in
every group of the protected attribute A. Given a score R (e.g. a classifier's probability) and
A, Hardt et al. derive a predictor Ỹ = f(R, A) that satisfies it with the least expected loss:

* each group a's predictors "1 iff R ≥ t" trace its ROC curve {(FPR_a(t), TPR_a(t))}; mixing
  thresholds at random reaches every point of the curve's convex hull;
* an equalized-odds predictor picks one point γ = (FPR, TPR) inside every group's hull;
* the loss is linear in the rates: Σ_a P(A=a) [(1 − π_a) FPR_a ℓ(1,0) + π_a (1 − TPR_a) ℓ(0,1)]
  with π_a = P(Y=1 | A=a).

So the best such predictor is a **linear program**: per group, a weight w_{a,k} ≥ 0 on each
threshold t_{a,k} (Σ_k w_{a,k} = 1), the group's rates the weighted rates of its thresholds,
those rates equal across groups, and the expected loss minimized. It is solved here with
``scipy.optimize.linprog`` (HiGHS); a basic optimal solution puts weight on at most a few
thresholds per group. The derived predictor then draws, for each example of group a, a
threshold t_{a,k} with probability w_{a,k} and says 1 iff R ≥ t_{a,k} (randomized thresholds).

``constraint="none"`` solves the same program without the equality constraints: each group's
own best thresholds (the unconstrained optimum, against which equalized odds' cost is measured);
``"opportunity"`` equalizes only the true positive rates (equal opportunity).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linprog

CONSTRAINTS = ("odds", "opportunity", "none")


def roc_points(
    scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(FPR, TPR) of "1 iff score ≥ t" for each threshold t."""
    pos, neg = np.sort(scores[labels == 1]), np.sort(scores[labels == 0])
    if len(pos) == 0 or len(neg) == 0:
        raise ValueError("a group needs both positive and negative examples for its ROC curve")
    tpr = 1 - np.searchsorted(pos, thresholds, side="left") / len(pos)
    fpr = 1 - np.searchsorted(neg, thresholds, side="left") / len(neg)
    return fpr, tpr


def candidate_thresholds(scores: np.ndarray, n_thresholds: int) -> np.ndarray:
    """Thresholds at evenly spaced quantiles of the scores, plus −∞ (always 1) and +∞ (always
    0), the two ends of every ROC curve."""
    inner = np.unique(np.quantile(scores, np.linspace(0, 1, n_thresholds)))
    return np.r_[-np.inf, inner, np.inf]


@dataclass
class DerivedPredictor:
    """A randomized-threshold predictor Ỹ = f(R, A) and what the LP expects of it on the data
    it was fitted to."""

    thresholds: list[np.ndarray]  # per group: its candidate thresholds
    weights: list[np.ndarray]  # per group: the probability of using each threshold
    fpr: list[float]  # per group: the expected false positive rate (on the fit data)
    tpr: list[float]  # per group: the expected true positive rate (on the fit data)
    roc: list[tuple[np.ndarray, np.ndarray]]  # per group: (FPR, TPR) of every threshold
    expected_accuracy: float  # 1 − the LP's optimal expected 0-1 loss (on the fit data)
    constraint: str

    def predict(self, scores: np.ndarray, groups: np.ndarray, rng: np.random.Generator):
        """For each example of group a, a threshold drawn with the group's weights; 1 iff its
        score reaches it."""
        out = np.zeros(len(scores), dtype=np.int64)
        for a, (t, w) in enumerate(zip(self.thresholds, self.weights, strict=True)):
            idx = np.flatnonzero(groups == a)
            used = w > 1e-12
            pick = rng.choice(np.flatnonzero(used), size=len(idx), p=w[used] / w[used].sum())
            out[idx] = scores[idx] >= t[pick]
        return out


def derive_predictor(
    scores: np.ndarray,
    labels: np.ndarray,
    groups: np.ndarray,
    *,
    constraint: str = "odds",
    n_thresholds: int = 201,
) -> DerivedPredictor:
    """Hardt et al.'s LP for the 0-1 loss on (``scores``, ``labels``, ``groups`` ∈ {0, …}):
    the best randomized-threshold predictor under ``constraint`` (see the module docstring)."""
    if constraint not in CONSTRAINTS:
        raise ValueError(f"unknown constraint {constraint!r}; allowed: {', '.join(CONSTRAINTS)}")
    n_groups = int(groups.max()) + 1
    thresholds, rocs, costs = [], [], []
    for a in range(n_groups):
        s, y = scores[groups == a], labels[groups == a]
        t = candidate_thresholds(s, n_thresholds)
        fpr, tpr = roc_points(s, y, t)
        share, pi = len(y) / len(labels), float(y.mean())
        thresholds.append(t)
        rocs.append((fpr, tpr))
        # Expected 0-1 loss of the group's part, less the constant share · π_a.
        costs.append(share * ((1 - pi) * fpr - pi * tpr))
    sizes = [len(t) for t in thresholds]
    offsets = np.r_[0, np.cumsum(sizes)]
    n_vars = int(offsets[-1])
    a_eq, b_eq = [], []
    for a in range(n_groups):  # each group's weights sum to 1
        row = np.zeros(n_vars)
        row[offsets[a] : offsets[a + 1]] = 1
        a_eq.append(row)
        b_eq.append(1.0)
    equalized = {"odds": (0, 1), "opportunity": (1,), "none": ()}[constraint]
    for a in range(1, n_groups):  # group a's rates equal group 0's
        for which in equalized:  # 0: FPR, 1: TPR
            row = np.zeros(n_vars)
            row[offsets[0] : offsets[1]] = rocs[0][which]
            row[offsets[a] : offsets[a + 1]] = -rocs[a][which]
            a_eq.append(row)
            b_eq.append(0.0)
    res = linprog(
        np.concatenate(costs),
        A_eq=np.array(a_eq),
        b_eq=np.array(b_eq),
        bounds=(0, None),
        method="highs",
    )
    if res.status != 0:
        raise RuntimeError(f"the equalized-odds LP failed: {res.message}")
    weights = [np.clip(res.x[offsets[a] : offsets[a + 1]], 0, None) for a in range(n_groups)]
    weights = [w / w.sum() for w in weights]
    fprs = [float(w @ r[0]) for w, r in zip(weights, rocs, strict=True)]
    tprs = [float(w @ r[1]) for w, r in zip(weights, rocs, strict=True)]
    base_error = sum((groups == a).mean() * labels[groups == a].mean() for a in range(n_groups))
    return DerivedPredictor(
        thresholds=thresholds,
        weights=weights,
        fpr=fprs,
        tpr=tprs,
        roc=rocs,
        expected_accuracy=float(1 - (res.fun + base_error)),
        constraint=constraint,
    )


@dataclass
class GroupRates:
    """True and false positive rates of a predictor in each group, with the counts they are
    proportions of (for their binomial noise)."""

    tpr: list[float]
    fpr: list[float]
    n_pos: list[int]
    n_neg: list[int]
    accuracy: float

    def gap(self, which: str) -> float:
        """Group 1's rate minus group 0's (``which``: "tpr" or "fpr")."""
        rates = getattr(self, which)
        return rates[1] - rates[0]

    def gap_se(self, which: str) -> float:
        """The binomial standard error of :meth:`gap`: the groups' rates are proportions on
        disjoint sets of examples."""
        rates = getattr(self, which)
        counts = self.n_pos if which == "tpr" else self.n_neg
        return float(np.sqrt(sum(r * (1 - r) / n for r, n in zip(rates, counts, strict=True))))


def group_rates(pred: np.ndarray, labels: np.ndarray, groups: np.ndarray) -> GroupRates:
    """TPR and FPR of the predictions ``pred`` in groups 0 and 1."""
    tpr, fpr, n_pos, n_neg = [], [], [], []
    for a in (0, 1):
        p, y = pred[groups == a], labels[groups == a]
        tpr.append(float(p[y == 1].mean()))
        fpr.append(float(p[y == 0].mean()))
        n_pos.append(int((y == 1).sum()))
        n_neg.append(int((y == 0).sum()))
    return GroupRates(tpr, fpr, n_pos, n_neg, float((pred == labels).mean()))
