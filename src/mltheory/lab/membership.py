"""Membership inference: does a trained model give away which examples it was trained on?

The **loss-threshold attack** (Yeom, Giacomelli, Fredrikson, Jha 2018) says "member" when the
model's loss on a labelled example is at most a threshold τ. Its strength is the **membership
advantage** TPR − FPR (the rate at which members are called members minus the rate at which
non-members are), and, over all thresholds, the ROC AUC.

Choosing τ to maximize TPR − FPR on the very members and non-members it is then scored on
overstates the advantage (the maximum of a noisy curve is biased upwards: a model that leaks
nothing still scores a positive "best" advantage). As in Shokri et al. (2017), the attacker here
picks τ on a **shadow model**: one trained the same way on data of its own from the same
distribution, whose members the attacker knows; τ is then applied unchanged to the target.
With τ fixed in advance, the target's TPR and FPR are plain proportions on independent sets,
and the advantage's standard error is √(TPR(1−TPR)/n₁ + FPR(1−FPR)/n₀). The AUC needs no
threshold; its standard error under "no leak" is Hanley & McNeil's √((n₁+n₀+1)/(12 n₁ n₀)).
ROC curves and AUCs are scikit-learn's (``sklearn.metrics``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import roc_auc_score, roc_curve
from torch import nn


@torch.no_grad()
def example_losses(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 4096
) -> np.ndarray:
    """Each example's cross-entropy loss under ``model`` (in eval mode)."""
    was_training = model.training
    model.eval()
    out = [
        F.cross_entropy(model(xb), yb, reduction="none")
        for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True)
    ]
    model.train(was_training)
    return torch.cat(out).double().cpu().numpy()


def _labels_and_scores(members: np.ndarray, nonmembers: np.ndarray):
    labels = np.r_[np.ones(len(members)), np.zeros(len(nonmembers))]
    return labels, -np.r_[members, nonmembers]  # a lower loss is more "member"


def rates_at(members: np.ndarray, nonmembers: np.ndarray, tau: float) -> tuple[float, float]:
    """(TPR, FPR) of "member iff loss ≤ τ"."""
    return float(np.mean(members <= tau)), float(np.mean(nonmembers <= tau))


def best_threshold(members: np.ndarray, nonmembers: np.ndarray) -> tuple[float, float]:
    """The τ maximizing TPR − FPR of "member iff loss ≤ τ" on these losses, and that maximum
    (optimistic if scored on the same losses: see the module docstring)."""
    fpr, tpr, thresholds = roc_curve(*_labels_and_scores(members, nonmembers))
    i = int(np.argmax(tpr - fpr))
    return float(-thresholds[i]), float(tpr[i] - fpr[i])


def advantage_se(tpr: float, fpr: float, n_members: int, n_nonmembers: int) -> float:
    """Standard error of TPR − FPR measured at a fixed threshold on independent sets."""
    return math.sqrt(tpr * (1 - tpr) / n_members + fpr * (1 - fpr) / n_nonmembers)


def auc(members: np.ndarray, nonmembers: np.ndarray) -> float:
    """ROC AUC of the loss as a membership score: P(a member's loss < a non-member's), ties
    counted half."""
    return float(roc_auc_score(*_labels_and_scores(members, nonmembers)))


def auc_null_se(n_members: int, n_nonmembers: int) -> float:
    """Standard error of the AUC when the score carries no information (Hanley & McNeil 1982,
    at AUC = 1/2)."""
    return math.sqrt((n_members + n_nonmembers + 1) / (12 * n_members * n_nonmembers))


def roc(members: np.ndarray, nonmembers: np.ndarray) -> tuple[list[float], list[float]]:
    """The ROC curve (FPR, TPR) of the loss as a membership score."""
    fpr, tpr, _ = roc_curve(*_labels_and_scores(members, nonmembers))
    return fpr.tolist(), tpr.tolist()


@dataclass
class Attack:
    """The loss-threshold attack on one target model, its threshold picked on a shadow."""

    threshold: float  # τ, chosen on the shadow model's members and non-members
    tpr: float  # on the target's members, at τ
    fpr: float  # on the target's non-members, at τ
    advantage: float  # TPR − FPR
    advantage_se: float
    optimistic_advantage: float  # the best TPR − FPR on the target itself (biased upwards)
    auc: float  # on the target, threshold-free
    auc_null_se: float
    shadow_advantage: float  # the best TPR − FPR on the shadow (where τ was chosen)
    n_members: int
    n_nonmembers: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def loss_threshold_attack(
    target_members: np.ndarray,
    target_nonmembers: np.ndarray,
    shadow_members: np.ndarray,
    shadow_nonmembers: np.ndarray,
) -> Attack:
    """Pick τ on the shadow model's losses, score it on the target's (all four: per-example
    losses, e.g. from :func:`example_losses`)."""
    tau, shadow_adv = best_threshold(shadow_members, shadow_nonmembers)
    tpr, fpr = rates_at(target_members, target_nonmembers, tau)
    n1, n0 = len(target_members), len(target_nonmembers)
    return Attack(
        threshold=tau,
        tpr=tpr,
        fpr=fpr,
        advantage=tpr - fpr,
        advantage_se=advantage_se(tpr, fpr, n1, n0),
        optimistic_advantage=best_threshold(target_members, target_nonmembers)[1],
        auc=auc(target_members, target_nonmembers),
        auc_null_se=auc_null_se(n1, n0),
        shadow_advantage=shadow_adv,
        n_members=n1,
        n_nonmembers=n0,
    )
