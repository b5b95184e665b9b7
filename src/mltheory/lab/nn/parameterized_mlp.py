"""A ReLU network whose parameterization is a choice: NTK, standard, or mean-field.

Every layer computes ``h = σ_w · W z / √fan_in + σ_b · b`` at initialization in distribution;
what differs is where the ``σ_w / √fan_in`` lives, and so how gradients scale with width:

* ``"ntk"`` (Jacot et al. 2018): ``W, b ~ N(0, 1)`` and the factors in the forward pass. Every
  parameter moves O(1/√width) under gradient descent with a width-independent step, and the
  network's tangent kernel converges to a deterministic limit (``mltheory.lab.ntk``).
* ``"standard"`` (PyTorch's convention): ``W ~ N(0, σ_w²/fan_in)``, ``b ~ N(0, σ_b²)``, no factors.
  Same function at initialization, but the last layer's gradient, hence the kernel, grows like
  the width.
* ``"mean-field"``: the NTK network's output multiplied by ``1/√width`` (Chizat, Oyallon, Bach's
  lazy-training scale α = 1/√m: ``f = (1/m) Σ_i a_i φ(…)`` for one hidden layer). Trained with a
  step ∝ width, its features move O(1) whatever the width: it is not lazy.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

PARAMETERIZATIONS = ("ntk", "standard", "mean-field")


class ScaledLinear(nn.Module):
    """``σ_w · W z / √fan_in + σ_b · b`` (``"ntk"``) or ``W z + b`` with the same law at init."""

    def __init__(
        self, fan_in: int, fan_out: int, sigma_w: float, sigma_b: float, standard: bool
    ) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fan_out, fan_in))
        self.bias = nn.Parameter(torch.randn(fan_out))
        if standard:
            with torch.no_grad():
                self.weight.mul_(sigma_w / math.sqrt(fan_in))
                self.bias.mul_(sigma_b)
            self.w_factor, self.b_factor = 1.0, 1.0
        else:
            self.w_factor, self.b_factor = sigma_w / math.sqrt(fan_in), sigma_b

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.w_factor * (z @ self.weight.T) + self.b_factor * self.bias


class ParameterizedMLP(nn.Module):
    """``in_dim → widths… → out_dim`` with ReLU between layers, in the given parameterization
    (module docstring). ``sigma_w = √2`` keeps the pre-activations' scale through ReLU layers."""

    def __init__(
        self,
        in_dim: int,
        widths: Sequence[int],
        out_dim: int = 1,
        parameterization: str = "ntk",
        sigma_w: float = math.sqrt(2),
        sigma_b: float = 0.1,
    ) -> None:
        super().__init__()
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError(
                f"unknown parameterization {parameterization!r}; allowed: "
                f"{', '.join(PARAMETERIZATIONS)}"
            )
        if not widths:
            raise ValueError("at least one hidden layer")
        self.parameterization = parameterization
        dims = [in_dim, *widths, out_dim]
        standard = parameterization == "standard"
        self.layers = nn.ModuleList(
            ScaledLinear(a, b, sigma_w, sigma_b, standard)
            for a, b in zip(dims[:-1], dims[1:], strict=True)
        )
        self.output_scale = 1 / math.sqrt(widths[-1]) if parameterization == "mean-field" else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = torch.relu(layer(x))
        return self.output_scale * self.layers[-1](x)
