"""Networks whose initial weights come from a seed of their own (a named stream's), leaving the
global RNG where it was: two models built from two seeds never share a draw."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal, TypeVar

import torch
from torch import nn

from mltheory.lab.nn.cnn import SmallCNN
from mltheory.lab.nn.mlp import MLP

M = TypeVar("M", bound=nn.Module)


def seeded(seed: int, build: Callable[[], M]) -> M:
    """``build()`` with PyTorch's default initialization drawn from ``seed``."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def image_classifier(
    kind: Literal["mlp", "cnn"],
    in_shape: tuple[int, ...],
    n_classes: int,
    seed: int,
    hidden: list[int] | tuple[int, ...] = (256, 256),
    cnn_width: int = 32,
    cnn_hidden: int = 512,
) -> nn.Module:
    """An MLP on flattened images or a :class:`SmallCNN` on (channels, height, width) ones, its
    init drawn from ``seed``."""

    def build() -> nn.Module:
        if kind == "mlp":
            return MLP(math.prod(in_shape), list(hidden), n_classes)
        net = SmallCNN(in_shape[0], n_classes, cnn_width, cnn_hidden)
        net(torch.zeros(1, *in_shape))  # materialize the lazy dense layer with this seed
        return net

    return seeded(seed, build)
