"""Modular arithmetic tables as token sequences (Power et al. 2022's algorithmic data sets)."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ModularAddition:
    """Every equation ``a + b = c (mod p)`` for ``a, b ∈ {0, …, p−1}``, as the sequences
    ``[a, b, =]`` (``=`` is token ``p``, so the vocabulary has ``p + 1`` tokens) with label ``c``,
    split at random into a training set of ``round(train_fraction · p²)`` equations and a test
    set of the rest. ``train_idx``/``test_idx`` index the full table ``tokens``/``labels``."""

    p: int
    tokens: torch.Tensor  # (p², 3) int64
    labels: torch.Tensor  # (p²,) int64
    train_idx: torch.Tensor
    test_idx: torch.Tensor

    @property
    def vocab_size(self) -> int:
        return self.p + 1

    @property
    def equals_token(self) -> int:
        return self.p


def modular_addition(p: int, train_fraction: float, generator: torch.Generator) -> ModularAddition:
    """The full ``p × p`` addition table mod ``p``, split with ``generator`` (see the class)."""
    if p < 2:
        raise ValueError(f"p must be at least 2, got {p}")
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    a, b = a.reshape(-1), b.reshape(-1)
    tokens = torch.stack([a, b, torch.full_like(a, p)], dim=1)
    labels = (a + b) % p
    n_train = round(train_fraction * p * p)
    if not 0 < n_train < p * p:
        raise ValueError(f"train_fraction {train_fraction} leaves an empty split at p = {p}")
    order = torch.randperm(p * p, generator=generator)
    return ModularAddition(p, tokens, labels, order[:n_train], order[n_train:])
