"""In-memory classification data as torch tensors, and label corruption."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import torch


@dataclass(frozen=True)
class ClassificationData:
    """Train and test tensors: ``x`` float32 of shape (n, ...), ``y`` int64 of shape (n,)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    n_classes: int

    @classmethod
    def from_numpy(
        cls, name: str, x_train, y_train, x_test, y_test, n_classes: int
    ) -> ClassificationData:
        return cls(
            name,
            torch.as_tensor(np.asarray(x_train), dtype=torch.float32),
            torch.as_tensor(np.asarray(y_train), dtype=torch.int64),
            torch.as_tensor(np.asarray(x_test), dtype=torch.float32),
            torch.as_tensor(np.asarray(y_test), dtype=torch.int64),
            n_classes,
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def input_dim(self) -> int:
        return int(np.prod(self.input_shape))

    def subset(self, n_train: int | None = None, n_test: int | None = None) -> ClassificationData:
        """The first ``n_train`` / ``n_test`` examples (the sources are already shuffled)."""
        return replace(
            self,
            x_train=self.x_train[:n_train],
            y_train=self.y_train[:n_train],
            x_test=self.x_test[:n_test],
            y_test=self.y_test[:n_test],
        )

    def standardized(self) -> ClassificationData:
        """Inputs shifted and scaled by the training set's per-feature mean and std."""
        mean = self.x_train.mean(0, keepdim=True)
        std = self.x_train.std(0, keepdim=True).clamp_min(1e-6)
        return replace(self, x_train=(self.x_train - mean) / std, x_test=(self.x_test - mean) / std)

    def to(self, device: torch.device | str) -> ClassificationData:
        return replace(
            self,
            x_train=self.x_train.to(device),
            y_train=self.y_train.to(device),
            x_test=self.x_test.to(device),
            y_test=self.y_test.to(device),
        )


def corrupt_labels(
    y: torch.Tensor, fraction: float, n_classes: int, generator: torch.Generator
) -> torch.Tensor:
    """Replace a ``fraction`` of the labels by labels drawn uniformly at random (Zhang et al. 2017).

    As in the paper, a replaced label may by chance equal the true one, so at ``fraction=1`` the
    labels are independent of the inputs.
    """
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"label corruption fraction must be in [0, 1], got {fraction}")
    y = y.clone()
    n = y.shape[0]
    n_corrupt = int(round(fraction * n))
    idx = torch.randperm(n, generator=generator)[:n_corrupt]
    y[idx] = torch.randint(0, n_classes, (n_corrupt,), generator=generator)
    return y
