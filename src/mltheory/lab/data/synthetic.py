"""Synthetic data generators, each seeded by an explicit generator."""

from __future__ import annotations

import numpy as np
import torch


def gaussian_regression(
    n: int, d: int, noise_std: float, rng: np.random.Generator, signal_norm: float = 1.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Isotropic Gaussian design ``X`` (n×d, entries N(0,1)), a planted ``beta`` with
    ``||beta|| = signal_norm`` and responses ``y = X beta + noise``."""
    x = rng.standard_normal((n, d))
    beta = rng.standard_normal(d)
    beta *= signal_norm / np.linalg.norm(beta)
    y = x @ beta + noise_std * rng.standard_normal(n)
    return x, y, beta


def sparse_parity(
    n_samples: int, n_bits: int, support: torch.Tensor, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Uniform ``x ∈ {−1, +1}^n_bits`` and ``y = ∏_{i ∈ support} x_i ∈ {−1, +1}``."""
    x = torch.randint(0, 2, (n_samples, n_bits), generator=generator).float() * 2 - 1
    y = x[:, support].prod(dim=1)
    return x, y


def random_support(n_bits: int, k: int, generator: torch.Generator) -> torch.Tensor:
    """The hidden ``k`` coordinates of a sparse parity, drawn uniformly."""
    return torch.randperm(n_bits, generator=generator)[:k].sort().values
