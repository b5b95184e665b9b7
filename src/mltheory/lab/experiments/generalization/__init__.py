"""Generalization: min-norm interpolation, double descent, memorization (CS 229br lecture 1)."""
