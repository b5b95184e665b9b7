"""The loss-threshold membership attack (mltheory.lab.membership): its threshold, advantage,
AUC and their standard errors on cases whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from mltheory.lab import membership


def test_separable_losses_give_full_advantage_and_auc_one():
    members, nonmembers = np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0, 3.0, 4.0])
    tau, adv = membership.best_threshold(members, nonmembers)
    assert adv == 1.0 and 0.3 <= tau < 1.0
    assert membership.rates_at(members, nonmembers, tau) == (1.0, 0.0)
    assert membership.auc(members, nonmembers) == 1.0
    fpr, tpr = membership.roc(members, nonmembers)
    assert fpr[0] == 0 and tpr[-1] == 1


def test_auc_is_the_mann_whitney_statistic():
    rng = np.random.default_rng(0)
    members, nonmembers = rng.exponential(1.0, 300), rng.exponential(1.5, 200)
    u = stats.mannwhitneyu(nonmembers, members).statistic  # non-member loss > member loss
    assert membership.auc(members, nonmembers) == pytest.approx(u / (300 * 200))


def test_picking_the_threshold_on_the_evaluation_set_is_optimistic():
    """Members and non-members drawn identically (nothing leaks): the best TPR − FPR on the
    losses themselves is biased well above 0; τ picked on a shadow pair and applied to fresh
    losses averages 0, with the spread its standard error says, and so does the AUC."""
    rng = np.random.default_rng(1)
    n = 200
    optimistic, fixed, ses, aucs = [], [], [], []
    for _ in range(300):
        shadow_in, shadow_out, target_in, target_out = rng.exponential(1.0, (4, n))
        attack = membership.loss_threshold_attack(target_in, target_out, shadow_in, shadow_out)
        optimistic.append(attack.optimistic_advantage)
        fixed.append(attack.advantage)
        ses.append(attack.advantage_se)
        aucs.append(attack.auc)
    assert np.mean(optimistic) > 0.06  # roughly 1.2/√n: the maximum of a noisy curve
    assert abs(np.mean(fixed)) < 3 * np.std(fixed) / np.sqrt(len(fixed))
    assert np.std(fixed) == pytest.approx(np.mean(ses), rel=0.15)
    assert np.mean(aucs) == pytest.approx(0.5, abs=0.01)
    assert np.std(aucs) == pytest.approx(membership.auc_null_se(n, n), rel=0.15)


def test_example_losses_are_per_example_cross_entropy():
    import torch
    from torch import nn

    model = nn.Linear(3, 2)
    x, y = torch.randn(5, 3), torch.tensor([0, 1, 1, 0, 1])
    got = membership.example_losses(model, x, y, batch_size=2)
    want = nn.functional.cross_entropy(model(x), y, reduction="none").detach().double().numpy()
    assert got.shape == (5,) and np.allclose(got, want)
