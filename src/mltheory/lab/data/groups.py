"""A synthetic tabular data set with a protected attribute, documented (scikit-learn ships no
real tabular set with one that can be read offline).

Each example is drawn independently:

* the protected attribute A ∈ {0, 1}: A = 1 with probability ``group1_fraction`` (a minority);
* the label Y ∈ {0, 1}: P(Y = 1 | A = a) = ``base_rates[a]`` (the groups' base rates differ);
* four features X = (x₀, x₁, x₂, x₃):

  - x₀ = (2Y − 1) + ``noise_stds[a]`` · N(0, 1) and x₁ = ½(2Y − 1) + ``noise_stds[a]`` ·
    N(0, 1): informative, but noisier in one group than the other (the same features
    predict the label less well there, so the groups' ROC curves differ);
  - x₂ = A + N(0, 1): a proxy of the group that carries no information about Y given A (as a
    postcode might);
  - x₃ = N(0, 1): irrelevant.

A classifier that never sees A still treats the groups differently: their base rates and noise
differ, and x₂ reveals the group in part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_FEATURES = 4


@dataclass(frozen=True)
class GroupData:
    """Features ``x`` (n, 4), labels ``y`` (n,) in {0, 1}, protected attribute ``a`` (n,)."""

    x: np.ndarray
    y: np.ndarray
    a: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def protected_groups(
    n: int,
    rng: np.random.Generator,
    *,
    group1_fraction: float = 0.3,
    base_rates: tuple[float, float] = (0.3, 0.6),
    noise_stds: tuple[float, float] = (1.0, 2.0),
) -> GroupData:
    """``n`` examples drawn as the module docstring says, from ``rng``."""
    if not 0 < group1_fraction < 1:
        raise ValueError(f"group1_fraction must be in (0, 1), got {group1_fraction}")
    if not all(0 < p < 1 for p in base_rates) or not all(s > 0 for s in noise_stds):
        raise ValueError(f"base rates in (0, 1) and positive noise: {base_rates}, {noise_stds}")
    a = (rng.random(n) < group1_fraction).astype(np.int64)
    y = (rng.random(n) < np.asarray(base_rates)[a]).astype(np.int64)
    sign, noise = 2.0 * y - 1.0, np.asarray(noise_stds)[a]
    x = np.column_stack(
        [
            sign + noise * rng.standard_normal(n),
            0.5 * sign + noise * rng.standard_normal(n),
            a + rng.standard_normal(n),
            rng.standard_normal(n),
        ]
    )
    return GroupData(x=x, y=y, a=a)
