"""scikit-learn's bundled 8×8 digits (1,797 images; shipped with the package)."""

from __future__ import annotations

import numpy as np

from mltheory.lab.data.arrays import ClassificationData


def load_digits(
    test_fraction: float = 0.25, seed: int = 0, flatten: bool = True
) -> ClassificationData:
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    x = bunch.data.astype(np.float32) / 16.0
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, bunch.target, test_size=test_fraction, random_state=seed, stratify=bunch.target
    )
    return ClassificationData.from_numpy("digits", x_tr, y_tr, x_te, y_te, 10)


def load_digits_or_mnist(dataset: str, seed: int = 0, flatten: bool = True) -> ClassificationData:
    """scikit-learn's digits (``"digits"``, split with ``seed``) or MNIST (``"mnist"``, read from
    ``$MLT_DATA``): the cpu and paper scales of the experiments that attack or poison digits."""
    if dataset == "mnist":
        from mltheory.lab.data.mnist import load_mnist

        return load_mnist(flatten=flatten)
    return load_digits(seed=seed, flatten=flatten)
