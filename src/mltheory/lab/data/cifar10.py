"""CIFAR-10 from its "python version" files (``cifar-10-batches-py``): pickled batches of
``{b"data": uint8 (N, 3072), b"labels": [int]}`` with channels stored plane by plane."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from mltheory.lab.data.arrays import ClassificationData
from mltheory.lab.data.files import data_root, missing

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
TRAIN_BATCHES = [f"data_batch_{i}" for i in range(1, 6)]
TEST_BATCH = "test_batch"
MEAN = np.array([0.4914, 0.4822, 0.4465], dtype=np.float32)
STD = np.array([0.2470, 0.2435, 0.2616], dtype=np.float32)


def cifar10_dir(root: str | Path | None = None) -> Path:
    return Path(root) if root is not None else data_root() / "cifar-10-batches-py"


def check_cifar10(root: str | Path | None = None) -> Path:
    d = cifar10_dir(root)
    expected = [*TRAIN_BATCHES, TEST_BATCH]
    if not all((d / f).exists() for f in expected):
        raise missing("CIFAR-10", d, expected, URL)
    return d


def _read_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with path.open("rb") as f:
        batch = pickle.load(f, encoding="bytes")
    x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
    return x, np.asarray(batch[b"labels"], dtype=np.int64)


def load_cifar10(root: str | Path | None = None, normalize: bool = True) -> ClassificationData:
    """Images as float32 (N, 3, 32, 32), normalized per channel with the usual statistics."""
    d = check_cifar10(root)
    parts = [_read_batch(d / b) for b in TRAIN_BATCHES]
    x_tr = np.concatenate([p[0] for p in parts])
    y_tr = np.concatenate([p[1] for p in parts])
    x_te, y_te = _read_batch(d / TEST_BATCH)

    def prep(x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float32) / 255.0
        if normalize:
            x = (x - MEAN[None, :, None, None]) / STD[None, :, None, None]
        return x

    return ClassificationData.from_numpy("cifar10", prep(x_tr), y_tr, prep(x_te), y_te, 10)
