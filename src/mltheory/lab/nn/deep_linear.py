"""Deep linear network ``W_L ⋯ W_1 x`` (Saxe, McClelland, Ganguli 2014)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn


class DeepLinear(nn.Module):
    """A product of bias-free linear maps, initialised with i.i.d. N(0, init_scale²) entries."""

    def __init__(
        self, widths: Sequence[int], init_scale: float, generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        self.layers = nn.ParameterList(
            nn.Parameter(torch.randn(b, a, generator=generator) * init_scale)
            for a, b in zip(widths[:-1], widths[1:], strict=True)
        )

    def product(self) -> torch.Tensor:
        """The end-to-end matrix ``W_L ⋯ W_1``."""
        out = self.layers[0]
        for w in self.layers[1:]:
            out = w @ out
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x @ self.product().T
