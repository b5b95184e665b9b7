"""Approximation, optimization landscapes, implicit regularization and kernels (MIT 18.408)."""
