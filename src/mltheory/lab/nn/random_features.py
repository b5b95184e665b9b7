"""Random features regression: a fixed random first layer, only the output layer is trained."""

from __future__ import annotations

import torch
from torch import nn


class RandomFeatures(nn.Module):
    """``x ↦ a · relu(W x / sqrt(d))`` with ``W`` fixed (a buffer) and ``a`` trained."""

    def __init__(
        self,
        in_dim: int,
        n_features: int,
        out_dim: int = 1,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.register_buffer("weight", torch.randn(n_features, in_dim, generator=generator))
        self.readout = nn.Linear(n_features, out_dim, bias=False)
        nn.init.zeros_(self.readout.weight)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x.flatten(1) @ self.weight.T / self.weight.shape[1] ** 0.5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.features(x))
