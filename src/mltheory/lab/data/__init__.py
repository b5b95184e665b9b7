"""Datasets: generated offline (MNIST-1D, synthetic), shipped (scikit-learn digits), or read from
the real on-disk formats (CIFAR-10, MNIST) that a user downloads once."""

from mltheory.lab.data.arrays import ClassificationData, corrupt_labels
from mltheory.lab.data.cifar10 import load_cifar10
from mltheory.lab.data.digits import load_digits
from mltheory.lab.data.mnist import load_mnist
from mltheory.lab.data.mnist1d import load_mnist1d

__all__ = [
    "ClassificationData",
    "corrupt_labels",
    "load_cifar10",
    "load_digits",
    "load_mnist",
    "load_mnist1d",
]
