"""A small convolutional network for 1×28×28 or 3×32×32 images (the random-labels paper scale)."""

from __future__ import annotations

from torch import nn


class SmallCNN(nn.Sequential):
    """Two conv–ReLU–maxpool blocks then a ReLU hidden layer, in the spirit of Zhang et al.'s
    small Inception-free baselines."""

    def __init__(
        self, in_channels: int = 3, n_classes: int = 10, width: int = 64, hidden: int = 384
    ) -> None:
        super().__init__(
            nn.Conv2d(in_channels, width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(width, width, 5, padding=2),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.LazyLinear(hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        )
