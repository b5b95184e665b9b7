"""Generative models (CS 229br lecture 5)."""
