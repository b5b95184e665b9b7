"""Hardt et al.'s equalized-odds LP (mltheory.lab.equalized_odds) on cases with known answers."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_curve

from mltheory.lab.equalized_odds import derive_predictor, group_rates, roc_points


def _two_groups(n: int, seed: int = 0):
    """Group 0 (60%): a score that separates the labels perfectly; group 1: a constant score,
    whose ROC curve is exactly the diagonal. Base rates 0.5 and 0.4."""
    rng = np.random.default_rng(seed)
    a = (rng.random(n) < 0.4).astype(np.int64)
    y = (rng.random(n) < np.where(a == 1, 0.4, 0.5)).astype(np.int64)
    s = np.where(a == 0, y + 0.1 * rng.random(n), 0.5)
    return s, y, a


def test_roc_points_match_scikit_learn():
    rng = np.random.default_rng(0)
    s, y = rng.random(500), (rng.random(500) < 0.4).astype(int)
    fpr, tpr, thresholds = roc_curve(y, s)
    mine_fpr, mine_tpr = roc_points(s, y, thresholds)
    assert np.allclose(mine_fpr, fpr) and np.allclose(mine_tpr, tpr)


def test_a_perfect_and_a_useless_score():
    """Group 1's ROC curve is the diagonal, so the only equalized-odds points are (γ, γ);
    the loss is linear in γ and the overall base rate is below 1/2: the LP says 0 to
    everyone (γ = 0). Without the constraint, group 0 is classified perfectly (up to the
    threshold grid) and group 1 gets its best constant (0, its base rate being 0.4)."""
    s, y, a = _two_groups(20_000)
    eo = derive_predictor(s, y, a, constraint="odds", n_thresholds=101)
    assert eo.fpr[0] == pytest.approx(eo.fpr[1], abs=1e-9)
    assert eo.tpr[0] == pytest.approx(eo.tpr[1], abs=1e-9)
    assert eo.tpr[1] == pytest.approx(0.0, abs=1e-9) and eo.fpr[1] == pytest.approx(0, abs=1e-9)
    assert eo.expected_accuracy == pytest.approx(1 - y.mean(), abs=1e-9)
    free = derive_predictor(s, y, a, constraint="none", n_thresholds=101)
    # Perfect up to the grid of 101 score quantiles: a threshold within 1% of the split.
    assert free.fpr[0] == 0.0 and free.tpr[0] >= 0.98
    assert free.tpr[1] == pytest.approx(0.0, abs=1e-9)
    share1, rate1 = (a == 1).mean(), y[a == 1].mean()
    assert free.expected_accuracy == pytest.approx(1 - share1 * rate1, abs=0.01)


def test_equal_opportunity_equalizes_true_positive_rates_only():
    s, y, a = _two_groups(20_000, seed=1)
    eopp = derive_predictor(s, y, a, constraint="opportunity", n_thresholds=101)
    assert eopp.tpr[0] == pytest.approx(eopp.tpr[1], abs=1e-9)
    odds = derive_predictor(s, y, a, constraint="odds", n_thresholds=101)
    assert eopp.expected_accuracy >= odds.expected_accuracy - 1e-12  # a weaker constraint


def test_randomized_thresholds_reach_the_lps_rates():
    """On the data it was fitted to, the randomized predictor's rates are the LP's, up to the
    binomial noise of its coin flips."""
    rng = np.random.default_rng(2)
    n = 100_000
    a = (rng.random(n) < 0.3).astype(np.int64)
    y = (rng.random(n) < np.where(a == 1, 0.6, 0.3)).astype(np.int64)
    s = 1 / (1 + np.exp(-((2 * y - 1) + np.where(a == 1, 2.0, 1.0) * rng.standard_normal(n))))
    eo = derive_predictor(s, y, a, n_thresholds=201)
    assert sum((w > 1e-9).sum() for w in eo.weights) <= 6  # a basic solution: few thresholds
    rates = group_rates(eo.predict(s, a, np.random.default_rng(3)), y, a)
    for g in (0, 1):
        assert rates.tpr[g] == pytest.approx(eo.tpr[g], abs=4 * np.sqrt(0.25 / rates.n_pos[g]))
        assert rates.fpr[g] == pytest.approx(eo.fpr[g], abs=4 * np.sqrt(0.25 / rates.n_neg[g]))
    assert rates.gap_se("tpr") == pytest.approx(
        np.sqrt(sum(r * (1 - r) / k for r, k in zip(rates.tpr, rates.n_pos, strict=True)))
    )


def test_unknown_constraint_is_refused():
    s, y, a = _two_groups(100)
    with pytest.raises(ValueError, match="constraint"):
        derive_predictor(s, y, a, constraint="parity")
