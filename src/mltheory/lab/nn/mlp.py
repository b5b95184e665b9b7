"""Fully connected ReLU network."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class MLP(nn.Sequential):
    """``in → hidden[0] → … → hidden[-1] → out`` with ReLU between layers (PyTorch's default init)."""

    def __init__(
        self,
        in_dim: int,
        hidden: Sequence[int],
        out_dim: int,
        bias: bool = True,
        activation: type[nn.Module] = nn.ReLU,
    ) -> None:
        layers: list[nn.Module] = [nn.Flatten()]
        widths = [in_dim, *hidden]
        for a, b in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(a, b, bias=bias), activation()]
        layers.append(nn.Linear(widths[-1], out_dim, bias=bias))
        super().__init__(*layers)
        self.in_dim, self.hidden, self.out_dim = in_dim, list(hidden), out_dim

    def n_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations."""
        # Not ``self[:-1]``: slicing a Sequential rebuilds it through this class's constructor.
        for layer in list(self)[:-1]:
            x = layer(x)
        return x
